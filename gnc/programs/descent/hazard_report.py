"""What the hazard-detection unit and the touchdown judge add to a run's summary."""
from __future__ import annotations

import numpy as np

from gnc.core import hdu as H
from gnc.core.touchdown import judge
from gnc.core.vehicle import X_LEN
from gnc.scenario import Scenario

STATUS = {H.ST_IDLE: "not_commanded", H.ST_SCANNING: "scanning", H.ST_SITE: "site", H.ST_NO_SITE: "no_site"}


def touchdown_verdict(sc: Scenario, vp: np.ndarray, world: np.ndarray, dem: np.ndarray, touch: np.ndarray) -> dict:
    """The vehicle model's verdict on the ground at contact (touch: state, then time)
    against the scenario's limits: slope_deg, max_rock_m, tipped, safe."""
    slope, rock, tipped = judge(touch[:X_LEN], touch[X_LEN], vp, world, dem)
    lim = sc.touchdown
    return {"slope_deg": float(slope), "max_rock_m": float(rock), "tipped": bool(tipped),
            "safe": bool(slope <= lim.max_slope_deg and rock <= lim.max_rock_m and not tipped)}


def hdu_summary(hp: np.ndarray, hs: np.ndarray, maps: np.ndarray) -> dict:
    """The unit's outcome: status, when it was commanded and mapped, the site it chose
    (landing frame) and how far that is from the point below the vehicle at the map."""
    if not hp[H.HP_ENABLED]:
        return {"status": "off"}
    out = {"status": STATUS[int(hs[H.HS_STATUS])]}
    if hs[H.HS_STATUS] == H.ST_IDLE:
        return out
    out["commanded_s"] = float(hs[H.HS_T_CMD])
    if hs[H.HS_STATUS] == H.ST_SCANNING:
        return out
    out["mapped_s"] = float(hs[H.HS_T_MAP])
    out["returns"] = int(hs[H.HS_RETURNS])
    out["safe_fraction"] = float(hs[H.HS_SAFE_CELLS] / maps[0].size)
    out["fallback_step"] = int(hs[H.HS_STEP])     # 0: a site at the unit's own limits
    if hs[H.HS_STATUS] == H.ST_SITE:
        site = hs[H.HS_SITE:H.HS_SITE + 3]
        nadir = hs[H.HS_SCAN_POS:H.HS_SCAN_POS + 2]
        out.update({"site_east_m": float(site[0]), "site_north_m": float(site[1]), "site_up_m": float(site[2]),
                    "divert_m": float(np.sqrt(np.sum((site[:2] - nadir) ** 2)))})
    return out
