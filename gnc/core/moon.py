"""The Moon: gravity (point mass + J2), rotation, and the landing frame.

Frames.  MCI: Moon-centred inertial, z along the spin axis.  MCMF: Moon-fixed,
equal to MCI at t = 0 rotated by theta0, turning at omega about z.  Landing frame
L: east, north, up at the target site, origin on the site's datum sphere, fixed to
the Moon.  The world array (W_* below) holds the constants of one scenario.
"""
import math

from gnc.core import pmath, vec
from gnc.core.jit import kernel

# --- layout W (generated from gnc/arrays.toml by python -m gnc.codegen; do not edit) ---
# the constants of one scenario's Moon and site
W_MU = 0             # m^3/s^2: gravitational parameter
W_J2 = 1             # unnormalised J2 (0 disables)
W_RREF = 2           # m: reference radius of J2
W_OMEGA = 3          # rad/s: rotation rate
W_THETA0 = 4         # rad: MCMF rotation angle at t = 0
W_SITE_R = 5         # m: radius of the target site (datum sphere of the landing frame)
W_C_LF = 6           # [9] rotation MCMF -> L, row major (rows: east, north, up)
W_P_SITE = 15        # [3] m: site position, MCMF
W_DEM_RES = 18       # m: DEM cell (terrain module)
W_DEM_HALF = 19      # m: half width of the DEM square centred on the target
W_GROUND_MAX = 20    # m: highest ground above the datum sphere (contact checks start below it)
W_REG_ROW = 21       # first row of the regional map in the dem array (rows above it: the fine map); 0 = none
W_REG_COLS = 22      # columns of the regional map (across the ground track)
W_REG_RES = 23       # m: regional map cell
W_REG_U0 = 24        # m: along-track (uprange +) coordinate of the regional map's first row
W_REG_V0 = 25        # m: cross-track coordinate of its first column
W_REG_DIR = 26       # [2] east, north of the uprange unit vector
W_REG_QUIET = 28     # m: the regional map is 0 within this distance of the target (lookups skip it there)
W_FIELD_DEGREE = 29  # degree and order of the spherical-harmonic field flown (gnc.core.gravity); 0 = point mass + J2
W_FIELD_MU = 30      # m^3/s^2: the field file's GM
W_FIELD_RREF = 31    # m: the field file's reference radius
W_EARTH_MU = 32      # m^3/s^2: Earth's gravitational parameter; 0 = no Earth pull
W_EARTH_DIST = 33    # m: Earth's distance, on the Moon-fixed +x axis (mean sub-Earth point)
W_FILE_ROW = 34      # first row of the file map (a DEM file resampled along the ground track, after the regional map's
                     # rows); 0 = none
W_FILE_COLS = 35     # columns of the file map (across the ground track, in the regional map's axes)
W_FILE_RES = 36      # m: file map cell
W_FILE_U0 = 37       # m: along-track (uprange +) coordinate of the file map's first row
W_FILE_V0 = 38       # m: cross-track coordinate of its first column
W_LEN = 39
# --- end layout W ---


@kernel
def gravity(r, mu, j2, rref):
    """Acceleration of gravity at r (MCI or MCMF: J2 is symmetric about z)."""
    x, y, z = r
    r2 = x * x + y * y + z * z
    rn = math.sqrt(r2)
    k = -mu / (r2 * rn)
    ax, ay, az = k * x, k * y, k * z
    if j2 != 0.0:
        f = 1.5 * j2 * mu * rref * rref / (r2 * r2 * rn)
        zz = 5.0 * z * z / r2
        ax += f * x * (zz - 1.0)
        ay += f * y * (zz - 1.0)
        az += f * z * (zz - 3.0)
    return (ax, ay, az)


@kernel
def theta(t, w):
    return w[W_THETA0] + w[W_OMEGA] * t


@kernel
def inertial_to_fixed(v, th):
    c, s = pmath.cos(th), pmath.sin(th)
    return (c * v[0] + s * v[1], -s * v[0] + c * v[1], v[2])


@kernel
def fixed_to_inertial(v, th):
    c, s = pmath.cos(th), pmath.sin(th)
    return (c * v[0] - s * v[1], s * v[0] + c * v[1], v[2])


@kernel
def pos_to_landing(r_i, t, w):
    """Inertial position -> landing frame position."""
    rf = inertial_to_fixed(r_i, theta(t, w))
    return vec.mat_vec(w, W_C_LF, vec.sub(rf, vec.load3(w, W_P_SITE)))


@kernel
def state_to_landing(r_i, v_i, t, w):
    """Inertial position and velocity -> landing frame position and ground-relative velocity."""
    th = theta(t, w)
    om = w[W_OMEGA]
    v_rel = (v_i[0] + om * r_i[1], v_i[1] - om * r_i[0], v_i[2])   # v - omega x r
    rf = inertial_to_fixed(r_i, th)
    vf = inertial_to_fixed(v_rel, th)
    r_l = vec.mat_vec(w, W_C_LF, vec.sub(rf, vec.load3(w, W_P_SITE)))
    return r_l, vec.mat_vec(w, W_C_LF, vf)


@kernel
def landing_to_inertial_pos(r_l, t, w):
    rf = vec.add(vec.mat_t_vec(w, W_C_LF, r_l), vec.load3(w, W_P_SITE))
    return fixed_to_inertial(rf, theta(t, w))


@kernel
def landing_to_inertial_vec(d_l, t, w):
    """A direction (no translation) from the landing frame to MCI."""
    return fixed_to_inertial(vec.mat_t_vec(w, W_C_LF, d_l), theta(t, w))


@kernel
def inertial_to_landing_vec(d_i, t, w):
    return vec.mat_vec(w, W_C_LF, inertial_to_fixed(d_i, theta(t, w)))


@kernel
def q_inertial_to_landing(t, w):
    """Quaternion of the rotation taking inertial vectors to landing-frame vectors."""
    th = theta(t, w)
    c, s = pmath.cos(0.5 * th), pmath.sin(0.5 * th)
    q_fi = (c, 0.0, 0.0, -s)                 # inertial -> fixed: rotate by -theta about z
    q_lf = vec.q_from_mat(w, W_C_LF)
    return vec.q_mul(q_lf, q_fi)
