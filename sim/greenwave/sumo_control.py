"""Adaptive signal control of the SUMO corridor through TraCI (libsumo), by the same rules as our
controllers (:mod:`sim.greenwave.ctl_kernels`): max-pressure and cyclic max-pressure. Each
``update(ls, t)`` runs before a simulation step and sets every signal's state string."""
from __future__ import annotations

import numpy as np

from sim.greenwave import microsim as ms
from sim.greenwave.control import phase_min_greens_s
from sim.greenwave.plan import PHASE_MOVEMENTS
from sim.greenwave.sumo import SumoFiles, _parts, signal_char


class MaxPressure:
    """Max-pressure control of SUMO's signals through TraCI, the rule of our controller
    (:func:`sim.greenwave.ctl_kernels.ctl_measure` / ``_decide_max_pressure``; Varaiya 2013): every
    step, the vehicles within ``mp_queue_dist_m`` upstream of each stop line (moving ones too, or
    halting only, as ``mp_count_moving``) give the queues x; a phase's pressure is the sum over its
    movements of their saturation flow x (x_up - r x_down), r the share going on to the next link
    (through share on the corridor, the joining share from the side street); after the min green
    the phase of largest pressure is served if it beats the current one, through the current
    phase's yellow and all-red. Two-phase plans (main street, side street)."""

    def __init__(self, files: SumoFiles, geo: ms.Geometry) -> None:
        c, plan, cp = files.corridor, files.plan, files.control_params
        self.geo, self.n = geo, geo.n
        self.dist, self.moving = float(cp.mp_queue_dist_m), bool(cp.mp_count_moving)
        self.min_g = [phase_min_greens_s(t, it, cp, "max_pressure") for t, it in zip(plan.timings, c.intersections)]
        self.max_g = float(cp.mp_max_green_s)
        self.side_len = ms.Params().side_len_m
        self.phases = [t.phases for t in plan.timings]
        self.mov = files.movements
        sat = np.array([it.sat_flow_vphpl / 3600.0 for it in c.intersections])
        self.mu = {"out": geo.nl[0] * sat, "in": geo.nl[1] * sat, "side": geo.side_nl * sat}
        self.rthru = np.array([1.0 - it.turn_left - it.turn_right for it in c.intersections])
        self.s2m = np.array([it.side_to_main for it in c.intersections])
        # the edges of each link with their start in the direction's coordinate, and the left-bay lane
        self.parts = {(d, k): _parts(geo, d, k) for d in range(2) for k in range(self.n)}
        self.state = [{"k": 0, "int": "G", "t_int": 0.0, "t_green": 0.0, "next": 0} for _ in range(self.n)]
        self.shown: list[str | None] = [None] * self.n

    def _state_string(self, i: int) -> str:
        st = self.state[i]
        served = set(PHASE_MOVEMENTS[self.phases[i][st["k"]].name])
        ch = {"G": "G", "Y": "y", "R": "r"}[st["int"]]
        return "".join(signal_char(m, served, ch) for m in self.mov[i])

    def _link_queue(self, ls, d: int, k: int) -> float:
        js = float(self.geo.js[d, k])
        nl = int(self.geo.nl[d])
        q = 0
        for part in self.parts[(d, k)]:
            if js - part.u1_m > self.dist:
                continue
            left_lane = part.bay(0, nl) if part.left else -1
            for v in ls.edge.getLastStepVehicleIDs(part.edge):
                if ls.vehicle.getLaneIndex(v) == left_lane:
                    continue  # left turners in their bay: the protected-left movement (none in two-phase plans)
                if js - (part.u0_m + ls.vehicle.getLanePosition(v)) <= self.dist and (
                        self.moving or ls.vehicle.getSpeed(v) < 0.1):
                    q += 1
        return float(q)

    def _side_queue(self, ls, i: int) -> float:
        q = 0
        for side in "NS":
            for v in ls.edge.getLastStepVehicleIDs(f"a{side}{i}"):
                if self.side_len - ls.vehicle.getLanePosition(v) <= self.dist and (
                        self.moving or ls.vehicle.getSpeed(v) < 0.1):
                    q += 1
        return float(q)

    def _queues(self, ls) -> np.ndarray:
        qm = np.zeros((2, self.n + 1))
        for d in range(2):
            for k in range(self.n):
                qm[d, k] = self._link_queue(ls, d, k)
        return qm

    def _pressures(self, ls, qm: np.ndarray, i: int) -> list[float]:
        """Pressure of each phase of signal ``i`` (as ``ctl_kernels.ctl_measure``)."""
        m0, m1 = i, self.n - 1 - i
        w = {"out": qm[0, m0] - self.rthru[i] * qm[0, m0 + 1],
             "in": qm[1, m1] - self.rthru[i] * qm[1, m1 + 1],
             "side": self._side_queue(ls, i) - self.s2m[i] * (qm[0, m0 + 1] + qm[1, m1 + 1])}
        return [sum(self.mu[m][i] * w[m] for m in ("out", "in", "side") if m in PHASE_MOVEMENTS[p.name])
                for p in self.phases[i]]

    def _show(self, ls, i: int) -> None:
        s_ = self._state_string(i)
        if s_ != self.shown[i]:
            ls.trafficlight.setRedYellowGreenState(f"J{i}", s_)
            self.shown[i] = s_

    def update(self, ls, t: float) -> None:
        qm = self._queues(ls)
        for i in range(self.n):
            st = self.state[i]
            ph = self.phases[i]
            if st["int"] == "Y" and t >= st["t_int"] + ph[st["k"]].yellow_s - 1e-9:
                st.update(int="R", t_int=st["t_int"] + ph[st["k"]].yellow_s)
            if st["int"] == "R" and t >= st["t_int"] + ph[st["k"]].all_red_s - 1e-9:
                st.update(k=st["next"], int="G", t_int=t, t_green=t)
            if st["int"] == "G" and t - st["t_green"] >= self.min_g[i][st["k"]] - 1e-9:
                press = self._pressures(ls, qm, i)
                cur = best = st["k"]
                for kk in range(len(ph)):
                    if press[kk] > press[best] + 1e-12:
                        best = kk
                if best == cur and self.max_g > 0 and t - st["t_green"] >= self.max_g - 1e-9:
                    best = max((kk for kk in range(len(ph)) if kk != cur), key=lambda kk: press[kk])
                if best != cur:
                    st.update(int="Y" if ph[cur].yellow_s > 0 else "R", t_int=t, next=best)
                    if st["int"] == "R" and ph[cur].all_red_s <= 0:
                        st.update(k=best, int="G", t_int=t, t_green=t)
            self._show(ls, i)


class CyclicPressure(MaxPressure):
    """Cyclic max-pressure in SUMO through TraCI, the rule of our controller: the plan's cycle,
    offsets and phase order, each cycle's greens set at its start by the same function as ours
    (:func:`sim.greenwave.ctl_kernels.cyclic_split`) from each phase's pressure (read from SUMO's
    vehicles as :class:`MaxPressure` does) summed over every step of the last cycle."""

    def __init__(self, files: SumoFiles, geo: ms.Geometry) -> None:
        from sim.greenwave import ctl_kernels as CK
        from sim.greenwave.control import ControlParams, _phase_arrays, coordinated_first

        super().__init__(files, geo)
        self.CK = CK
        self.nph, _, _, self.pf, self.cycoff, _ = _phase_arrays(
            files.plan, CK.CTL_CYCLIC, ControlParams.of(files.control_params), files.corridor.intersections)
        self.pacc = np.zeros((self.n, self.pf.shape[1] + 1))
        cp = ControlParams.of(files.control_params)
        self.split_args = (float(cp.cyc_step_s), float(cp.cyc_max_shift_s), float(cp.cyc_deadband))
        self.phases = [coordinated_first(t).phases for t in files.plan.timings]  # as _phase_arrays orders them
        self.cycle_no = [None] * self.n
        self.dt = None

    def update(self, ls, t: float) -> None:
        CK = self.CK
        if self.dt is None:
            self.dt = ls.simulation.getDeltaT()
        qm = self._queues(ls)
        for i in range(self.n):
            npi = int(self.nph[i])
            self.pacc[i, :npi] += np.asarray(self._pressures(ls, qm, i)) * self.dt
            self.pacc[i, -1] += self.dt
            cyc, off = self.cycoff[i]
            c = int(np.floor((t - off) / cyc + 1e-9))
            if self.cycle_no[i] is None:
                self.cycle_no[i] = c
            elif c != self.cycle_no[i]:
                CK.cyclic_split(i, self.cycoff, self.nph, self.pf, self.pacc, *self.split_args)
                self.cycle_no[i] = c
            tau = t - off - c * cyc
            pf = self.pf[i]
            k, itv = npi - 1, "R"
            for kk in range(npi):
                g_end = pf[kk, CK.PF_CUM] + pf[kk, CK.PF_G]
                if tau < g_end - 1e-9:
                    k, itv = kk, "G"
                    break
                if tau < g_end + pf[kk, CK.PF_Y] - 1e-9:
                    k, itv = kk, "Y"
                    break
                if tau < g_end + pf[kk, CK.PF_Y] + pf[kk, CK.PF_R] - 1e-9:
                    k, itv = kk, "R"
                    break
            self.state[i].update(k=k, int=itv)
            self._show(ls, i)
