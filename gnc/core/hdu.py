"""The hazard-detection unit: a smart sensor, as on Chang'e-3 to -6.

When the flight computer's actuator frame first carries its command (hdu_cmd, set
while the descent hovers), the unit starts its scan of the ground below.  The scan
takes scan_duration, while the vehicle settles over the hover point; the map is built
at the pose the scan ends at (the unit compensates its frames for motion to its
latest pose), so it is modelled as one lidar scan at the vehicle's true pose then.
The unit builds the safety map for the lander at the yaw it hovers at, and picks the
safe site nearest its nadir (gnc.core.hazard): the flight software hovers over its
target, so the nadir stands for it.  No site at its limits: it screens again with them relaxed
in HP_FB_STEPS steps up to HP_FB_SLOPE_MAX and HP_FB_ROUGH_MAX, and takes the first site found.
From then on every sensor frame carries the site relative to the vehicle in body axes
(SF_HDU_REL, VALID_HDU): the unit keeps the ground point it measured and tracks its own
motion (modelled from truth), adding noise of site_sigma per axis to each report.  No
site even at the fallback's limits: no report, and the flight software lands at its target.

Parameters HP_* are filled by gnc.programs.descent.assemble; the state HS_* and the map layers
(hazard.M_*) are allocated by `allocate` and read back by the API for the summary
and the safety-map picture.
"""
import numpy as np

from gnc.core import hazard, pmath, vec
from gnc.core.jit import kernel
from gnc.core.layout import AF_HDU_CMD, SF_HDU_REL, SF_VALID, VALID_HDU
from gnc.core.moon import q_inertial_to_landing, state_to_landing
from gnc.core.vehicle import X_Q, X_R, X_V

# --- layout HP (generated from gnc/arrays.toml by python -m gnc.codegen; do not edit) ---
# the hazard-detection unit's parameters
HP_ENABLED = 0        # 1 = the unit is fitted
HP_RAYS = 1           # rays per side of the square scan
HP_FOV = 2            # rad: full angle of the scan square about body -z
HP_RANGE_SIG = 3      # m: range noise, 1-sigma
HP_DROPOUT = 4        # probability a ray returns nothing
HP_ATT_SIG = 5        # rad: the unit's attitude knowledge error, per axis
HP_DURATION = 6       # s: from the hover command to the map and the first report
HP_CELL = 7           # m: map cell
HP_CELLS = 8          # cells per side of the map (odd: the nadir is the centre cell)
HP_SLOPE_MAX = 9      # rad: steepest safe plane: the footprint's least squares one and the foot pads'
HP_ROUGH_MAX = 10     # m: tallest ground allowed above the plane the foot pads rest on
HP_FOOT_R = 11        # m: footprint radius (foot pads from the axis)
HP_MARGIN = 12        # m: half width of the all-safe square around a site
HP_MIN_COVER = 13     # fraction of a footprint's cells that must hold a return
HP_SITE_SIG = 14      # m: noise of each report, per axis
HP_FB_SLOPE_MAX = 15  # rad: no site at slope_max and rough_max: relaxed in fb_steps steps up to this
HP_FB_ROUGH_MAX = 16  # m: ... and this
HP_FB_STEPS = 17      # screens tried after the first finds no site (0: none, no report)
HP_LEN = 18
# --- end layout HP ---

# --- layout HS (generated from gnc/arrays.toml by python -m gnc.codegen; do not edit) ---
# the hazard-detection unit's state
HS_STATUS = 0       # ST_*
HS_T_CMD = 1        # s: the scan was commanded
HS_T_MAP = 2        # s: the map was made
HS_SCAN_POS = 3     # [3] m: true vehicle position at the map, landing frame (the map's origin is below it)
HS_SITE = 6         # [3] m: the chosen ground point, landing frame
HS_SITE_CELL = 9    # [2] its row and column in the map
HS_SAFE_CELLS = 11  # safe cells in the map
HS_RETURNS = 12     # lidar returns gridded
HS_STEP = 13        # the screen's relaxation step that gave the site (0: the unit's own limits)
HS_LEN = 14
# --- end layout HS ---

ST_IDLE = 0         # not commanded yet
ST_SCANNING = 1     # commanded, scan under way
ST_SITE = 2         # mapped, a site chosen
ST_NO_SITE = 3      # mapped, no safe site in view


def allocate(hp: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A fresh state and map for parameters hp (a 1x1 map when the unit is not fitted)."""
    n = int(hp[HP_CELLS]) if hp[HP_ENABLED] else 1
    return np.zeros(HS_LEN), np.zeros((hazard.M_LEN, n, n))


@kernel
def scan(t, r_l, q_lb, hp, hs, maps, w, dem):
    """Scan from truth pose (r_l, q_lb) at time t, map, choose the site into hs."""
    n = pmath.normal3()
    rv = (hp[HP_ATT_SIG] * n[0], hp[HP_ATT_SIG] * n[1], hp[HP_ATT_SIG] * n[2])
    q_err = vec.q_from_rotvec(rv)
    cell = hp[HP_CELL]
    hs[HS_RETURNS] = hazard.lidar_scan(r_l, q_lb, q_err, int(hp[HP_RAYS]), hp[HP_FOV], hp[HP_RANGE_SIG],
                                       hp[HP_DROPOUT], cell, w, dem, maps)
    # the pads are judged at the yaw the vehicle hovers at, as the unit measures it: the
    # flight software holds its heading from the hover to the touchdown
    x_map = vec.q_rot(vec.q_mul(q_lb, q_err), (1.0, 0.0, 0.0))
    yaw = pmath.atan2(x_map[1], x_map[0])
    c = 0.5 * (maps.shape[1] - 1)
    # a scan with no site at the unit's limits (the target in a crater's steep bowl) relaxes
    # them step by step toward the fallback's: the first step with a site holds the least
    # hazardous ground in view, where landing blind at the target met slopes of 9-28 deg
    steps = int(hp[HP_FB_STEPS])
    for step in range(steps + 1):
        f = step / steps if steps > 0 else 0.0
        safe, z0 = hazard.safety_map(maps, cell, hp[HP_FOOT_R], yaw,
                                     hp[HP_SLOPE_MAX] + f * (hp[HP_FB_SLOPE_MAX] - hp[HP_SLOPE_MAX]),
                                     hp[HP_ROUGH_MAX] + f * (hp[HP_FB_ROUGH_MAX] - hp[HP_ROUGH_MAX]),
                                     hp[HP_MIN_COVER])
        i, j = hazard.choose_site(maps, cell, hp[HP_MARGIN], c, c)
        if i >= 0:
            break
    hs[HS_STEP] = step
    hs[HS_T_MAP] = t
    vec.store3(hs, HS_SCAN_POS, r_l)
    hs[HS_SAFE_CELLS] = safe
    hs[HS_SITE_CELL] = i
    hs[HS_SITE_CELL + 1] = j
    if i < 0:
        hs[HS_STATUS] = ST_NO_SITE
        return
    # the point as measured, in the unit's axes; back to body axes with the same
    # attitude knowledge that placed it, so the attitude error cancels here
    p_unit = ((j - c) * cell, (i - c) * cell, maps[hazard.M_ZF, i, j] + z0)
    p_b = vec.q_rot_inv(vec.q_mul(q_lb, q_err), p_unit)
    vec.store3(hs, HS_SITE, vec.add(r_l, vec.q_rot(q_lb, p_b)))
    hs[HS_STATUS] = ST_SITE


@kernel
def sense(t, x, af, hp, hs, maps, w, dem, sf):
    """The unit's part of the sensor frame sf at time t (after gnc.core.sensors.sense
    has filled the rest); af is the flight software's latest actuator frame."""
    if hp[HP_ENABLED] == 0.0:
        return
    if hs[HS_STATUS] == ST_IDLE:
        if af[AF_HDU_CMD] != 1.0:
            return                   # not commanded yet: nothing to do on most steps
        hs[HS_STATUS] = ST_SCANNING
        hs[HS_T_CMD] = t
    r_l, _ = state_to_landing(vec.load3(x, X_R), vec.load3(x, X_V), t, w)
    q_lb = vec.q_mul(q_inertial_to_landing(t, w), vec.load4(x, X_Q))
    if hs[HS_STATUS] == ST_SCANNING and t >= hs[HS_T_CMD] + hp[HP_DURATION]:
        scan(t, r_l, q_lb, hp, hs, maps, w, dem)
    if hs[HS_STATUS] == ST_SITE:
        rel_b = vec.q_rot_inv(q_lb, vec.sub(vec.load3(hs, HS_SITE), r_l))
        s = hp[HP_SITE_SIG]
        n = pmath.normal3()
        vec.store3(sf, SF_HDU_REL, (rel_b[0] + s * n[0], rel_b[1] + s * n[1], rel_b[2] + s * n[2]))
        sf[SF_VALID] = float(int(sf[SF_VALID]) | VALID_HDU)
