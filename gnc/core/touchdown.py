"""The vehicle model's verdict on the ground it touched down on (never the flight
software's): slope under the legs, tallest rock under the body, tip-over.

At the first foot-pad contact the lander is taken to settle onto the ground
points below its pads (their horizontal positions at contact):
    slope      angle between the local vertical and the least-squares plane
               through the ground points under the foot pads
    rock       tallest DEM node above that plane within the leg radius of the
               pads' centre (what the body and engine bell must clear)
    tip-over   the lander settled on that plane (its pads at their body-frame
               distances from the axis, laid along the plane at the contact
               yaw; the centre of mass the leg height above their centre along
               the normal) pivoting as a point mass about each edge of the
               support polygon.  Statically unstable if the centre of mass's
               vertical projection falls outside the polygon.  Dynamically: the
               legs' absorbers take the velocity along the plane normal, the pads
               stop the rest, and it tips over an edge if the kinetic energy of
               that tangential velocity along the pivot direction, v_t^2 / 2,
               reaches the potential-energy barrier g (L - h): L the arm from the
               edge, h the height above it.  A point mass has the least inertia
               about the edge, so this errs toward tipping.
"""
import math

import numpy as np

from gnc.core import pmath, vec
from gnc.core.jit import kernel
from gnc.core.moon import W_DEM_HALF, W_DEM_RES, W_MU, W_SITE_R, q_inertial_to_landing, state_to_landing
from gnc.core.terrain import dem_height
from gnc.core.vehicle import N_LEGS, VP_LEGS, X_Q, X_R, X_V


@kernel
def ground_z(e, n, w, dem):
    """Landing-frame height of the ground at (east, north): DEM on the datum sphere."""
    rg = w[W_SITE_R] + dem_height(e, n, w, dem)
    return math.sqrt(max(rg * rg - e * e - n * n, 0.0)) - w[W_SITE_R]


@kernel
def pads_plane(pts):
    """Least-squares plane z = zm + gx (x - xm) + gy (y - ym) through the rows of pts."""
    m = pts.shape[0]
    xm = ym = zm = 0.0
    for k in range(m):
        xm += pts[k, 0] / m
        ym += pts[k, 1] / m
        zm += pts[k, 2] / m
    sxx = syy = sxy = sxz = syz = 0.0
    for k in range(m):
        dx, dy, dz = pts[k, 0] - xm, pts[k, 1] - ym, pts[k, 2] - zm
        sxx += dx * dx
        syy += dy * dy
        sxy += dx * dy
        sxz += dx * dz
        syz += dy * dz
    det = sxx * syy - sxy * sxy
    gx = (sxz * syy - syz * sxy) / det
    gy = (syz * sxx - sxz * sxy) / det
    return xm, ym, zm, gx, gy


@kernel
def max_rock(xm, ym, zm, gx, gy, radius, w, dem):
    """Tallest DEM node above the plane within radius of (xm, ym); 0 without a DEM."""
    if dem.shape[0] < 2:
        return 0.0
    res = w[W_DEM_RES]
    half = w[W_DEM_HALF]
    nr, nc = dem.shape
    i0 = max(0, int(math.ceil((ym - radius + half) / res)))
    i1 = min(nr - 1, int(math.floor((ym + radius + half) / res)))
    j0 = max(0, int(math.ceil((xm - radius + half) / res)))
    j1 = min(nc - 1, int(math.floor((xm + radius + half) / res)))
    top = 0.0
    for i in range(i0, i1 + 1):
        y = -half + i * res
        for j in range(j0, j1 + 1):
            x = -half + j * res
            if (x - xm) ** 2 + (y - ym) ** 2 > radius * radius:
                continue
            top = max(top, ground_z(x, y, w, dem) - (zm + gx * (x - xm) + gy * (y - ym)))
    return top


@kernel
def judge(x, t, vp, w, dem):
    """Verdict at contact from truth state x at time t: (slope_deg, max_rock_m, tipped)."""
    r_l, v_l = state_to_landing(vec.load3(x, X_R), vec.load3(x, X_V), t, w)
    q_lb = vec.q_mul(q_inertial_to_landing(t, w), vec.load4(x, X_Q))
    pts = np.empty((N_LEGS, 3))
    ang = np.empty(N_LEGS)
    radius = 0.0
    height = 0.0
    for k in range(N_LEGS):
        leg = vec.load3(vp, VP_LEGS + 3 * k)
        p = vec.add(r_l, vec.q_rot(q_lb, leg))
        pts[k, 0] = p[0]
        pts[k, 1] = p[1]
        pts[k, 2] = ground_z(p[0], p[1], w, dem)
        ang[k] = pmath.atan2(leg[1], leg[0])
        radius = max(radius, pmath.hypot(leg[0], leg[1]))
        height -= leg[2] / N_LEGS
    xm, ym, zm, gx, gy = pads_plane(pts)
    up = vec.unit((xm, ym, zm + w[W_SITE_R]))
    normal = vec.unit((-gx, -gy, 1.0))
    slope = math.degrees(pmath.acos(min(1.0, vec.dot(normal, up))))
    rock = max_rock(xm, ym, zm, gx, gy, radius, w, dem)

    centre = (xm, ym, zm)
    for k in range(N_LEGS):                   # settled pads: along the plane, at their body radius
        leg = vec.load3(vp, VP_LEGS + 3 * k)
        h = vec.unit((pts[k, 0] - xm, pts[k, 1] - ym, 0.0))
        along = vec.unit((h[0], h[1], gx * h[0] + gy * h[1]))
        p = vec.add(centre, vec.scale(along, pmath.hypot(leg[0], leg[1])))
        pts[k, 0] = p[0]
        pts[k, 1] = p[1]
        pts[k, 2] = p[2]
    com = vec.add(centre, vec.scale(normal, height))
    v_tan = vec.reject(v_l, normal)
    g = w[W_MU] / (w[W_SITE_R] + zm) ** 2
    order = np.argsort(ang)                   # pads around the axis: the support polygon
    tipped = False
    for e in range(N_LEGS):
        a = order[e]
        b = order[(e + 1) % N_LEGS]
        pa = (pts[a, 0], pts[a, 1], pts[a, 2])
        edge = vec.unit(vec.sub((pts[b, 0], pts[b, 1], pts[b, 2]), pa))
        arm = vec.reject(vec.sub(com, pa), edge)           # edge line -> centre of mass
        out = vec.unit(vec.reject(vec.reject(vec.sub(pa, centre), edge), up))   # outward, horizontal
        inside = -vec.dot(arm, out)                        # horizontal distance inside the edge
        lift = vec.norm(arm) - vec.dot(arm, up)            # rise of the CoM to stand over the edge
        pivot = vec.unit(vec.cross(edge, arm))
        if vec.dot(pivot, out) < 0.0:
            pivot = vec.scale(pivot, -1.0)
        v_t = max(vec.dot(v_tan, pivot), 0.0)
        if inside <= 0.0 or 0.5 * v_t * v_t >= g * lift:
            tipped = True
    return slope, rock, tipped
