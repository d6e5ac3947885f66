"""The landing frame as the flight software knows it: from its config and the time tag."""
import math

from gnc.core import pmath, vec
from gnc.core.jit import kernel
from gnc.core.layout import CF_C_LI0, CF_MU, CF_OMEGA_L, CF_R_SITE


@kernel
def q_li(t, cfg):
    """Quaternion inertial->landing at time t: C_LI(t) = C_LI(0) Rz(-omega t)."""
    om = vec.load3(cfg, CF_OMEGA_L)
    w = vec.norm(om)
    q0 = vec.q_from_mat(cfg, CF_C_LI0)
    a = -0.5 * w * t
    q_rz = (pmath.cos(a), 0.0, 0.0, pmath.sin(a))
    return vec.q_mul(q0, q_rz)


@kernel
def apparent_gravity(r, v, cfg):
    """Gravity plus Coriolis and centrifugal terms in the rotating landing frame."""
    rs = cfg[CF_R_SITE]
    rc = (r[0], r[1], r[2] + rs)
    rn = vec.norm(rc)
    k = -cfg[CF_MU] / (rn * rn * rn)
    om = vec.load3(cfg, CF_OMEGA_L)
    cor = vec.cross(om, v)
    cen = vec.cross(om, vec.cross(om, rc))
    return (k * rc[0] - 2.0 * cor[0] - cen[0],
            k * rc[1] - 2.0 * cor[1] - cen[1],
            k * rc[2] - 2.0 * cor[2] - cen[2])


@kernel
def altitude(r, cfg):
    """Height above the site's datum sphere (|r_c| - rs without cancellation in float)."""
    rs = cfg[CF_R_SITE]
    num = r[0] * r[0] + r[1] * r[1] + r[2] * (r[2] + 2.0 * rs)
    return num / (math.sqrt(r[0] * r[0] + r[1] * r[1] + (r[2] + rs) * (r[2] + rs)) + rs)


@kernel
def local_up(r, cfg):
    rs = cfg[CF_R_SITE]
    return vec.unit((r[0], r[1], r[2] + rs))
