"""Scenario files: a validated YAML naming the city, the simulation and its parameters.

Example::

    name: city_overview
    title: Sample city overview
    city: ../data_samples/chenzhou      # relative to this file
    simulation: overview
    start: 2026-07-15T18:00:00+08:00     # wall clock of t = 0 (Asia/Shanghai)
    params: {}

Unknown keys and wrong types are rejected with the file, the key and the reason.
"""
from __future__ import annotations

import os
import re
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator

from twin.errors import ScenarioError, read_yaml


def _relative_to_scenario(v: Path, info: ValidationInfo) -> Path:
    base = (info.context or {}).get("base_dir")
    return (Path(base) / v).resolve() if base is not None and not v.is_absolute() else v


ScenarioPath = Annotated[Path, AfterValidator(_relative_to_scenario)]
"""A file path in a scenario's params: relative paths are taken from the scenario file's folder."""


class Scenario(BaseModel):
    """Top level of a scenario file; ``params`` is validated by the simulation's own model."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(description="output folder name: out/<name>/")
    title: str = ""
    description: str = ""
    city: Path = Field(description="city folder, relative to the scenario file")
    simulation: str = Field(description="registered simulation kind, e.g. 'overview'")
    start: datetime = Field(default=datetime.fromisoformat("2026-01-01T00:00:00+08:00"),
                            description="wall clock of t = 0, ISO 8601; Asia/Shanghai (+08:00) when no offset is given")
    params: dict[str, Any] = Field(default_factory=dict)

    @field_validator("name")
    @classmethod
    def _name_ok(cls, v: str) -> str:
        if not re.fullmatch(r"[A-Za-z0-9_\-]+", v):
            raise ValueError("use letters, digits, '_' and '-' only (it names the output folder)")
        return v

    @field_validator("start")
    @classmethod
    def _tz(cls, v: datetime) -> datetime:
        from datetime import timedelta, timezone

        return v if v.tzinfo else v.replace(tzinfo=timezone(timedelta(hours=8)))


def load_scenario(path: str | os.PathLike) -> tuple[Scenario, BaseModel]:
    """Read and validate a scenario file; returns the scenario and its validated params.

    ``scenario.city`` is resolved relative to the file.
    """
    from sim import REGISTRY

    p = Path(path)
    if not p.exists():
        raise ScenarioError(f"{p}: scenario file not found")
    raw = read_yaml(p, error=ScenarioError)
    if not isinstance(raw, dict):
        raise ScenarioError(f"{p}: expected a mapping with keys name, city, simulation, params")
    try:
        sc = Scenario.model_validate(raw)
    except ValidationError as exc:
        raise ScenarioError(f"{p}: {_first_error(exc, model=Scenario)}") from None
    if sc.simulation not in REGISTRY:
        raise ScenarioError(f"{p}: key 'simulation' = '{sc.simulation}' is not known; expected one of {sorted(REGISTRY)}")
    params_model = REGISTRY[sc.simulation].Params
    try:
        params = params_model.model_validate(sc.params, context={"base_dir": p.parent})
    except ValidationError as exc:
        raise ScenarioError(f"{p}: {_first_error(exc, prefix='params', model=params_model)}") from None
    if not sc.city.is_absolute():
        sc.city = (p.parent / sc.city).resolve()
    return sc, params


def _first_error(exc: ValidationError, prefix: str = "", model: type[BaseModel] | None = None) -> str:
    """One line: the key path and the reason (unknown keys first, since a typo explains the rest)."""
    # unknown keys first, then the most specific location (of a union's branches, the one that
    # reached deepest into the value names the bad item)
    errs = sorted(exc.errors(), key=lambda e: (e["type"] != "extra_forbidden", -len(_key_path(e["loc"]))))
    e = errs[0]
    loc = ".".join(str(x) for x in ((prefix,) if prefix else ()) + _key_path(e["loc"]))
    msg = e["msg"].removeprefix("Value error, ")
    if e["type"] == "extra_forbidden":
        import difflib

        sub = _model_at(model, e["loc"][:-1]) if model is not None else None
        known = list(sub.model_fields) if sub is not None else []
        close = difflib.get_close_matches(str(e["loc"][-1]), known, n=1)
        msg = "unknown key (not in the schema)" + (f"; did you mean '{close[0]}'?" if close else "")
    elif e["type"] == "missing":
        msg = "required key is missing"
    elif not isinstance(e.get("input"), (dict, list)):  # a whole mapping or list says nothing more
        msg = f"{msg} (got {e.get('input')!r})"[:200]
    more = f" (+{len(errs) - 1} more)" if len(errs) > 1 else ""
    return f"key '{loc}': {msg}{more}"


def _key_path(loc: tuple) -> tuple:
    """``loc`` without pydantic's type tags of union branches and validators ('constrained-float',
    'dict[str,constrained-float]', 'function-after[...]'), which are not keys a user wrote."""
    return tuple(x for x in loc if not (isinstance(x, str) and ("[" in x or re.fullmatch(r"[a-z]+(-[a-z]+)+", x))))


def _model_at(model: type[BaseModel], loc: tuple) -> type[BaseModel] | None:
    """The pydantic model class found by following ``loc`` (field names and list indices) from
    ``model``, or None where the path leaves the models (for 'did you mean' on nested keys)."""
    import typing

    def models_in(tp: Any) -> list[type[BaseModel]]:
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            return [tp]
        return [m for a in typing.get_args(tp) for m in models_in(a)]

    cur: Any = model
    for part in loc:
        if isinstance(part, int):
            continue  # a list index: the element type was already taken from the field
        if not (isinstance(cur, type) and issubclass(cur, BaseModel)) or part not in cur.model_fields:
            return None
        found = models_in(cur.model_fields[part].annotation)
        if len(found) != 1:
            return None
        cur = found[0]
    return cur if isinstance(cur, type) and issubclass(cur, BaseModel) else None
