"""Places that matter: typed point/polygon features with per-kind attributes.

In memory a GeoDataFrame with columns ``place_id, kind, name, attrs, geometry``
where ``attrs`` is a dict whose keys depend on ``kind`` (see
:data:`twin.schema.PLACE_KINDS`); on disk ``attrs`` is JSON text.
"""
from __future__ import annotations

import json
from typing import Any

import geopandas as gpd
import pandas as pd

from twin.errors import CityError
from twin.schema import INVENTORY_KEYS, PLACE_KINDS, PLACE_REQUIRED

PLACE_COLUMNS = ["place_id", "kind", "name", "attrs", "geometry"]


def make_places(records: list[dict[str, Any]], crs: Any) -> gpd.GeoDataFrame:
    """Build a validated places GeoDataFrame from dicts with kind, name, geometry and attributes."""
    rows = []
    for i, r in enumerate(records):
        r = dict(r)
        kind, name, geom = r.pop("kind"), r.pop("name", ""), r.pop("geometry")
        pid = r.pop("place_id", f"{kind}-{i}")
        attrs = r.pop("attrs", {}) | r
        rows.append({"place_id": pid, "kind": kind, "name": name, "attrs": attrs, "geometry": geom})
    gdf = gpd.GeoDataFrame(rows or None, columns=PLACE_COLUMNS, geometry="geometry", crs=crs)
    validate_places(gdf)
    return gdf


def validate_places(gdf: gpd.GeoDataFrame, *, where: str = "places") -> None:
    """Raise :class:`CityError` for unknown kinds, missing or mistyped attributes."""
    for col in PLACE_COLUMNS:
        if col not in gdf.columns:
            raise CityError(f"{where}: missing column '{col}'")
    if gdf["place_id"].duplicated().any():
        dup = gdf.loc[gdf["place_id"].duplicated(), "place_id"].iloc[0]
        raise CityError(f"{where}: duplicate place_id '{dup}'")
    for pid, kind, attrs in gdf[["place_id", "kind", "attrs"]].itertuples(index=False, name=None):
        if kind not in PLACE_KINDS:
            raise CityError(f"{where}: place '{pid}' has unknown kind '{kind}'; expected one of {sorted(PLACE_KINDS)}")
        for key in PLACE_REQUIRED[kind]:
            if key not in attrs:
                raise CityError(f"{where}: {kind} '{pid}' lacks '{key}'")
        for key, typ in PLACE_KINDS[kind].items():
            if key in attrs and not isinstance(attrs[key], typ if typ is not float else (int, float)):
                raise CityError(f"{where}: {kind} '{pid}' attribute '{key}' should be {typ.__name__}, got {attrs[key]!r}")
        for tank in attrs.get("inventory", []):
            for key, typ in INVENTORY_KEYS.items():
                if not isinstance(tank.get(key), typ if typ is not float else (int, float)):
                    raise CityError(f"{where}: hazmat_site '{pid}' inventory entry {tank} needs '{key}' ({typ.__name__})")


def places_to_frame(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Copy with ``attrs`` as JSON text, for writing."""
    out = gdf.copy()
    out["attrs"] = [json.dumps(a, sort_keys=True) for a in gdf["attrs"]]
    return out


def frame_to_places(df: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Inverse of :func:`places_to_frame`."""
    out = df[PLACE_COLUMNS].copy()
    out["attrs"] = [json.loads(a) for a in df["attrs"]]
    return out


def of_kind(places: gpd.GeoDataFrame, kind: str) -> gpd.GeoDataFrame:
    """Places of one kind with their attributes expanded into columns."""
    sel = places[places["kind"] == kind]
    attrs = pd.DataFrame(list(sel["attrs"]), index=sel.index)
    return gpd.GeoDataFrame(pd.concat([sel.drop(columns="attrs"), attrs], axis=1), geometry="geometry", crs=places.crs)


def place_named(places: gpd.GeoDataFrame, name: str, *, key: str, kind: str | None = None) -> pd.Series:
    """The place called ``name`` (of ``kind`` when given); an :class:`InputError` naming the
    scenario ``key`` with the closest names otherwise."""
    from twin.errors import InputError, did_you_mean

    pool = places if kind is None else places[places["kind"] == kind]
    hit = pool[pool["name"] == name]
    if hit.empty:
        what = f"{kind} " if kind else "place "
        raise InputError(f"{key} {name!r}: no {what}of that name"
                         + (did_you_mean(name, pool["name"]) or f"; the city has {pool['name'].tolist()}"))
    return hit.iloc[0]
