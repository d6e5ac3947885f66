"""Two-body orbits: classical elements, Kepler propagation, the LVLH frame, and the
Clohessy-Wiltshire (Hill) closed form of relative motion.

Everything works on 3-tuples (gnc.core.vec) in one inertial frame (MCI) and SI units.

Elements are (a, e, i, raan, argp, nu).  Where an angle is undefined the convention
(Vallado, "Fundamentals of Astrodynamics", 4th ed., algorithm 9) is: a circular orbit
has argp = 0 and nu = the argument of latitude; an equatorial orbit has raan = 0 and
argp = the longitude of periapsis; a circular equatorial orbit has both zero and
nu = the true longitude.  Angles in the orbit plane are measured about the angular
momentum, so retrograde orbits need no special case.

Kepler propagation uses the universal variable with Stumpff functions (Curtis,
"Orbital Mechanics for Engineering Students", algorithms 3.3-3.4; Vallado algorithm 8):
exact for any conic and any time step, which is what lets coast arcs of hours take
one call.

LVLH here is the Hill frame of a target orbit: x radial (up), y along-track (in the
orbit plane, toward the motion), z along the orbital angular momentum.  The CW
equations in it, for a circular target orbit of mean motion n, are
    x'' - 3 n^2 x - 2 n y' = ax,   y'' + 2 n x' = ay,   z'' + n^2 z = az.
"""
import math

from gnc.core import pmath, vec
from gnc.core.jit import kernel

E_SMALL = 1e-10        # eccentricity below which the orbit counts as circular
N_SMALL = 1e-10        # sin(i) below which the orbit counts as equatorial


@kernel
def _angle_about(p, q, h_hat):
    """Angle from p to q measured about the unit axis h_hat, in [0, 2 pi)."""
    a = pmath.atan2(vec.dot(h_hat, vec.cross(p, q)), vec.dot(p, q))
    return a + 2.0 * math.pi if a < 0.0 else a


@kernel
def elements(r, v, mu):
    """Classical elements (a, e, i, raan, argp, nu) of the state (r, v)."""
    rn = vec.norm(r)
    v2 = vec.dot(v, v)
    h = vec.cross(r, v)
    hn = vec.norm(h)
    h_hat = vec.scale(h, 1.0 / hn)
    a = 1.0 / (2.0 / rn - v2 / mu)
    rv = vec.dot(r, v)
    ev = vec.scale(vec.sub(vec.scale(r, v2 - mu / rn), vec.scale(v, rv)), 1.0 / mu)
    e = vec.norm(ev)
    inc = pmath.atan2(pmath.hypot(h[0], h[1]), h[2])     # acos(h_z/|h|) loses digits near 0 and pi
    node = (-h[1], h[0], 0.0)                   # z x h
    nn = vec.norm(node)
    if nn > N_SMALL * hn:
        n_hat = vec.scale(node, 1.0 / nn)
        raan = pmath.atan2(n_hat[1], n_hat[0])
        if raan < 0.0:
            raan += 2.0 * math.pi
    else:                                       # equatorial: the node is the x axis
        n_hat = (1.0, 0.0, 0.0)
        raan = 0.0
    if e > E_SMALL:
        argp = _angle_about(n_hat, ev, h_hat)
        nu = _angle_about(ev, r, h_hat)
    else:                                       # circular: measure from the node
        argp = 0.0
        nu = _angle_about(n_hat, r, h_hat)
    return a, e, inc, raan, argp, nu


@kernel
def state(a, e, inc, raan, argp, nu, mu):
    """Inertial position and velocity from classical elements (inverse of `elements`)."""
    p = a * (1.0 - e * e)
    cn, sn = pmath.cos(nu), pmath.sin(nu)
    r_pf = p / (1.0 + e * cn)
    k = math.sqrt(mu / p)
    # perifocal (P toward periapsis, Q 90 deg ahead in the motion) rotated by R3(-raan) R1(-i) R3(-argp)
    co, so = pmath.cos(raan), pmath.sin(raan)
    ci, si = pmath.cos(inc), pmath.sin(inc)
    cw, sw = pmath.cos(argp), pmath.sin(argp)
    P = (co * cw - so * sw * ci, so * cw + co * sw * ci, sw * si)
    Q = (-co * sw - so * cw * ci, -so * sw + co * cw * ci, cw * si)
    r = vec.add(vec.scale(P, r_pf * cn), vec.scale(Q, r_pf * sn))
    v = vec.add(vec.scale(P, -k * sn), vec.scale(Q, k * (e + cn)))
    return r, v


@kernel
def stumpff(z):
    """Stumpff functions C(z), S(z); series near zero, where the closed forms cancel."""
    if z > 1e-6:
        sz = math.sqrt(z)
        return (1.0 - pmath.cos(sz)) / z, (sz - pmath.sin(sz)) / (sz * z)
    if z < -1e-6:
        sz = math.sqrt(-z)
        return (pmath.cosh(sz) - 1.0) / (-z), (pmath.sinh(sz) - sz) / (sz * -z)
    return 0.5 - z / 24.0 + z * z / 720.0, 1.0 / 6.0 - z / 120.0 + z * z / 5040.0


@kernel
def kepler(r0, v0, dt, mu):
    """Two-body state dt after (r0, v0): universal variable, Newton iteration."""
    if dt == 0.0:
        return r0, v0
    rn0 = vec.norm(r0)
    vr0 = vec.dot(r0, v0) / rn0
    alpha = 2.0 / rn0 - vec.dot(v0, v0) / mu          # 1/a
    sqmu = math.sqrt(mu)
    t = dt
    if alpha > 1e-12:                                # ellipse: whole revolutions change nothing
        period = 2.0 * math.pi / (sqmu * (alpha * math.sqrt(alpha)))
        t = dt - period * float(int(dt / period))
    chi = sqmu * abs(alpha) * t if alpha > 1e-12 else sqmu * t / rn0
    for _ in range(60):
        z = alpha * chi * chi
        c, s = stumpff(z)
        f = (rn0 * vr0 / sqmu * chi * chi * c + (1.0 - alpha * rn0) * chi ** 3 * s
             + rn0 * chi - sqmu * t)
        df = (rn0 * vr0 / sqmu * chi * (1.0 - z * s) + (1.0 - alpha * rn0) * chi * chi * c + rn0)
        step = f / df
        chi -= step
        if abs(step) <= 1e-13 * max(abs(chi), 1.0):
            break
    z = alpha * chi * chi
    c, s = stumpff(z)
    f = 1.0 - chi * chi / rn0 * c
    g = t - chi ** 3 * s / sqmu
    r = vec.add(vec.scale(r0, f), vec.scale(v0, g))
    rn = vec.norm(r)
    fd = sqmu / (rn * rn0) * (alpha * chi ** 3 * s - chi)
    gd = 1.0 - chi * chi / rn * c
    v = vec.add(vec.scale(r0, fd), vec.scale(v0, gd))
    return r, v


@kernel
def lvlh_axes(r, v):
    """Unit axes (x radial, y along-track, z angular momentum) of the LVLH frame, inertial."""
    x = vec.unit(r)
    z = vec.unit(vec.cross(r, v))
    return x, vec.cross(z, x), z


@kernel
def lvlh_rate(r, v):
    """Angular rate of the LVLH frame about its z axis: |h| / r^2."""
    rn = vec.norm(r)
    return vec.norm(vec.cross(r, v)) / (rn * rn)


@kernel
def to_lvlh(r_t, v_t, r_c, v_c):
    """State of c relative to target t, in t's LVLH frame (velocity as seen in that rotating frame)."""
    x, y, z = lvlh_axes(r_t, v_t)
    w = lvlh_rate(r_t, v_t)
    d = vec.sub(r_c, r_t)
    dv = vec.sub(v_c, v_t)
    rho = (vec.dot(d, x), vec.dot(d, y), vec.dot(d, z))
    rho_i = (vec.dot(dv, x), vec.dot(dv, y), vec.dot(dv, z))
    # minus omega x rho, omega = (0, 0, w)
    return rho, (rho_i[0] + w * rho[1], rho_i[1] - w * rho[0], rho_i[2])


@kernel
def from_lvlh(r_t, v_t, rho, rho_dot):
    """Inertial state of c from its LVLH state relative to target t (inverse of to_lvlh)."""
    x, y, z = lvlh_axes(r_t, v_t)
    w = lvlh_rate(r_t, v_t)
    vi = (rho_dot[0] - w * rho[1], rho_dot[1] + w * rho[0], rho_dot[2])
    d = vec.add(vec.add(vec.scale(x, rho[0]), vec.scale(y, rho[1])), vec.scale(z, rho[2]))
    dv = vec.add(vec.add(vec.scale(x, vi[0]), vec.scale(y, vi[1])), vec.scale(z, vi[2]))
    return vec.add(r_t, d), vec.add(v_t, dv)


@kernel
def lvlh_to_inertial_vec(r_t, v_t, d):
    """A direction (no translation, no frame rate) from LVLH to inertial axes."""
    x, y, z = lvlh_axes(r_t, v_t)
    return vec.add(vec.add(vec.scale(x, d[0]), vec.scale(y, d[1])), vec.scale(z, d[2]))


@kernel
def inertial_to_lvlh_vec(r_t, v_t, d):
    x, y, z = lvlh_axes(r_t, v_t)
    return (vec.dot(d, x), vec.dot(d, y), vec.dot(d, z))


@kernel
def cw(rho, rho_dot, n, t):
    """Clohessy-Wiltshire closed form: relative state t seconds on (Hill frame, circular target)."""
    x0, y0, z0 = rho
    u0, v0, w0 = rho_dot
    nt = n * t
    c, s = pmath.cos(nt), pmath.sin(nt)
    x = (4.0 - 3.0 * c) * x0 + s / n * u0 + 2.0 * (1.0 - c) / n * v0
    y = 6.0 * (s - nt) * x0 + y0 - 2.0 * (1.0 - c) / n * u0 + (4.0 * s - 3.0 * nt) / n * v0
    z = c * z0 + s / n * w0
    u = 3.0 * n * s * x0 + c * u0 + 2.0 * s * v0
    v = -6.0 * n * (1.0 - c) * x0 - 2.0 * s * u0 + (4.0 * c - 3.0) * v0
    w = -n * s * z0 + c * w0
    return (x, y, z), (u, v, w)


@kernel
def cw_velocity_for(rho0, rho_f, n, t):
    """The initial relative velocity that carries rho0 to rho_f in t under CW:
    rho_dot0 = Phi_rv^-1 (rho_f - Phi_rr rho0).  The out-of-plane block sin(nt)/n is
    singular at whole half revolutions; there the out-of-plane velocity is left 0."""
    (px, py, pz), _ = cw(rho0, (0.0, 0.0, 0.0), n, t)
    dx, dy, dz = rho_f[0] - px, rho_f[1] - py, rho_f[2] - pz
    nt = n * t
    c, s = pmath.cos(nt), pmath.sin(nt)
    a11, a12 = s / n, 2.0 * (1.0 - c) / n
    a21, a22 = -2.0 * (1.0 - c) / n, (4.0 * s - 3.0 * nt) / n
    det = a11 * a22 - a12 * a21
    u = (a22 * dx - a12 * dy) / det
    v = (-a21 * dx + a11 * dy) / det
    w = dz * n / s if abs(s) > 0.05 else 0.0
    return (u, v, w)
