"""Configuration of the scenic-network simulation (:mod:`sim.crowd.network`): spots, modes,
shuttles and route choice, their defaults from the city's scenic spots and grades (and
per-spot, mode, shuttle and choice values from a scenario), the checks of a configuration and
of an arrivals table, what-if measures, and the M/M/c closed form the gate queues are tested
against. The first-spot demand the network runs on (from a forecast of gate counts) is in
:mod:`sim.crowd.network_demand`."""
from __future__ import annotations

import difflib
import math
from dataclasses import dataclass, field, replace
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from sim.crowd.capacity import RED_FRACTION, YELLOW_FRACTION, scenic_capacities
from sim.crowd.fleet import LAYOVER_MIN, check_layover
from sim.crowd.history import spot_names
from twin.errors import InputError

MODES: tuple[str, ...] = ("car", "coach", "shuttle")
VEHICLE_KINDS: tuple[str, ...] = ("car", "coach", "shuttle_bus")
# Passenger-car units (the hazmat evacuation uses the same bus value, sim.hazmat.impacts).
PCU: dict[str, float] = {"car": 1.0, "coach": 2.0, "shuttle_bus": 2.0}
ALERT_CODES: tuple[str, ...] = ("green", "yellow", "red")

# Defaults by A-grade: ASSUMPTIONS for the sample city (override per spot).  Gates serve about
# 8 persons/min each (7.5 s for a ticket/ID check); parking and attractiveness grow with grade.
GATE_RATE_PERSONS_MIN = 8.0
# Parking is sized for the instantaneous capacity: spaces = capacity * share / persons per
# vehicle * 1.2 with the default mode shares below (0.5 by car at 3, 0.2 by coach at 30).
PARKING_CARS_PER_CAPACITY_PERSON = 0.5 / 3.0 * 1.2
PARKING_COACHES_PER_CAPACITY_PERSON = 0.2 / 30.0 * 1.2
ATTRACTIVENESS_BY_GRADE = {"5A": 1.0, "4A": 0.5, "3A": 0.0}
OPEN_H = 8.0
PEAK_TO_MEAN_ENTRY = 2.0  # gates sized for twice the mean entry rate at the daily capacity


# ------------------------------------------------------------------ configuration
@dataclass(frozen=True)
class SpotConfig:
    """One scenic spot: capacity (LB/T 034-2014 instantaneous), gates, parking, stay, appeal."""

    name: str
    capacity_persons: float
    gates: int
    gate_rate_persons_min: float  # per gate
    parking_cars: float  # spaces; math.inf = unlimited
    parking_coaches: float  # coach bays; math.inf = unlimited
    dwell_mean_min: float
    dwell_cv: float = 0.5
    attractiveness: float = 0.0  # utility units of the logit
    reservation_quota_persons_day: float = math.inf
    open_h: float = OPEN_H
    close_h: float = OPEN_H + 9.0


@dataclass(frozen=True)
class ModeConfig:
    """Share of arriving tourists using a mode and persons per vehicle (cars, coaches)."""

    share: float
    persons_per_vehicle: float


@dataclass(frozen=True)
class ShuttleConfig:
    """Hub <-> spot shuttle lines: one line per spot, buses both ways.

    ``dispatch``: "when_full" (default) - a bus leaves as soon as a full load waits, but not
    sooner than ``min_headway_min`` after the previous one (the stop's loading), and at the
    latest ``headway_min`` after it: scenic-area shuttles in a golden week run full buses at peak
    and a timetable off-peak; "schedule" - a fixed timetable every ``headway_min`` from
    ``first_h``. ``fleet_per_line``: None (default) does not limit the buses, and the buses needed to
    run the simulated departures (each turning round ``layover_min`` at either end) are reported by
    :func:`sim.crowd.fleet.fleet_size`; a number gives each line that many buses, all at the hub at
    the start: a departure then needs a bus at its end (it waits for one, while buses idle at the
    other end run over, with whoever waits at their stop, as long as the riders waiting outnumber the
    places on their way), a bus is back in service ``layover_min`` after arriving, a departure with
    nobody waiting is not run, and a late bus delays the timetable that follows ("schedule" counts
    the next headway from it). At the day's last departure the buses clear the stop (unlimited: at
    once); ``clear_out_max_min`` (None: until it is clear) ends a limited fleet's clear-out that
    long after it, and the riders still waiting then go by other means (at the hub: they give
    their visit up, closed out)."""

    headway_min: float = 10.0
    capacity_persons: int = 50
    first_h: float = 7.0
    last_h: float = 20.0  # last departure; at it, extra buses clear the stop
    dispatch: str = "when_full"  # or "schedule"
    min_headway_min: float = 2.0  # when_full: buses at least this far apart (assumed loading time; capped at headway_min)
    layover_min: float = LAYOVER_MIN  # minimum turnaround at either end, for the fleet size (assumed)
    fleet_per_line: int | None = None  # buses per line (None: as many as the departures need)
    clear_out_max_min: float | None = None  # limited fleet: longest clear-out after the day's last departure


@dataclass(frozen=True)
class ChoiceConfig:
    """Spot choice (multinomial logit) and the diversion rule."""

    beta_attr: float = 1.0
    beta_crowd: float = 4.0  # per unit of occupancy / capacity
    beta_time_per_min: float = 0.05
    divert_share_yellow: float = 0.3  # share of arrivals re-choosing when the spot is yellow
    divert_share_red: float = 0.7
    next_spot_prob: float = 0.3
    max_spots: int = 3
    latest_entry_before_close_min: float = 60.0  # a spot closing sooner (or opening > 1 h later) is not chosen


@dataclass(frozen=True)
class NetworkConfig:
    """Everything :func:`simulate_network` needs besides the city and the arrivals."""

    spots: tuple[SpotConfig, ...]
    modes: Mapping[str, ModeConfig] = field(default_factory=lambda: {
        "car": ModeConfig(0.5, 3.0), "coach": ModeConfig(0.2, 30.0), "shuttle": ModeConfig(0.3, 1.0)})
    shuttle: ShuttleConfig = ShuttleConfig()
    choice: ChoiceConfig = ChoiceConfig()
    group_persons: int = 20
    diversion: bool = True
    admission_stop_at_red: bool = False
    quota_policy: str = "turn_away"  # or "other_spot"
    arrival_process: str = "poisson"  # or "even": exact totals, evenly spaced within each step
    gate_service_cv: float = 1.0
    alert_deadband: float = 0.05  # an alert clears this fraction of capacity below its level (assumed practice)
    hub: str | tuple[float, float] | None = None  # place name/id, (x, y), or the spots' centroid
    step_min: float = 15.0  # output step

    def spot(self, name: str) -> SpotConfig:
        for s in self.spots:
            if s.name == name:
                return s
        raise InputError(f"spot {name!r}: expected one of {[s.name for s in self.spots]}")


def opening_hours_from_arrivals(arrivals: pd.DataFrame, city) -> dict[str, tuple[float, float]]:
    """(open_h, close_h) per spot: the first and the end of the last step with arrivals, in
    whole hours of the day (the counts of the sample history are zero outside opening hours)."""
    df = _check_arrivals(arrivals, city, None)
    df = df[df["arrivals_persons"] > 0]
    times = np.unique(df["time"].to_numpy())
    step_h = float(np.min(np.diff(times)) / np.timedelta64(1, "h")) if len(times) > 1 else 0.25
    out = {}
    for s, g in df.groupby("spot", sort=False):
        h = (g["time"] - g["time"].dt.normalize()) / pd.Timedelta("1h")
        out[str(s)] = (float(math.floor(h.min())), float(min(24.0, math.ceil(h.max() + step_h - 1e-9))))
    return out


def default_config(city, *, spots: Sequence[str] | None = None, arrivals: pd.DataFrame | None = None,
                   spot_settings: Mapping[str, Mapping[str, Any]] | None = None, **overrides: Any) -> NetworkConfig:
    """A configuration from the city's scenic spots (:func:`scenic_capacities`) and the grade
    defaults above; ``spots`` keeps a subset (names or place_ids; default: the spots of
    ``arrivals`` if given, else all), ``arrivals`` sets the opening hours
    (:func:`opening_hours_from_arrivals`; else 08:00 + the LB/T grade opening time).

    ``spot_settings`` {spot: {field: value}} replaces :class:`SpotConfig` fields of single spots;
    ``overrides`` replace fields of :class:`NetworkConfig`: ``modes`` as {mode: ModeConfig or
    {share, persons_per_vehicle}}, ``shuttle`` and ``choice`` as their config or a mapping of the
    fields to change, the others as values.

    Gates: enough for ``PEAK_TO_MEAN_ENTRY`` times the mean entry rate at the daily capacity,
    ceil(2 * C_daily / (T_open * 60) / rate)."""
    cap = scenic_capacities(city)
    names = spot_names(city)
    hours = opening_hours_from_arrivals(arrivals, city) if arrivals is not None else {}
    if spots is None and arrivals is not None:
        spots = list(dict.fromkeys(_spot_key(str(s), names) for s in arrivals["spot"]))
    if spots is not None:
        keep = [_spot_key(s, names) for s in spots]
        cap = cap[cap["name"].isin(keep)].set_index("name").loc[keep].reset_index()
    out = []
    for r in cap.itertuples():
        o_h, c_h = hours.get(str(r.name), (OPEN_H, OPEN_H + float(r.opening_h)))
        g = str(r.grade)
        mean_rate = r.daily_capacity_persons / (r.opening_h * 60.0)
        gates = max(1, math.ceil(PEAK_TO_MEAN_ENTRY * mean_rate / GATE_RATE_PERSONS_MIN))
        out.append(SpotConfig(
            name=str(r.name), capacity_persons=float(r.instant_capacity_persons), gates=int(gates),
            gate_rate_persons_min=GATE_RATE_PERSONS_MIN,
            parking_cars=float(math.ceil(PARKING_CARS_PER_CAPACITY_PERSON * r.instant_capacity_persons)),
            parking_coaches=float(math.ceil(PARKING_COACHES_PER_CAPACITY_PERSON * r.instant_capacity_persons)),
            dwell_mean_min=float(r.stay_h) * 60.0, attractiveness=ATTRACTIVENESS_BY_GRADE.get(g, 0.0),
            open_h=o_h, close_h=c_h))
    out = _with_spot_settings(out, spot_settings, names)
    first = max(0.0, min(s.open_h for s in out) - 1.0)
    last = min(24.0, max(s.close_h for s in out) + 0.5)
    cfg = NetworkConfig(spots=tuple(out), shuttle=ShuttleConfig(first_h=first, last_h=last))
    bad = set(overrides) - set(NetworkConfig.__dataclass_fields__) - {"spots"}
    if "spots" in overrides:
        raise InputError("config key 'spots': expected spot_settings={spot: {field: value}} for per-spot values "
                         "(spots= selects the spots)")
    if bad:
        raise InputError(f"config key {sorted(bad)[0]!r}: expected one of {sorted(NetworkConfig.__dataclass_fields__)}")
    ov = dict(overrides)
    for k in ("gate_service_cv", "step_min", "alert_deadband"):
        if k in ov:
            _number(k, ov[k])
    for k in ("diversion", "admission_stop_at_red"):
        if k in ov and not isinstance(ov[k], (bool, np.bool_)):
            raise InputError(f"{k} {ov[k]!r}: expected true or false")
    if "modes" in ov:
        ov["modes"] = _modes(ov["modes"])
    for key, base in (("shuttle", cfg.shuttle), ("choice", cfg.choice)):
        if key in ov:
            ov[key] = _nested(key, base, ov[key])
    cfg = replace(cfg, **ov)
    check_config(cfg)
    return cfg


def _nested(key: str, base: Any, v: Any) -> Any:
    """``base`` (a frozen config dataclass) with the fields of mapping ``v`` replaced, or ``v``
    itself when it already is such a config."""
    if isinstance(v, type(base)):
        return v
    if not isinstance(v, Mapping):
        raise InputError(f"{key} {v!r}: expected a mapping of {', '.join(base.__dataclass_fields__)}")
    unknown = sorted(set(v) - set(base.__dataclass_fields__))
    if unknown:
        close = difflib.get_close_matches(str(unknown[0]), sorted(base.__dataclass_fields__), n=1)
        raise InputError(f"{key}.{unknown[0]}: unknown key; expected one of {', '.join(base.__dataclass_fields__)}"
                         + (f" (close: {close[0]})" if close else ""))
    out = {}
    for k, x in v.items():
        f = base.__dataclass_fields__[k]  # its type as written (a string: annotations are postponed)
        if f.type == "str":  # a choice (shuttle.dispatch): check_config names the options
            if not isinstance(x, str):
                raise InputError(f"{key}.{k} {x!r}: expected a word")
            out[k] = x
            continue
        if x is None and f.type.endswith("| None"):  # an optional setting unset (fleet_per_line: unlimited)
            out[k] = None
            continue
        whole = f.type.startswith("int")
        _number(f"{key}.{k}", x, integer=whole)
        out[k] = int(x) if whole else float(x)
    return replace(base, **out)


def _number(key: str, v: Any, integer: bool = False) -> None:
    if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)) or v != v:
        raise InputError(f"{key} {v!r}: expected a number")
    if integer and (not math.isfinite(v) or v != int(v)):
        raise InputError(f"{key} {v!r}: expected an integer")


def _modes(v: Any) -> dict[str, ModeConfig]:
    if not isinstance(v, Mapping) or not v:
        raise InputError(f"modes {v!r}: expected a mapping of {', '.join(MODES)} to share and persons_per_vehicle")
    out = {}
    for k, m in v.items():
        if k not in MODES:
            raise InputError(f"modes.{k}: unknown mode; expected one of {', '.join(MODES)}")
        if isinstance(m, ModeConfig):
            out[k] = m
            continue
        if not isinstance(m, Mapping) or "share" not in m or set(m) - {"share", "persons_per_vehicle"}:
            raise InputError(f"modes.{k} {m!r}: expected {{share, persons_per_vehicle}}")
        for f in m:
            _number(f"modes.{k}.{f}", m[f])
        out[k] = ModeConfig(float(m["share"]), float(m.get("persons_per_vehicle", 1.0)))
    return out


SPOT_SETTINGS: tuple[str, ...] = ("capacity_persons", "gates", "gate_rate_persons_min", "parking_cars",
                                  "parking_coaches", "dwell_mean_min", "dwell_cv", "attractiveness",
                                  "reservation_quota_persons_day", "open_h", "close_h")


def _with_spot_settings(out: list[SpotConfig], settings: Mapping[str, Mapping[str, Any]] | None,
                        names: Mapping[str, str]) -> list[SpotConfig]:
    """The spots with the per-spot values of ``settings`` (spot name or place_id -> fields)."""
    if not settings:
        return out
    have = [s.name for s in out]
    by = {}
    for key, vals in settings.items():
        name = _spot_key(str(key), names)
        if name not in have:
            raise InputError(f"network.spots.{key}: expected a simulated spot ({', '.join(have)})")
        if not isinstance(vals, Mapping):
            raise InputError(f"network.spots.{key} {vals!r}: expected a mapping of {', '.join(SPOT_SETTINGS)}")
        for f, v in vals.items():
            if f not in SPOT_SETTINGS:
                close = difflib.get_close_matches(str(f), SPOT_SETTINGS, n=1)
                raise InputError(f"network.spots.{key}.{f}: unknown key; expected one of {', '.join(SPOT_SETTINGS)}"
                                 + (f" (close: {close[0]})" if close else ""))
            _number(f"network.spots.{key}.{f}", v, integer=f == "gates")
        by[name] = {f: (int(v) if f == "gates" else float(v)) for f, v in vals.items()}
    return [replace(s, **by.get(s.name, {})) for s in out]


def _spot_key(s: str, names: Mapping[str, str]) -> str:
    if s in names:
        return names[s]
    close = difflib.get_close_matches(str(s), sorted(names), n=3)
    raise InputError(f"spot {s!r}: expected a scenic spot of the city"
                     + (f" (close: {', '.join(close)})" if close else ""))


def check_config(cfg: NetworkConfig) -> None:
    """Raise InputError for the first inconsistent value."""
    if not cfg.spots:
        raise InputError("config spots (): expected at least one spot")
    names = [s.name for s in cfg.spots]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise InputError(f"spots: {', '.join(repr(n) for n in dup)} listed more than once; expected each spot once")
    if not (isinstance(cfg.group_persons, (int, np.integer)) and cfg.group_persons >= 1):
        raise InputError(f"group_persons {cfg.group_persons!r}: expected an integer >= 1")
    for s in cfg.spots:
        for k in ("capacity_persons", "gate_rate_persons_min", "dwell_mean_min"):
            v = getattr(s, k)
            if not (np.isfinite(v) and v > 0):
                raise InputError(f"spot {s.name!r} {k} {v!r}: expected a positive number")
        if not (isinstance(s.gates, (int, np.integer)) and s.gates >= 1):
            raise InputError(f"spot {s.name!r} gates {s.gates!r}: expected an integer >= 1")
        for k in ("parking_cars", "parking_coaches", "reservation_quota_persons_day"):
            v = getattr(s, k)
            if not (v >= 0):
                raise InputError(f"spot {s.name!r} {k} {v!r}: expected a non-negative number or inf")
        if not (s.dwell_cv >= 0 and np.isfinite(s.dwell_cv)):
            raise InputError(f"spot {s.name!r} dwell_cv {s.dwell_cv!r}: expected >= 0")
        if not (0 <= s.open_h < s.close_h <= 24):
            raise InputError(f"spot {s.name!r} open_h/close_h {s.open_h}/{s.close_h}: expected 0 <= open < close <= 24")
        if cfg.admission_stop_at_red and cfg.group_persons > RED_FRACTION * s.capacity_persons:
            raise InputError(f"group_persons {cfg.group_persons}: expected <= the red level of spot {s.name!r}")
    if not (0.0 <= cfg.alert_deadband < YELLOW_FRACTION):
        raise InputError(f"alert_deadband {cfg.alert_deadband!r}: expected a fraction of capacity in "
                         f"[0, {YELLOW_FRACTION:g})")
    if set(cfg.modes) - set(MODES) or not cfg.modes:
        raise InputError(f"modes {sorted(cfg.modes)}: expected keys among {list(MODES)}")
    tot = sum(m.share for m in cfg.modes.values())
    if any(m.share < 0 for m in cfg.modes.values()) or not math.isclose(tot, 1.0, abs_tol=1e-9):
        raise InputError(f"mode shares sum {tot!r}: expected non-negative shares summing to 1")
    for k, m in cfg.modes.items():
        if k != "shuttle" and not (m.persons_per_vehicle > 0):
            raise InputError(f"mode {k!r} persons_per_vehicle {m.persons_per_vehicle!r}: expected > 0")
    sh = cfg.shuttle
    if not (sh.headway_min > 0 and sh.capacity_persons >= 1 and 0 <= sh.first_h <= sh.last_h <= 24):
        raise InputError(f"shuttle {sh!r}: expected headway_min > 0, capacity_persons >= 1, "
                         f"0 <= first_h <= last_h <= 24")
    if sh.dispatch not in ("when_full", "schedule"):
        raise InputError(f"shuttle dispatch {sh.dispatch!r}: expected 'when_full' or 'schedule'")
    if not (sh.min_headway_min > 0 and math.isfinite(sh.min_headway_min)):
        raise InputError(f"shuttle min_headway_min {sh.min_headway_min!r}: expected > 0 minutes "
                         "(a when_full line's buses; capped at headway_min)")
    check_layover(sh.layover_min)
    fl = sh.fleet_per_line
    if fl is not None and (isinstance(fl, bool) or not isinstance(fl, (int, np.integer)) or fl < 1):
        raise InputError(f"shuttle fleet_per_line {fl!r}: expected a whole number of buses >= 1, or None (unlimited)")
    co = sh.clear_out_max_min
    if co is not None and not (math.isfinite(co) and co >= 0):
        raise InputError(f"shuttle clear_out_max_min {co!r}: expected >= 0 minutes after the last departure, "
                         "or None (until the stop is clear)")
    c = cfg.choice
    if not (0 <= c.next_spot_prob <= 1 and 0 <= c.divert_share_yellow <= 1 and 0 <= c.divert_share_red <= 1):
        raise InputError(f"choice {c!r}: expected probabilities in [0, 1]")
    if c.max_spots < 1:
        raise InputError(f"choice max_spots {c.max_spots!r}: expected >= 1")
    if cfg.quota_policy not in ("turn_away", "other_spot"):
        raise InputError(f"quota_policy {cfg.quota_policy!r}: expected turn_away or other_spot")
    if cfg.arrival_process not in ("poisson", "even"):
        raise InputError(f"arrival_process {cfg.arrival_process!r}: expected poisson or even")
    if not (cfg.gate_service_cv >= 0 and np.isfinite(cfg.gate_service_cv)):
        raise InputError(f"gate_service_cv {cfg.gate_service_cv!r}: expected >= 0")
    if not (cfg.step_min > 0):
        raise InputError(f"step_min {cfg.step_min!r}: expected > 0")


MEASURES: tuple[str, ...] = ("extra_gates", "reservation_cap", "shuttle_headway_min", "diversion", "admission_stop")


def apply_measures(cfg: NetworkConfig, measures: Mapping[str, Any] | None) -> NetworkConfig:
    """The configuration with what-if measures applied:

    - ``extra_gates``: {spot: n} gates added (or one number for every spot);
    - ``reservation_cap``: persons/day, one number for every spot or {spot: cap};
    - ``shuttle_headway_min``: the shuttle headway;
    - ``diversion``: diversion messages on/off;
    - ``admission_stop``: stop admission at the red level on/off.
    """
    if not measures:
        return cfg
    bad = set(measures) - set(MEASURES)
    if bad:
        raise InputError(f"measure {sorted(bad)[0]!r}: expected one of {list(MEASURES)}")
    names = [s.name for s in cfg.spots]

    def per_spot(key: str, v: Any) -> dict[str, float]:
        if isinstance(v, Mapping):
            for k in v:
                if k not in names:
                    raise InputError(f"measure {key} spot {k!r}: expected one of {names}")
            return {k: float(x) for k, x in v.items()}
        return {k: float(v) for k in names}

    spots = list(cfg.spots)
    if "extra_gates" in measures:
        add = per_spot("extra_gates", measures["extra_gates"])
        for k, v in add.items():
            if v != int(v):
                raise InputError(f"measure extra_gates {k!r} {v!r}: expected an integer")
        spots = [replace(s, gates=s.gates + int(add.get(s.name, 0))) for s in spots]
    if "reservation_cap" in measures:
        cap = per_spot("reservation_cap", measures["reservation_cap"])
        spots = [replace(s, reservation_quota_persons_day=cap.get(s.name, s.reservation_quota_persons_day))
                 for s in spots]
    out = replace(cfg, spots=tuple(spots))
    if "shuttle_headway_min" in measures:
        out = replace(out, shuttle=replace(out.shuttle, headway_min=float(measures["shuttle_headway_min"])))
    if "diversion" in measures:
        out = replace(out, diversion=bool(measures["diversion"]))
    if "admission_stop" in measures:
        out = replace(out, admission_stop_at_red=bool(measures["admission_stop"]))
    check_config(out)
    return out


def erlang_c_wait_min(arrival_rate_min: float, service_rate_min: float, servers: int) -> float:
    """Mean waiting time in queue of M/M/c (Erlang C; Gross, Shortle, Thompson & Harris 2008,
    Fundamentals of Queueing Theory, 4th ed., Sec. 2.3):

        a = lambda/mu, rho = a/c,  C = (a^c / c!) / (1 - rho) / (sum_{k<c} a^k/k! + (a^c/c!)/(1 - rho)),
        W_q = C / (c mu - lambda).
    """
    lam, mu, c = float(arrival_rate_min), float(service_rate_min), int(servers)
    if not (lam >= 0 and mu > 0 and c >= 1):
        raise InputError(f"M/M/c lambda {lam}, mu {mu}, c {c}: expected lambda >= 0, mu > 0, c >= 1")
    a = lam / mu
    rho = a / c
    if rho >= 1:
        raise InputError(f"M/M/c utilisation {rho:.3f}: expected < 1")
    term = 1.0
    s = 0.0
    for k in range(c):
        s += term
        term *= a / (k + 1)
    top = term / (1.0 - rho)  # a^c/c! / (1 - rho)
    return (top / (s + top)) / (c * mu - lam)


def _check_arrivals(arrivals: pd.DataFrame, city, cfg: NetworkConfig | None) -> pd.DataFrame:
    if not isinstance(arrivals, pd.DataFrame):
        raise InputError(f"arrivals {type(arrivals).__name__}: expected a DataFrame (time, spot, arrivals_persons)")
    need = {"time", "spot", "arrivals_persons"}
    if need - set(arrivals.columns):
        raise InputError(f"arrivals columns {sorted(map(str, arrivals.columns))}: expected {sorted(need)}")
    df = arrivals[["time", "spot", "arrivals_persons"]].copy()
    if df.empty:
        raise InputError("arrivals: expected at least one row")
    df["time"] = pd.to_datetime(df["time"])
    names = spot_names(city)
    conf = {s.name for s in cfg.spots} if cfg is not None else set(names.values())
    key = {}
    for s in pd.unique(df["spot"].astype(str)):
        key[s] = _spot_key(s, names)
        if key[s] not in conf:
            raise InputError(f"arrivals spot {s!r}: expected a spot of the configuration {sorted(conf)}")
    df["spot"] = df["spot"].astype(str).map(key)
    a = df["arrivals_persons"].to_numpy(float)
    bad = ~np.isfinite(a) | (a < 0)
    if bad.any():
        r = int(np.flatnonzero(bad)[0])
        raise InputError(f"arrivals row {r} arrivals_persons {a[r]!r}: expected a finite number >= 0")
    df["arrivals_persons"] = a
    if "mode" in arrivals:  # optional: the rows' mode, and the lead of their hub departure
        m = arrivals["mode"].astype(str).to_numpy()
        bad = ~np.isin(m, [k for k in MODES if k in (cfg.modes if cfg is not None else MODES)])
        if bad.any():
            r = int(np.flatnonzero(bad)[0])
            raise InputError(f"arrivals row {r} mode {m[r]!r}: expected a mode of the configuration")
        df["mode"] = m
    if "lead_min" in arrivals:
        lead = pd.to_numeric(arrivals["lead_min"], errors="coerce").to_numpy(float)
        bad = ~np.isfinite(lead) | (lead < 0)
        if bad.any():
            r = int(np.flatnonzero(bad)[0])
            raise InputError(f"arrivals row {r} lead_min {lead[r]!r}: expected a finite number >= 0")
        df["lead_min"] = lead
    return df
