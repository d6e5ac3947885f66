"""Hazard detection: lidar scan of the ground, slope/roughness safety map, safe site.

Pure kernels on one preallocated float64 array `maps` of shape (M_LEN, n, n): a
square map in local-level axes (rows = north, columns = east) centred on the
sensor's nadir, cell (i, j) at east = (j - c) cell, north = (i - c) cell with
c = (n - 1) / 2.  Layers M_* below; M_P0 .. M_PV are scratch.

Safety of a cell, as the site of the lander's centre (footprint radius R,
K = ceil(R / cell), window = the (2K+1)^2 cells around it), judged as the vehicle
model judges a touchdown (gnc.core.touchdown):
    slope     least-squares plane over the window; unsafe above slope_max
    coverage  fewer than min_cover of the window's cells have a lidar return, or
              the window leaves the map
    pads      the four foot pads at R along the lander's body axes, turned to its
              yaw, resting on the map (heights interpolated between cell centres):
              the plane through them (least squares, as the verdict takes it) is
              unsafe steeper than slope_max, and so is any cell within R (Euclidean,
              cell centres) standing more than rough_max above it: a rock under the
              body.  A pad in a hole lowers and tilts that plane, so holes count
              where they matter: under a pad.
Slope and coverage come from box sums (prefix sums along rows and columns), O(cells)
whatever the footprint; the pads' test costs O(disc) per cell, run only on cells the
box sums left safe, and stops at the first rock over the limit.  A site must also
have a clearance margin: every cell of the (2M+1)^2 window around it safe,
M = ceil(margin / cell).
"""
import math

import numpy as np

from gnc.core import pmath, vec
from gnc.core.jit import inline_kernel, kernel
from gnc.core.terrain import dem_height, ray_range4

# --- layout M (generated from gnc/arrays.toml by python -m gnc.codegen; do not edit) ---
# layers of the hazard maps (the first axis of maps); P0 .. PV are scratch
M_Z = 0      # m: highest return in the cell, relative to the sensor
M_COUNT = 1  # returns in the cell (0 = hole)
M_SLOPE = 2  # deg: slope of the footprint plane centred here
M_ROCK = 3   # m: tallest ground above the foot pads' plane of a lander centred here (NaN: not judged)
M_HAZ = 4    # hazard bits H_* of a site here; 0 = safe
M_ZF = 5     # m: heights less z0 (safety_map returns it), holes filled
M_P0 = 6     # scratch: column prefix sums of row-window sums of z
M_PJ = 7     # ... of column index * z
M_PI = 8     # ... of row index * z
M_PV = 9     # ... of the return mask
M_LEN = 10
# --- end layout M ---

H_SLOPE = 1
H_ROUGH = 2
H_COVER = 4


@inline_kernel
def _return_draw(s, dropout):
    """The draws of one ray's return at range s (s <= 0: no ground), from the run's stream, so
    the rays come through here in scan order: lost with probability dropout, or kept with the
    uniforms of its range noise (pmath.polar_draw).  (kept, u, q)."""
    if s <= 0.0 or np.random.random() < dropout:
        return False, 0.0, 1.0
    u, q = pmath.polar_draw()
    return True, u, q


@inline_kernel
def _grid_return(maps, r, d_b, q_unit, cell):
    """Grid one return, at range r along body direction d_b, into maps[M_Z] / maps[M_COUNT],
    placed with the unit's attitude q_unit.  Returns 1 if it landed in the map."""
    n = maps.shape[1]
    c = 0.5 * (n - 1)
    p = vec.scale(vec.q_rot(q_unit, d_b), r)
    j = int(math.floor(p[0] / cell + c + 0.5))
    i = int(math.floor(p[1] / cell + c + 0.5))
    if 0 <= i < n and 0 <= j < n:
        if maps[M_COUNT, i, j] == 0.0 or p[2] > maps[M_Z, i, j]:
            maps[M_Z, i, j] = p[2]
        maps[M_COUNT, i, j] += 1.0
        return 1
    return 0


@kernel
def lidar_scan(r_l, q_lb, q_err, rays, fov, range_sig, dropout, cell, w, dem, maps):
    """Scan a rays x rays square grid of directions spanning fov (rad) about body -z
    from landing-frame position r_l at true attitude q_lb (body -> landing) and grid
    the returns into maps[M_Z] / maps[M_COUNT].  Returns the returns gridded.
    A cell keeps its highest return: protrusions are what endanger a lander.

    Each range has Gaussian noise range_sig and is lost with probability dropout.
    The unit places its points with its own attitude knowledge q_unit = q_lb * q_err, so an
    attitude error tilts the whole map.  Uses the scratch layers (M_P0 on) for the grid's
    tangents."""
    n = maps.shape[1]
    for i in range(n):
        for j in range(n):
            maps[M_Z, i, j] = 0.0
            maps[M_COUNT, i, j] = 0.0
    q_unit = vec.q_mul(q_lb, q_err)
    step = fov / rays
    # the tangent of each column's (and row's) angle, once a scan instead of once a ray; in
    # the scratch layers, which hold it unless the map is tiny
    scratch = maps[M_P0:].reshape(maps[M_P0:].size)
    tans = scratch[:rays] if rays <= scratch.size else np.empty(rays)
    for b in range(rays):
        tans[b] = pmath.tan(-0.5 * fov + (b + 0.5) * step)
    h_under = dem_height(r_l[0], r_l[1], w, dem)
    hits = 0
    for a in range(rays):
        ty = tans[a]
        for b in range(0, rays, 4):
            # four rays cast together (the last group repeats the last ray: cast, not gridded)
            e0 = vec.unit((tans[b], ty, -1.0))
            e1 = vec.unit((tans[min(b + 1, rays - 1)], ty, -1.0))
            e2 = vec.unit((tans[min(b + 2, rays - 1)], ty, -1.0))
            e3 = vec.unit((tans[min(b + 3, rays - 1)], ty, -1.0))
            s0, s1, s2, s3 = ray_range4(r_l, (vec.q_rot(q_lb, e0), vec.q_rot(q_lb, e1), vec.q_rot(q_lb, e2),
                                              vec.q_rot(q_lb, e3)), w, dem, h_under)
            # each return's draws in scan order, then the four noisy ranges side by side (their
            # logarithms and square roots are independent chains), then the gridding
            k0, u0, v0 = _return_draw(s0, dropout)
            k1, u1, v1 = _return_draw(s1, dropout) if b + 1 < rays else (False, 0.0, 1.0)
            k2, u2, v2 = _return_draw(s2, dropout) if b + 2 < rays else (False, 0.0, 1.0)
            k3, u3, v3 = _return_draw(s3, dropout) if b + 3 < rays else (False, 0.0, 1.0)
            r0 = s0 + range_sig * pmath.polar_normal(u0, v0)
            r1 = s1 + range_sig * pmath.polar_normal(u1, v1)
            r2 = s2 + range_sig * pmath.polar_normal(u2, v2)
            r3 = s3 + range_sig * pmath.polar_normal(u3, v3)
            if k0:
                hits += _grid_return(maps, r0, e0, q_unit, cell)
            if k1:
                hits += _grid_return(maps, r1, e1, q_unit, cell)
            if k2:
                hits += _grid_return(maps, r2, e2, q_unit, cell)
            if k3:
                hits += _grid_return(maps, r3, e3, q_unit, cell)
    return hits


@kernel
def _fill_holes(maps):
    """M_ZF = measured height less the mean of all returns (small numbers for the
    sums); a hole takes the linear interpolation between the nearest returns in its
    row (the nearest one at a row's ends, the mean in a row without any).  Returns
    the mean."""
    n = maps.shape[1]
    z = maps[M_Z]
    cnt = maps[M_COUNT]
    zf = maps[M_ZF]
    total = 0.0
    count = 0
    for i in range(n):
        for j in range(n):
            if cnt[i, j] > 0.0:
                total += z[i, j]
                count += 1
    mean = total / count if count > 0 else 0.0
    for i in range(n):
        last = -1
        for j in range(n):
            if cnt[i, j] <= 0.0:
                continue
            zr = z[i, j] - mean
            zl = z[i, last] - mean if last >= 0 else zr
            for h in range(last + 1, j):
                zf[i, h] = zl + (zr - zl) * (h - last) / (j - last)
            zf[i, j] = zr
            last = j
        tail = z[i, last] - mean if last >= 0 else 0.0
        for h in range(last + 1, n):
            zf[i, h] = tail
    return mean


@kernel
def _row_window_sums(src, col_weight, k, out):
    """out[i, j] = sum over j' in j-k..j+k (clipped to the map) of src[i, j'] * (j' if col_weight else 1)."""
    n = src.shape[1]
    for i in range(n):
        acc = 0.0
        for j in range(min(k, n - 1) + 1):
            acc += src[i, j] * (j if col_weight else 1.0)
        for j in range(n):
            out[i, j] = acc
            jn = j + k + 1
            jo = j - k
            if jn < n:
                acc += src[i, jn] * (jn if col_weight else 1.0)
            if jo >= 0:
                acc -= src[i, jo] * (jo if col_weight else 1.0)


@kernel
def _col_prefix(src, row_weight, out):
    """out[i, :] = sum over rows r <= i of src[r, :] * (r if row_weight else 1); out may be src."""
    n = src.shape[1]
    for j in range(n):
        out[0, j] = 0.0 if row_weight else src[0, j]
    for i in range(1, n):
        f = i if row_weight else 1.0
        for j in range(n):
            out[i, j] = out[i - 1, j] + f * src[i, j]


@kernel
def _window(prefix, i, j, k):
    """Sum over rows i-k..i+k (inside the map) of a column-prefixed layer, at column j."""
    s = prefix[i + k, j]
    if i > k:
        s -= prefix[i - k - 1, j]
    return s


@kernel
def _height_at(zf, y, x):
    """Height of the filled map at fractional row y, column x (bilinear between cell centres)."""
    n = zf.shape[0]
    i0 = min(int(math.floor(y)), n - 2)
    j0 = min(int(math.floor(x)), n - 2)
    fy = y - i0
    fx = x - j0
    return ((1.0 - fy) * ((1.0 - fx) * zf[i0, j0] + fx * zf[i0, j0 + 1])
            + fy * ((1.0 - fx) * zf[i0 + 1, j0] + fx * zf[i0 + 1, j0 + 1]))


@kernel
def _pads(maps, cell, foot_r, yaw, rough_max, tan2_max):
    """For every cell still safe (M_HAZ == 0): the plane the four foot pads rest on, the
    pads at foot_r along the body axes, body +x at yaw (rad, east toward north); H_SLOPE
    if it is steeper than tan2_max allows, H_ROUGH if a cell within foot_r stands more
    than rough_max above it.  M_ROCK = the tallest such height (a cell over the limit
    stops the search: at least that), NaN for cells not judged.  Uses a row of M_P0 as
    scratch."""
    n = maps.shape[1]
    zf = maps[M_ZF]
    rock = maps[M_ROCK]
    haz = maps[M_HAZ]
    rc = foot_r / cell
    kr = int(math.floor(rc))
    k = int(math.ceil(rc - 1e-9))
    ce = pmath.cos(yaw) * rc                  # body +x in cells (columns, rows); +y is it turned 90 deg
    sn = pmath.sin(yaw) * rc
    for i in range(n):
        for j in range(n):
            rock[i, j] = math.nan
    # each disc row's half width, once a map instead of once a row of every cell judged (its
    # square root was a third of this test); 2 kr + 1 <= n, and the box sums are done with M_P0
    widths = maps[M_P0, 0]
    for di in range(-kr, kr + 1):
        widths[di + kr] = math.floor(math.sqrt(rc * rc - di * di))
    for i in range(k, n - k):
        for j in range(k, n - k):
            if haz[i, j] != 0.0:
                continue
            zx_p = _height_at(zf, i + sn, j + ce)
            zx_m = _height_at(zf, i - sn, j - ce)
            zy_p = _height_at(zf, i + ce, j - sn)
            zy_m = _height_at(zf, i - ce, j + sn)
            zm = 0.25 * (zx_p + zx_m + zy_p + zy_m)
            # least-squares plane of four points in a cross through its centre: the mean,
            # and the gradient along each arm from its two ends (per cell)
            ga = (zx_p - zx_m) / (2.0 * rc)
            gb = (zy_p - zy_m) / (2.0 * rc)
            gx = (ga * ce - gb * sn) / rc
            gy = (ga * sn + gb * ce) / rc
            if (gx * gx + gy * gy) > tan2_max * cell * cell:
                haz[i, j] = H_SLOPE
            limit = zm + rough_max
            top = -math.inf
            for di in range(-kr, kr + 1):
                w = int(widths[di + kr])
                row = i + di
                tilt = gy * di
                for dj in range(-w, w + 1):
                    top = max(top, zf[row, j + dj] - gx * dj - tilt)
                if top > limit:
                    break
            rock[i, j] = top - zm
            if top > limit:
                haz[i, j] = float(int(haz[i, j]) | H_ROUGH)


@kernel
def _gradient(maps, ic, jc, k, sxx):
    """East and north gradients of the least-squares plane of the window centred at
    (ic, jc), inside the map."""
    s0 = _window(maps[M_P0], ic, jc, k)
    return (_window(maps[M_PJ], ic, jc, k) - jc * s0) / sxx, (_window(maps[M_PI], ic, jc, k) - ic * s0) / sxx


@kernel
def safety_map(maps, cell, foot_r, yaw, slope_max, rough_max, min_cover):
    """Fill M_SLOPE, M_ROCK and M_HAZ from the gridded scan (M_Z, M_COUNT) for a
    lander of footprint radius foot_r whose body +x points yaw (rad, east toward
    north) in the map's axes; slope_max in rad.  Returns (safe cells, z0): M_ZF + z0
    is the measured height, holes filled.

    A cell whose window leaves the map takes the slope of the nearest window inside
    it and is marked H_COVER."""
    n = maps.shape[1]
    k = int(math.ceil(foot_r / cell - 1e-9))
    slope = maps[M_SLOPE]
    hazard = maps[M_HAZ]
    if n < 2 * k + 1:                          # the map is smaller than one footprint
        for i in range(n):
            for j in range(n):
                slope[i, j] = 0.0
                maps[M_ROCK, i, j] = math.nan
                hazard[i, j] = H_COVER
        return 0, 0.0
    z0 = _fill_holes(maps)
    zf = maps[M_ZF]
    p0 = maps[M_P0]
    pj = maps[M_PJ]
    pi_ = maps[M_PI]
    pv = maps[M_PV]
    _row_window_sums(zf, False, k, p0)
    _row_window_sums(zf, True, k, pj)
    _col_prefix(p0, True, pi_)
    _col_prefix(p0, False, p0)
    _col_prefix(pj, False, pj)
    cnt = maps[M_COUNT]
    for i in range(n):                         # the return mask, borrowing M_HAZ, then its window sums
        for j in range(n):
            hazard[i, j] = 1.0 if cnt[i, j] > 0.0 else 0.0
    _row_window_sums(hazard, False, k, pv)
    _col_prefix(pv, False, pv)
    side = 2 * k + 1
    n_win = float(side * side)
    sxx = side * k * (k + 1) * (2 * k + 1) / 3.0 * cell    # sum of squared offsets (cells) times cell
    tan2_max = pmath.tan(slope_max) ** 2
    cover_min = min_cover * n_win
    # interior: straight-line code over whole rows (this loop is most of the cost)
    for i in range(k, n - k):
        top = i + k
        bot = i - k - 1
        for j in range(k, n - k):
            s0 = p0[top, j]
            sj = pj[top, j]
            si = pi_[top, j]
            sv = pv[top, j]
            if bot >= 0:
                s0 -= p0[bot, j]
                sj -= pj[bot, j]
                si -= pi_[bot, j]
                sv -= pv[bot, j]
            gx = (sj - j * s0) / sxx
            gy = (si - i * s0) / sxx
            g2 = gx * gx + gy * gy
            slope[i, j] = math.degrees(pmath.atan(math.sqrt(g2)))
            haz = 0.0
            if g2 > tan2_max:
                haz += H_SLOPE
            if sv < cover_min:
                haz += H_COVER
            hazard[i, j] = haz
    # the band within k of the edge: the plane of the nearest full window
    for i in range(n):
        edge_row = i < k or i >= n - k
        for j in range(n):
            if not edge_row and k <= j < n - k:
                continue
            ic = min(max(i, k), n - 1 - k)
            jc = min(max(j, k), n - 1 - k)
            gx, gy = _gradient(maps, ic, jc, k, sxx)
            g2 = gx * gx + gy * gy
            slope[i, j] = math.degrees(pmath.atan(math.sqrt(g2)))
            hazard[i, j] = H_COVER + (H_SLOPE if g2 > tan2_max else 0)
    _pads(maps, cell, foot_r, yaw, rough_max, tan2_max)
    safe = 0
    for i in range(n):
        for j in range(n):
            if hazard[i, j] == 0.0:
                safe += 1
    return safe, z0


@kernel
def choose_site(maps, cell, margin, ti, tj):
    """The cell nearest (ti, tj) (row, column; fractions allowed) whose (2M+1)^2
    window, M = ceil(margin / cell), lies in the map and holds only safe cells
    (M_HAZ == 0); ties go to the first in row-major order.  Returns (row, col), or
    (-1, -1) if there is none.  Uses M_P0 and M_PV as scratch."""
    n = maps.shape[1]
    m = int(math.ceil(margin / cell - 1e-9))
    unsafe = maps[M_PV]
    for i in range(n):
        for j in range(n):
            unsafe[i, j] = 0.0 if maps[M_HAZ, i, j] == 0.0 else 1.0
    _row_window_sums(unsafe, False, m, maps[M_P0])
    _col_prefix(maps[M_P0], False, maps[M_P0])
    best_i = -1
    best_j = -1
    best_d = math.inf
    for i in range(m, n - m):
        di = i - ti
        for j in range(m, n - m):
            d = di * di + (j - tj) * (j - tj)
            if d < best_d and _window(maps[M_P0], i, j, m) < 0.5:
                best_d = d
                best_i = i
                best_j = j
    return best_i, best_j
