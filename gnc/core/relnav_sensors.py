"""Relative-navigation sensors of the chaser (truth in, sensor-frame fields out).

Both sensors sit at the chaser's docking port, look along body +z and measure the
vector d from there to the target's port (its reflector / docking markers):

    microwave radar   range, range rate (Doppler) and line of sight, valid from
                      RP_RADAR_MIN to RP_RADAR_MAX (Chang'e-5/6: 100 km to 20 m)
                      inside a cone of RP_RADAR_FOV about +z          -> bit rn_radar
    lidar / docking   range, line of sight and the target's attitude relative to
    camera (pose)     docked, below RP_POSE_MAX inside RP_POSE_FOV      -> bit rn_pose

Line of sight in body axes: azimuth = atan2(d_x, d_z), elevation = atan2(d_y,
hypot(d_x, d_z)).  When both sensors report in one frame, range and line of sight are
the pose sensor's (the finer), range rate the radar's.  Noise: range 1-sigma =
hypot(fraction x range, floor); angles 1-sigma per axis; each sensor drops a sample
with its probability; samples come every RP_*_EVERY flight-software steps.
"""


from gnc.core import pmath, vec
from gnc.core.capture import port_points, relative_attitude
from gnc.core.jit import kernel
from gnc.core.layout import (SF_RN_ATT, SF_RN_LOS, SF_RN_RANGE, SF_RN_RANGE_RATE, SF_VALID, VALID_RN_POSE,
                             VALID_RN_RADAR)
from gnc.core.sensors import due
from gnc.core.vehicle import X_Q

# --- layout RP (generated from gnc/arrays.toml by python -m gnc.codegen; do not edit) ---
# the chaser's relative-navigation sensors; *_EVERY and *_DROP as in SP_*
RP_RADAR_EVERY = 0
RP_RADAR_MIN = 1    # m: shortest range
RP_RADAR_MAX = 2    # m: longest range
RP_RADAR_FOV = 3    # rad: half angle
RP_RADAR_FRAC = 4   # range 1-sigma, fraction of range
RP_RADAR_FLOOR = 5  # m: range 1-sigma floor
RP_RADAR_RR = 6     # m/s: range-rate 1-sigma
RP_RADAR_LOS = 7    # rad: line-of-sight 1-sigma per axis
RP_RADAR_DROP = 8
RP_POSE_EVERY = 9
RP_POSE_MAX = 10    # m: longest range
RP_POSE_FOV = 11    # rad: half angle
RP_POSE_FRAC = 12   # range 1-sigma, fraction of range
RP_POSE_FLOOR = 13  # m: range 1-sigma floor
RP_POSE_LOS = 14    # rad: line-of-sight 1-sigma per axis
RP_POSE_ATT = 15    # rad: attitude 1-sigma per axis
RP_POSE_DROP = 16
RP_LEN = 17
# --- end layout RP ---


@kernel
def los_angles(d_b):
    return pmath.atan2(d_b[0], d_b[2]), pmath.atan2(d_b[1], pmath.hypot(d_b[0], d_b[2]))


@kernel
def sense_rel(k, xc, xt, rp, dp, sf):
    """Add this step's relative measurements to sensor frame sf (after gnc.core.sensors.sense)."""
    pc, vc, pt, vt, _ = port_points(xc, xt, dp)
    d = vec.sub(pt, pc)
    rng = vec.norm(d)
    if rng <= 0.0:
        return
    q_c = vec.load4(xc, X_Q)
    d_b = vec.q_rot_inv(q_c, d)
    off_axis = pmath.acos(min(max(d_b[2] / rng, -1.0), 1.0))
    valid = int(sf[SF_VALID])
    if (rp[RP_RADAR_MIN] <= rng <= rp[RP_RADAR_MAX] and off_axis <= rp[RP_RADAR_FOV]
            and due(rp, RP_RADAR_EVERY, RP_RADAR_DROP, k)):
        az, el = los_angles(d_b)
        sig = pmath.hypot(rp[RP_RADAR_FRAC] * rng, rp[RP_RADAR_FLOOR])
        sf[SF_RN_RANGE] = rng + sig * pmath.normal()
        sf[SF_RN_RANGE_RATE] = vec.dot(d, vec.sub(vt, vc)) / rng + rp[RP_RADAR_RR] * pmath.normal()
        sf[SF_RN_LOS] = az + rp[RP_RADAR_LOS] * pmath.normal()
        sf[SF_RN_LOS + 1] = el + rp[RP_RADAR_LOS] * pmath.normal()
        valid |= VALID_RN_RADAR
    if rng <= rp[RP_POSE_MAX] and off_axis <= rp[RP_POSE_FOV] and due(rp, RP_POSE_EVERY, RP_POSE_DROP, k):
        az, el = los_angles(d_b)
        sig = pmath.hypot(rp[RP_POSE_FRAC] * rng, rp[RP_POSE_FLOOR])
        sf[SF_RN_RANGE] = rng + sig * pmath.normal()
        sf[SF_RN_LOS] = az + rp[RP_POSE_LOS] * pmath.normal()
        sf[SF_RN_LOS + 1] = el + rp[RP_POSE_LOS] * pmath.normal()
        att = relative_attitude(q_c, vec.load4(xt, X_Q))
        s = rp[RP_POSE_ATT]
        vec.store3(sf, SF_RN_ATT, (att[0] + s * pmath.normal(), att[1] + s * pmath.normal(),
                                   att[2] + s * pmath.normal()))
        valid |= VALID_RN_POSE
    sf[SF_VALID] = float(valid)
