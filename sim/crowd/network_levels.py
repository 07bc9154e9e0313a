"""Indices shared by the scenic-network simulation's modules (internal to :mod:`sim.crowd.network`)."""
from __future__ import annotations

# Level quantities recorded per spot (index q * n_spots + spot) and the global one after them.
Q_OCC, Q_GATEQ, Q_GATESV, Q_PARKQ, Q_STOP, Q_HUB, Q_PARKQV, Q_PCAR, Q_PCOACH = range(9)
NQ = 9
PERSON_QS = (Q_OCC, Q_GATEQ, Q_GATESV, Q_PARKQ, Q_STOP, Q_HUB)
_CAR, _COACH, _SHUTTLE = 0, 1, 2  # modes, in network_config.MODES order
_DRIVE, _RIDE = 0, 1  # kinds of travel leg
TO_SPOT, TO_HUB = 0, 1  # shuttle directions; also a line's ends: 0 the hub stop, 1 the spot's stop
