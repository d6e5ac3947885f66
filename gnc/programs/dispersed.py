"""What a dispersed run drew for a vehicle, as offsets from the nominal: the [dispersions]
keys a campaign records per run (montecarlo.json's "dispersed") and plots its outcomes
against (the sensitivity grids)."""
from __future__ import annotations

import math

import numpy as np

from gnc import linalg3 as la
from gnc.core import vehicle as V


def vehicle_offsets(vp: np.ndarray, nominal: np.ndarray) -> dict:
    """The drawn vehicle parameters vp against the undispersed nominal (both V.VP_* arrays):
    thrust and Isp scales - 1, wet mass offset, inertia scale - 1, the thrust axis' angle off
    its nominal and the centre of mass' distance from its nominal."""
    cos_mis = min(1.0, float(la.dot(vp[V.VP_T_DIR:V.VP_T_DIR + 3], nominal[V.VP_T_DIR:V.VP_T_DIR + 3])))
    return {"thrust_frac": float(vp[V.VP_T_SCALE] - 1.0),
            "isp_frac": float(vp[V.VP_ISP] / nominal[V.VP_ISP] - 1.0),
            "mass_kg": float(vp[V.VP_MASS_WET] - nominal[V.VP_MASS_WET]),
            "inertia_frac": float(vp[V.VP_I_WET] / nominal[V.VP_I_WET] - 1.0),
            "misalignment_deg": math.degrees(math.acos(cos_mis)),
            "com_offset_m": float(np.linalg.norm(vp[V.VP_COM:V.VP_COM + 3] - nominal[V.VP_COM:V.VP_COM + 3]))}


# (key, label) of vehicle_offsets' inputs, for a sensitivity grid's columns
VEHICLE_INPUTS = [("thrust_frac", "thrust scale - 1"), ("isp_frac", "Isp scale - 1"), ("mass_kg", "mass offset [kg]"),
                  ("inertia_frac", "inertia scale - 1"), ("misalignment_deg", "thrust misalignment [deg]"),
                  ("com_offset_m", "CoM offset [m]")]
