"""Vehicle model: 6-DOF rigid body with mass depletion, main engine and RCS.

Truth state X (MCI): position, velocity, attitude body->MCI, body rate, mass, and
the main engine's actual thrust (first-order lag toward the command).  Body axes:
+z is the main engine's thrust direction (up when hovering).  Parameters in the
VP_* layout are filled by gnc.programs.descent.assemble from the scenario.
"""

from gnc.core import vec
from gnc.core.gravity import acceleration
from gnc.core.jit import inline_kernel, kernel
from gnc.core.layout import AF_RCS_ON

# --- layout X (generated from gnc/arrays.toml by python -m gnc.codegen; do not edit) ---
# truth state of one vehicle, MCI
X_R = 0           # [3] m: position
X_V = 3           # [3] m/s: velocity
X_Q = 6           # [4] attitude body->MCI, scalar first
X_W = 10          # [3] rad/s: body rate, body axes
X_M = 13          # kg: mass
X_THRUST = 14     # N: the main engine's actual thrust (first-order lag toward the command)
X_PROP_MAIN = 15  # kg: propellant the main engine has burnt (the rest of the mass lost is the RCS's)
X_DV_MAIN = 16    # m/s: delta-v the main engine has given: its thrust over the mass, integrated
X_DV_RCS = 17     # m/s: delta-v the RCS has given: its net force over the mass, integrated (a couple gives none)
X_LEN = 18
# --- end layout X ---
WORK_LEN = 5 * X_LEN   # rk4_step's scratch array

N_RCS = 12
N_LEGS = 4
# --- layout VP (generated from gnc/arrays.toml by python -m gnc.codegen; do not edit) ---
# vehicle parameters
VP_MASS_DRY = 0                      # kg: mass with empty main tanks
VP_I_WET = 1                         # [3] kg m^2: principal inertia at VP_MASS_WET
VP_I_DRY = 4                         # [3] kg m^2: principal inertia at VP_MASS_DRY
VP_MASS_WET = 7                      # kg: mass with full main tanks
VP_ISP = 8                           # m/s: main engine effective exhaust velocity
VP_T_MAX = 9                         # N: main engine maximum thrust
VP_T_MIN = 10                        # N: least thrust when on
VP_TAU = 11                          # s: engine first-order time constant
VP_T_SCALE = 12                      # actual / commanded thrust (dispersion)
VP_T_DIR = 13                        # [3] unit thrust direction, body (misalignment)
VP_COM = 16                          # [3] m: centre of mass offset from the thrust line origin, body
VP_RCS_F = 19                        # N: force per RCS thruster
VP_RCS_ISP = 20                      # m/s: RCS effective exhaust velocity
VP_RCS_POS = 21                      # [3 * N_RCS] m: thruster positions relative to the centre of mass, body
VP_RCS_DIR = VP_RCS_POS + 3 * N_RCS  # [3 * N_RCS] thrust directions, body
VP_LEGS = VP_RCS_DIR + 3 * N_RCS     # [3 * N_LEGS] m: foot pad positions, body
VP_LEN = VP_LEGS + 3 * N_LEGS
# --- end layout VP ---


@kernel
def inertia(vp, m):
    """Principal moments, linear in propellant mass between dry and wet."""
    span = vp[VP_MASS_WET] - vp[VP_MASS_DRY]
    f = (m - vp[VP_MASS_DRY]) / span if span > 0.0 else 1.0
    f = min(max(f, 0.0), 1.0)
    return (vp[VP_I_DRY] + f * (vp[VP_I_WET] - vp[VP_I_DRY]),
            vp[VP_I_DRY + 1] + f * (vp[VP_I_WET + 1] - vp[VP_I_DRY + 1]),
            vp[VP_I_DRY + 2] + f * (vp[VP_I_WET + 2] - vp[VP_I_DRY + 2]))


@kernel
def rcs_force_torque(vp, duty):
    """Body force, torque and mass flow of the RCS at duty cycles duty[0..11] in [0, 1]."""
    f = vp[VP_RCS_F]
    fx = fy = fz = tx = ty = tz = 0.0
    total = 0.0
    for k in range(N_RCS):
        if duty[k] <= 0.0:
            continue
        d = vec.load3(vp, VP_RCS_DIR + 3 * k)
        p = vec.load3(vp, VP_RCS_POS + 3 * k)
        a = f * duty[k]
        fx += a * d[0]
        fy += a * d[1]
        fz += a * d[2]
        t = vec.cross(p, d)
        tx += a * t[0]
        ty += a * t[1]
        tz += a * t[2]
        total += a
    return (fx, fy, fz), (tx, ty, tz), total / vp[VP_RCS_ISP]


@inline_kernel
def derivatives(x, t, vp, w, field, thrust_cmd, f_rcs, t_rcs, mdot_rcs, dx):
    """dx = f(x) at time t for the truth state, inputs held over the integration step;
    field: the gravity field (gnc.core.gravity.Field)."""
    r = vec.load3(x, X_R)
    q = vec.load4(x, X_Q)
    om = vec.load3(x, X_W)
    m = x[X_M]
    thrust = x[X_THRUST]
    tdir = vec.load3(vp, VP_T_DIR)
    f_eng = vec.scale(tdir, thrust)
    f_body = vec.add(f_eng, f_rcs)
    tau = vec.add(t_rcs, vec.cross(vec.scale(vec.load3(vp, VP_COM), -1.0), f_eng))
    g = acceleration(r, t, w, field)
    a = vec.axpy(1.0 / m, vec.q_rot(q, f_body), g)
    dx[X_R] = x[X_V]
    dx[X_R + 1] = x[X_V + 1]
    dx[X_R + 2] = x[X_V + 2]
    vec.store3(dx, X_V, a)
    dq = vec.q_mul(q, (0.0, om[0], om[1], om[2]))
    vec.store4(dx, X_Q, (0.5 * dq[0], 0.5 * dq[1], 0.5 * dq[2], 0.5 * dq[3]))
    ix, iy, iz = inertia(vp, m)
    dx[X_W] = (tau[0] - (iz - iy) * om[1] * om[2]) / ix
    dx[X_W + 1] = (tau[1] - (ix - iz) * om[2] * om[0]) / iy
    dx[X_W + 2] = (tau[2] - (iy - ix) * om[0] * om[1]) / iz
    dx[X_M] = -thrust / vp[VP_ISP] - mdot_rcs
    dx[X_PROP_MAIN] = thrust / vp[VP_ISP]
    dx[X_DV_MAIN] = thrust / m
    dx[X_DV_RCS] = vec.norm(f_rcs) / m
    dx[X_THRUST] = (thrust_cmd - thrust) / vp[VP_TAU]


@kernel
def engine_command(vp, thrust_cmd, m):
    """What the engine delivers for a command: off below half the minimum, else clipped."""
    if thrust_cmd < 0.5 * vp[VP_T_MIN] or m <= vp[VP_MASS_DRY]:
        return 0.0
    return vp[VP_T_SCALE] * min(max(thrust_cmd, vp[VP_T_MIN]), vp[VP_T_MAX])


@kernel
def rk4_step(x, t, vp, w, field, thrust_cmd, duty, h, work):
    """Advance x from time t by h with the engine command and RCS duty cycles held.

    work: float64[4*X_LEN + X_LEN] scratch (k1..k4 and the stage state).
    Returns the body specific force (N/kg) averaged over the step, for the IMU.
    """
    f_rcs, t_rcs, mdot_rcs = rcs_force_torque(vp, duty)
    tc = engine_command(vp, thrust_cmd, x[X_M])
    n = X_LEN
    k1 = work[0:n]
    k2 = work[n:2 * n]
    k3 = work[2 * n:3 * n]
    k4 = work[3 * n:4 * n]
    xs = work[4 * n:5 * n]
    derivatives(x, t, vp, w, field, tc, f_rcs, t_rcs, mdot_rcs, k1)
    for i in range(n):
        xs[i] = x[i] + 0.5 * h * k1[i]
    derivatives(xs, t + 0.5 * h, vp, w, field, tc, f_rcs, t_rcs, mdot_rcs, k2)
    for i in range(n):
        xs[i] = x[i] + 0.5 * h * k2[i]
    derivatives(xs, t + 0.5 * h, vp, w, field, tc, f_rcs, t_rcs, mdot_rcs, k3)
    for i in range(n):
        xs[i] = x[i] + h * k3[i]
    derivatives(xs, t + h, vp, w, field, tc, f_rcs, t_rcs, mdot_rcs, k4)
    thrust0 = x[X_THRUST]
    m0 = x[X_M]
    for i in range(n):
        x[i] += h * (k1[i] + 2.0 * k2[i] + 2.0 * k3[i] + k4[i]) / 6.0
    q = vec.q_normalize(vec.load4(x, X_Q))
    vec.store4(x, X_Q, q)
    thrust_mean = 0.5 * (thrust0 + x[X_THRUST])
    m_mean = 0.5 * (m0 + x[X_M])
    return vec.scale(vec.add(vec.scale(vec.load3(vp, VP_T_DIR), thrust_mean), f_rcs), 1.0 / m_mean)


@kernel
def rcs_duty(af, ts, h, duty):
    """Share of the substep [ts, ts + h] each RCS thruster fires: its pulse (on-time
    from the start of the step in the actuator frame af) integrated within the step."""
    for i in range(N_RCS):
        duty[i] = min(max((af[AF_RCS_ON + i] - ts) / h, 0.0), 1.0)


@kernel
def accumulate_imu(imu, f_b, w0, w1, h):
    """Add a substep to the IMU's delta-v (specific force) and delta-angle (the body
    rate, trapezoidal) accumulators."""
    for i in range(3):
        imu[i] += f_b[i] * h
        imu[3 + i] += 0.5 * (w0[i] + w1[i]) * h
