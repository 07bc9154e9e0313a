"""Tourist-crowd simulation: visitor calendar/forecast and pedestrian micro-simulation."""
