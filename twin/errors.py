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


def read_yaml(path, what: str = "", error: type[Exception] = InputError):
    """The document in the YAML file ``path``; a syntax error becomes one ``error`` line naming the
    file (prefixed by ``what``, e.g. ``"events_file "``), the line, the column and the problem."""
    import yaml
    from pathlib import Path

    p = Path(path)
    try:
        return yaml.safe_load(p.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        raise error(f"{what}{p}: malformed YAML ({where}{getattr(exc, 'problem', None) or 'syntax error'})") from None


def one_line_warning(message, category, filename, lineno, line=None) -> str:
    """``warnings.formatwarning`` for users: ``twin: warning: <message>``, one line, no source."""
    return f"twin: warning: {message}\n"
