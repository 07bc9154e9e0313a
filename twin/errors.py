"""One error family for everything a user can get wrong.

Each message names the file, key or value and says what was expected; the CLI
prints it as one line and exits non-zero (traceback only with ``--debug``).
"""
from __future__ import annotations


class TwinError(Exception):
    """Base of all errors a user can act on."""


class InputError(TwinError):
    """A file, key or value given by the user is missing or malformed."""


class CityError(TwinError):
    """A city folder or its layers are inconsistent (CRS, extent, nodata)."""


class ScenarioError(TwinError):
    """A scenario file does not validate against its schema."""
