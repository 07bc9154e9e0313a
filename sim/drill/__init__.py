"""Emergency drills: rescue resources, incident needs and their matching."""
