"""Docking geometry and the capture mechanism's envelope (truth side).

Each vehicle has a docking port on its body +z axis: the chaser's at DP_PORT_C in its
body, the target's at DP_PORT_T in its body, each facing along its body +z.  Docked,
the two +z axes are opposed and the bodies are related by a half turn about body x
(Q_DOCKED).  The capture mechanism (three claws gripping three rods, Chang'e-5/6)
closes when the chaser's port reaches the target's port plane (axial distance <= 0)
and holds only if, at that instant:

    lateral offset of the ports            <= DP_MAX_LATERAL
    closing speed along the port axis      in [DP_MIN_CLOSING, DP_MAX_CLOSING]
    lateral speed                          <= DP_MAX_LATERAL_RATE
    relative attitude from docked          <= DP_MAX_ATT
    relative body rate                     <= DP_MAX_RATE

Too slow and the claws close on nothing; too fast, off-axis or misaligned and the
rods miss the claws or rebound.  The published record gives "cm-level" accuracy and a
21 s capture-correction-lock sequence, not the tolerances: the defaults in the
rendezvous scenario are chosen (docs/mission.md).
"""
from gnc.core import vec
from gnc.core.jit import kernel
from gnc.core.vehicle import X_Q, X_R, X_V, X_W

# --- layout DP (generated from gnc/arrays.toml by python -m gnc.codegen; do not edit) ---
# the docking ports and the capture envelope
DP_PORT_C = 0            # [3] m: chaser port, chaser body
DP_PORT_T = 3            # [3] m: target port, target body
DP_MAX_LATERAL = 6       # m: largest lateral offset of the ports
DP_MIN_CLOSING = 7       # m/s: least closing speed
DP_MAX_CLOSING = 8       # m/s: largest closing speed
DP_MAX_LATERAL_RATE = 9  # m/s: largest lateral speed
DP_MAX_ATT = 10          # rad: largest relative attitude from docked
DP_MAX_RATE = 11         # rad/s: largest relative body rate
DP_LEN = 12
# --- end layout DP ---

Q_DOCKED = (0.0, 1.0, 0.0, 0.0)    # target body -> chaser body when docked: half turn about x

# verdict bits: which limit a contact broke (0 = captured)
REFUSE_LATERAL = 1
REFUSE_SLOW = 2
REFUSE_FAST = 4
REFUSE_LATERAL_RATE = 8
REFUSE_ATTITUDE = 16
REFUSE_RATE = 32

# --- layout S (generated from gnc/arrays.toml by python -m gnc.codegen; do not edit) ---
# the docking state (docking_state's values, in order)
S_AXIAL = 0         # m: axial distance of the ports
S_LATERAL = 1       # m: lateral offset
S_CLOSING = 2       # m/s: closing speed
S_LATERAL_RATE = 3  # m/s: lateral speed
S_ATT = 4           # rad: attitude error from docked
S_RATE = 5          # rad/s: relative rate
S_LEN = 6
# --- end layout S ---


@kernel
def relative_attitude(q_c, q_t):
    """Rotation vector of the target's attitude away from docked, as the chaser sees it."""
    q_ct = vec.q_mul(vec.q_conj(q_c), q_t)                  # target body -> chaser body
    return vec.q_to_rotvec(vec.q_mul(vec.q_conj(Q_DOCKED), q_ct))


@kernel
def port_points(xc, xt, dp):
    """Inertial position and velocity of both ports, and the target port's axis."""
    q_c = vec.load4(xc, X_Q)
    q_t = vec.load4(xt, X_Q)
    b = vec.q_rot(q_c, vec.load3(dp, DP_PORT_C))
    a = vec.q_rot(q_t, vec.load3(dp, DP_PORT_T))
    w_c = vec.q_rot(q_c, vec.load3(xc, X_W))
    w_t = vec.q_rot(q_t, vec.load3(xt, X_W))
    pc = vec.add(vec.load3(xc, X_R), b)
    pt = vec.add(vec.load3(xt, X_R), a)
    vc = vec.add(vec.load3(xc, X_V), vec.cross(w_c, b))
    vt = vec.add(vec.load3(xt, X_V), vec.cross(w_t, a))
    return pc, vc, pt, vt, vec.q_rot(q_t, (0.0, 0.0, 1.0))


@kernel
def docking_state(xc, xt, dp):
    """(axial distance, lateral offset, closing speed, lateral speed, attitude error,
    relative rate) of the chaser's port against the target's, SI units and radians."""
    pc, vc, pt, vt, ax = port_points(xc, xt, dp)
    d = vec.sub(pc, pt)
    dv = vec.sub(vc, vt)
    s = vec.dot(d, ax)
    lat = vec.norm(vec.axpy(-s, ax, d))
    closing = -vec.dot(dv, ax)
    lat_rate = vec.norm(vec.axpy(closing, ax, dv))
    q_c = vec.load4(xc, X_Q)
    q_t = vec.load4(xt, X_Q)
    att = vec.norm(relative_attitude(q_c, q_t))
    w_t_in_c = vec.q_rot_inv(q_c, vec.q_rot(q_t, vec.load3(xt, X_W)))
    rate = vec.norm(vec.sub(vec.load3(xc, X_W), w_t_in_c))
    return s, lat, closing, lat_rate, att, rate


@kernel
def verdict(lat, closing, lat_rate, att, rate, dp):
    """Bit set of the envelope limits a contact breaks; 0 = captured."""
    bits = 0
    if lat > dp[DP_MAX_LATERAL]:
        bits |= REFUSE_LATERAL
    if closing < dp[DP_MIN_CLOSING]:
        bits |= REFUSE_SLOW
    if closing > dp[DP_MAX_CLOSING]:
        bits |= REFUSE_FAST
    if lat_rate > dp[DP_MAX_LATERAL_RATE]:
        bits |= REFUSE_LATERAL_RATE
    if att > dp[DP_MAX_ATT]:
        bits |= REFUSE_ATTITUDE
    if rate > dp[DP_MAX_RATE]:
        bits |= REFUSE_RATE
    return bits


@kernel
def margins(lat, closing, lat_rate, att, rate, dp):
    """Each limit's margin as a fraction of the limit (1 = at the ideal, <0 = broken):
    lateral, closing (distance to the nearer edge of the band over its half width),
    lateral rate, attitude, rate."""
    lo, hi = dp[DP_MIN_CLOSING], dp[DP_MAX_CLOSING]
    half = 0.5 * (hi - lo)
    return (1.0 - lat / dp[DP_MAX_LATERAL],
            min(closing - lo, hi - closing) / half if half > 0.0 else 0.0,
            1.0 - lat_rate / dp[DP_MAX_LATERAL_RATE],
            1.0 - att / dp[DP_MAX_ATT],
            1.0 - rate / dp[DP_MAX_RATE])
