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


def did_you_mean(value: object, choices, n: int = 3, cutoff: float = 0.6) -> str:
    """``"; did you mean 'a', 'b'?"`` with the closest of ``choices`` to ``value``, or ``""`` when none
    is close: the tail of an error message about an unknown name."""
    import difflib

    near = difflib.get_close_matches(str(value), sorted({str(c) for c in choices}), n=n, cutoff=cutoff)
    return f"; did you mean {', '.join(map(repr, near))}?" if near else ""
