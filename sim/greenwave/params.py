"""Scenario parameters of the green-wave model (pydantic; units in field names)."""
from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

Pos = Annotated[float, Field(gt=0)]
NonNeg = Annotated[float, Field(ge=0)]
XY = tuple[float, float]
VARIANTS = ("current", "uncoordinated", "maxband", "multiband", "optimised", "actuated", "max_pressure",
            "cyclic_pressure")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CorridorSpec(_Strict):
    """The corridor: a road name, or the path between two points ([x, y] in the city CRS)."""

    road: str | None = None
    from_xy: XY | None = None
    to_xy: XY | None = None

    @model_validator(mode="after")
    def _one(self) -> "CorridorSpec":
        if (self.road is None) == (self.from_xy is None or self.to_xy is None):
            raise ValueError("give either road (a road name) or from_xy and to_xy ([x, y] in the city CRS)")
        return self


def clock_s(hhmm: str) -> float:
    """Seconds after midnight of a clock time "HH:MM" (00:00 .. 24:00)."""
    h, m = (int(x) for x in hhmm.split(":"))
    return 3600.0 * h + 60.0 * m


def _check_clock(v: str) -> str:
    h, m = (int(x) for x in v.split(":"))
    if not (0 <= m < 60 and (0 <= h < 24 or (h == 24 and m == 0))):
        raise ValueError(f"clock time {v!r}: expected HH:MM between 00:00 and 24:00")
    return v


Clock = Annotated[str, Field(pattern=r"^\d{2}:\d{2}$"), AfterValidator(_check_clock)]
DAY_TYPES = ("workday", "holiday")


class Period(_Strict):
    """A time-of-day plan period (clock times HH:MM, Asia/Shanghai).

    ``applies``: the day type whose timetable it belongs to ("workday" or "holiday"), or
    "heavy_rain": a condition plan that replaces the timetable's plan while heavy rain is
    declared (``simulation.heavy_rain``). Within one timetable periods must not overlap; as in a
    controller's time-of-day table a plan runs from its start until the next period starts (a
    period may run past midnight: start 22:00, end 06:00)."""

    name: str
    start: Clock
    end: Clock
    applies: Literal["workday", "holiday", "heavy_rain"] = "workday"
    demand_scale: Pos = 1.0
    inbound_scale: Pos = Field(1.0, description="extra factor on the inbound volume (tidal flow)")
    speed_factor: float = Field(1.0, gt=0.3, le=1.2, description="design speeds x this (heavy rain: ~0.8)")
    extra_all_red_s: NonNeg = Field(0.0, description="longer clearance (heavy rain)")


class Emergency(_Strict):
    """A fire engine or ambulance given a green wave from a base to an incident."""

    from_place: str
    to_place: str | None = None
    to_xy: XY | None = None
    depart_s: NonNeg = 900.0
    speed_factor: float = Field(1.2, gt=0.5, le=2.0, description="its speed relative to the limits")

    @model_validator(mode="after")
    def _target(self) -> "Emergency":
        if (self.to_place is None) == (self.to_xy is None):
            raise ValueError("give exactly one of to_place (a place name) or to_xy ([x, y])")
        return self


class Incident(_Strict):
    """A lane closed on the corridor for a while (crash, works)."""

    direction: Literal["out", "in"] = "out"
    lane: int = Field(0, ge=0)
    pos_m: NonNeg
    from_s: NonNeg
    to_s: Pos

    @model_validator(mode="after")
    def _order(self) -> "Incident":
        if self.to_s <= self.from_s:
            raise ValueError(f"to_s {self.to_s:g} is not after from_s {self.from_s:g}; expected the lane to reopen "
                             "after it closes")
        return self


class Simulation(_Strict):
    duration_s: Pos = 3600.0
    warmup_s: NonNeg = 600.0
    seeds: list[int] = Field(default_factory=lambda: [1, 2, 3], min_length=1)
    dt_s: float = Field(0.5, gt=0, le=1.0)
    day: Literal["auto", "workday", "holiday"] = Field("auto", description="the timetable the time-of-day run "
                                                       "follows; auto: from the scenario start date (the holiday "
                                                       "calendar)")
    heavy_rain: bool = Field(False, description="heavy rain declared: a 'heavy_rain' period's plan replaces the "
                             "timetable's in the time-of-day run")
    permitted_left_gap_s: NonNeg = Field(4.5, description="left turns without a protected phase yield to oncoming "
                                         "traffic and take gaps of this critical headway, s (HCM: 4.5; local drivers "
                                         "may accept shorter ones); 0: they go on the green unopposed")

    def micro(self):
        """The micro-simulation's vehicle parameters for these settings."""
        from sim.greenwave.microsim import Params as MicroParams

        return MicroParams(permitted_left_gap_s=self.permitted_left_gap_s)


class Control(_Strict):
    """Settings of the adaptive variants (``sim.greenwave.control.ControlParams``)."""

    passage_s: Pos = Field(3.0, description="actuated: gap (s) that ends a side phase (SUMO's max-gap)")
    min_green_s: Pos = Field(5.0, description="actuated / cyclic: vehicle min green of every phase, s")
    mp_min_green_s: Pos = Field(8.0, description="max-pressure: min green, s (Varaiya's decision interval)")
    mp_queue_dist_m: Pos = Field(150.0, description="max-pressure and cyclic: vehicles counted within this "
                                 "distance upstream of the stop line, m")
    cyc_step_s: Pos = Field(2.0, description="cyclic max-pressure: largest change of a phase's green per cycle, s")
    cyc_max_shift_s: NonNeg = Field(20.0, description="cyclic max-pressure: largest departure of a green from the "
                                    "plan's, s")
    cyc_deadband: NonNeg = Field(0.1, description="cyclic max-pressure: relative pressure difference below which "
                                 "the split steps back toward the plan")
    ped_recall: bool = Field(True, description="every phase keeps its pedestrians' minimum green (walk + crossing)")


class Optimise(_Strict):
    """Delay-optimised timing: delay + K x stops, searched from the band plan (seeded)."""

    stop_penalty_s: NonNeg = Field(20.0, description="K: one stop counts as this many seconds of delay")
    side_weight: NonNeg = Field(1.0, description="weight of side-street vehicle delay")
    through_weight: float = Field(1.0, ge=1.0, description="weight of the delay and stops of vehicles that drive "
                                  "the whole corridor (arterial priority, as TRANSYT's link weights); 1 = all alike")
    iterations: int = Field(60, ge=0, le=5000)
    eval_seeds: int = Field(2, ge=1, le=32, description="demand samples (common random numbers) each candidate is "
                            "simulated on; more samples make the PI less noisy, so the search overfits less")
    eval_s: float = Field(1200.0, ge=300.0, le=14400.0, description="simulated seconds per sample, after a 300 s "
                          "warm-up")
    starts: int = Field(1, ge=1, le=16, description="independent climbs from the band plan (move orders seed, "
                        "seed + 1, ...), the least-PI end kept; each gets `iterations` candidates")
    optimise_splits: bool = True
    optimise_cycle: bool = False
    seed: int = 0
    dt_s: float = Field(1.0, gt=0, le=1.0, description="step of the search's simulations (SUMO's default 1 s); "
                        "the chosen plan is then reported at simulation.dt_s")


class Params(_Strict):
    """Green-wave scenario parameters."""

    corridor: CorridorSpec
    demand: dict[str, Any] = Field(default_factory=dict, description="corridor.apply_edits keys: volume_out_vph, "
                                   "volume_in_vph, speed_kph, and per cross street (or '*') side_volume_vph, "
                                   "turn_left, turn_right, side_to_main, lanes_out, lanes_in, side_lanes, "
                                   "sat_flow_vphpl, turn bays bay_left_m / bay_right_m (metres, both "
                                   "directions) or bay_left_out_m, bay_left_in_m, bay_right_out_m, "
                                   "bay_right_in_m")
    cycle_min_s: Pos = 60.0
    cycle_max_s: Pos = 150.0
    design_speed_kph: tuple[Pos, Pos] | None = Field(None, description="band speed range; default 0.75-1.0 x limit")
    speed_change_kph: NonNeg | None = Field(None, description="allowed change of the design speed from link to "
                                            "link; MAXBAND's limit on the change of reciprocal speed (Little et al. "
                                            "1981), taken at the mid design speed v_m, so at a speed v the change "
                                            "allowed is about this x (v / v_m)^2; none: one design speed each way")
    phase_sequence: Literal["two_phase", "lead_lead", "lag_lag", "lead_lag"] = "two_phase"
    queue_clearance: bool = Field(False, description="band plans leave room at each signal for the queue of "
                                  "vehicles that turned onto the corridor from the previous cross street "
                                  "(MAXBAND's tau; maxband.joiner_clearance_frac: an upper bound, every joiner "
                                  "stopped); false: the band may start with the green")
    variants: list[Literal["current", "uncoordinated", "maxband", "multiband", "optimised", "actuated",
                           "max_pressure", "cyclic_pressure"]] = Field(default_factory=lambda: list(VARIANTS), min_length=1)
    periods: list[Period] = Field(default_factory=list)
    simulation: Simulation = Field(default_factory=Simulation)
    control: Control = Field(default_factory=Control)
    optimise: Optimise = Field(default_factory=Optimise)
    emergency: Emergency | None = None
    incidents: list[Incident] = Field(default_factory=list)

    @model_validator(mode="after")
    def _ranges(self) -> "Params":
        if self.cycle_max_s < self.cycle_min_s:
            raise ValueError(f"cycle_max_s {self.cycle_max_s} is below cycle_min_s {self.cycle_min_s}")
        if self.design_speed_kph and self.design_speed_kph[0] > self.design_speed_kph[1]:
            raise ValueError("design_speed_kph must be [low, high]")
        names = [p.name for p in self.periods]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"periods: name {dup[0]!r} is used twice; expected one period per name")
        for kind in ("workday", "holiday", "heavy_rain"):
            ps = [p for p in self.periods if p.applies == kind]
            for i, a in enumerate(ps):
                for b in ps[i + 1:]:
                    if _overlap(a, b):
                        raise ValueError(f"periods {a.name!r} ({a.start}-{a.end}) and {b.name!r} ({b.start}-{b.end}) "
                                         f"overlap in the {kind} timetable; expected one plan at a time (give one of "
                                         "them another 'applies')")
        return self


def period_intervals(p: Period) -> list[tuple[float, float]]:
    """The period's clock interval(s) in seconds after midnight, split at midnight when it runs past it."""
    a, b = clock_s(p.start), clock_s(p.end)
    if b > a:
        return [(a, b)]
    return [(a, 86400.0), (0.0, b)] if b > 0 else [(a, 86400.0)]


def timetable_gaps(periods: list[Period]) -> list[str]:
    """One line per gap in a day type's timetable: a period whose ``end`` is not the next period's
    ``start``. Its plan runs on until the next start (a time-of-day table switches only at start
    times), which the user may not have meant."""
    out = []
    for kind in ("workday", "holiday"):
        table = sorted((q for q in periods if q.applies == kind), key=lambda q: clock_s(q.start))
        for a, b in zip(table, table[1:] + table[:1]):
            if len(table) > 1 and clock_s(a.end) % 86400.0 != clock_s(b.start) % 86400.0:
                out.append(f"periods: {a.name!r} ends {a.end} but the next in the {kind} timetable, {b.name!r}, "
                           f"starts {b.start}; {a.name!r}'s plan runs until then (the table switches at start "
                           "times): add a period for the gap or move an end")
    return out


def _overlap(a: Period, b: Period) -> bool:
    return any(min(x1, y1) > max(x0, y0) for x0, x1 in period_intervals(a) for y0, y1 in period_intervals(b))
