"""What each engine of a vehicle burnt between two of its truth states: propellant and
delta-v of the main engine and of the RCS, from the integrals the vehicle model carries
(gnc.core.vehicle X_PROP_MAIN, X_DV_MAIN, X_DV_RCS).  The rocket equation on the total mass
loss would count the RCS's propellant at the main engine's Isp (#17: +8.8 m/s in ascent)."""
from __future__ import annotations

from gnc.core import vehicle as V


def burnt(x0, x1) -> dict:
    main = float(x1[V.X_PROP_MAIN] - x0[V.X_PROP_MAIN])
    total = float(x0[V.X_M] - x1[V.X_M])
    return {
        "propellant_used_kg": total,
        "propellant_main_kg": main,
        "propellant_rcs_kg": total - main,
        "delta_v_mps": float(x1[V.X_DV_MAIN] - x0[V.X_DV_MAIN]),
        "delta_v_rcs_mps": float(x1[V.X_DV_RCS] - x0[V.X_DV_RCS]),
    }
