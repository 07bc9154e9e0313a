"""The CF time and grid conventions of the NetCDF files the simulations write and the drills read."""
from __future__ import annotations

from datetime import datetime

import numpy as np
import pytest
import xarray as xr

from sim.netcdf import seconds, time_attrs
from twin.errors import InputError


def test_time_units_are_seconds_since_the_start_in_utc():
    """Chenzhou's 18:00 (UTC+8) is 10:00 UTC: CF's reference time carries no zone, so it is written in UTC,
    and a reader decoding the file gets the frames at the scenario's wall clock."""
    a = time_attrs(datetime.fromisoformat("2026-07-15T18:00:00+08:00"))
    assert a["units"] == "seconds since 2026-07-15 10:00:00" and a["standard_name"] == "time"
    assert time_attrs(None)["units"] == "s"  # no start: plain seconds (not a CF time)
    # a start without a zone is China Standard Time, as scenario files read it
    assert time_attrs(datetime(2026, 7, 15, 18, 0))["units"] == "seconds since 2026-07-15 10:00:00"


@pytest.mark.parametrize("units, values, expect_s", [
    ("seconds since 2026-07-15 10:00:00", [0.0, 600.0], [0.0, 600.0]),
    ("minutes since 2026-07-15 10:00:00", [0.0, 10.0, 25.5], [0.0, 600.0, 1530.0]),
    ("hours", [0.5, 2.0], [1800.0, 7200.0]),
    ("s", [0.0, 30.0], [0.0, 30.0]),
])
def test_readers_take_seconds_from_any_cf_unit(tmp_path, units, values, expect_s):
    p = tmp_path / "t.nc"
    xr.Dataset({"depth": (("time",), np.zeros(len(values), np.float32))},
               coords={"time": ("time", np.asarray(values, float), {"units": units})}).to_netcdf(p)
    with xr.open_dataset(p, decode_times=False) as ds:
        np.testing.assert_allclose(seconds(p, ds), expect_s)


def test_unknown_time_units_are_named(tmp_path):
    p = tmp_path / "t.nc"
    xr.Dataset(coords={"time": ("time", [0.0, 1.0], {"units": "fortnights since 2026-01-01"})}).to_netcdf(p)
    with xr.open_dataset(p, decode_times=False) as ds, pytest.raises(InputError, match="fortnights"):
        seconds(p, ds)
