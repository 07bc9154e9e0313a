"""CF-1.8 conventions shared by the NetCDF files the simulations write (flood.nc, hazmat.nc).

Time is seconds from the scenario start, with CF units ``seconds since <start in UTC>`` so that
GIS and NetCDF tools (QGIS, Panoply, ncview, xarray) show wall-clock times; x and y are the cell
centres in the city's projected CRS, described by a ``crs`` grid-mapping variable (CF-1.8 §5.6,
``crs_wkt``). Readers take the numbers as written (``decode_times=False``), so a file keeps
working whatever the reader's time decoding.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import numpy as np


def time_attrs(start: datetime | None) -> dict[str, str]:
    """Attributes of the time coordinate (values in seconds from ``start``). Without a start (a
    result built outside a scenario) the units are plain seconds, which CF does not read as time."""
    if start is None:
        return {"units": "s", "long_name": "seconds from the scenario start"}
    if start.tzinfo is None:  # a wall clock without a zone is China Standard Time, as in scenario files
        start = start.replace(tzinfo=timezone(timedelta(hours=8)))
    utc = start.astimezone(timezone.utc)  # CF's reference time has no zone: UTC
    return {"standard_name": "time", "long_name": "time from the scenario start", "calendar": "proleptic_gregorian",
            "units": f"seconds since {utc:%Y-%m-%d %H:%M:%S}"}


def grid_coords(raster: Any, times_s: np.ndarray, start: datetime | None) -> tuple[dict, tuple]:
    """Coordinates (time, y, x) of ``raster``'s cells and the ``crs`` grid-mapping variable."""
    ny, nx = raster.shape
    xs, _ = raster.xy(np.zeros(nx, int), np.arange(nx))
    _, ys = raster.xy(np.arange(ny), np.zeros(ny, int))
    coords = {"time": ("time", np.asarray(times_s, float), time_attrs(start)),
              "y": ("y", np.asarray(ys, float), {"standard_name": "projection_y_coordinate", "units": "m"}),
              "x": ("x", np.asarray(xs, float), {"standard_name": "projection_x_coordinate", "units": "m"})}
    wkt = raster.crs.to_wkt()
    return coords, ((), 0, {"crs_wkt": wkt, "spatial_ref": wkt})


def seconds(path: Path, ds: Any) -> np.ndarray:
    """The time coordinate of ``ds`` (opened with ``decode_times=False``) in seconds: the numbers
    as written, scaled by their CF unit (``<unit>`` or ``<unit> since <date>``; the date itself is
    not read: the files CityTwin writes count from the scenario start, which the reader places)."""
    t = ds["time"]
    units = str(t.attrs.get("units", "s")).strip().split(" since ")[0].strip().lower()
    scale = {"s": 1.0, "sec": 1.0, "second": 1.0, "seconds": 1.0, "minutes": 60.0, "minute": 60.0, "min": 60.0,
             "hours": 3600.0, "hour": 3600.0, "h": 3600.0, "days": 86400.0, "day": 86400.0}.get(units)
    if scale is None:
        from twin.errors import InputError

        raise InputError(f"{path}: time units {t.attrs.get('units')!r}: expected seconds, minutes, hours or days "
                         "(optionally 'since <date>')")
    return np.asarray(t.values, float) * scale
