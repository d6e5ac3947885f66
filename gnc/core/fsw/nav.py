"""Navigation: strapdown attitude with star-tracker correction, and a 12-state
extended Kalman filter (position, velocity in the landing frame, accelerometer bias in
body axes, a bias per velocimeter beam) driven by IMU delta-v and updated by altimeter
range, velocimeter beams and camera fixes.

The accelerometer bias is constant over a flight (gnc.core.sensors draws it once per
run), so it is a state with no process noise and a prior of sig_acc_bias per axis; the
velocity's process noise is only the accelerometer's white noise (q_accel, its velocity
random walk).  A random walk standing in for the bias would have to be tuned for the
longest coast and then overstates the error everywhere else.  A bias that does change (a
step, a fault) is found by what it does to the innovations instead, below.

The altimeter ranges to the real ground, the filter to the datum sphere.  The ground's
height about the datum under the beam is an error of two parts, each correlated along the
ground: the rough ground near the site (1-sigma sig_terrain, correlation length
terrain_corr: metre-scale craters and rocks) and the unsurveyed relief, whose 1-sigma grows
with slant range (sig_relief per metre: the farther the footprint, the larger the craters
it can sit in), correlated over relief_corr.  Samples a distance d apart share a part with
correlation phi = exp(-d / L); n such samples tell its mean (1 + phi) / (1 - phi) times
less than independent ones, so each carries the part's variance times that factor.  A
still footprint (hover) learns nothing more about the ground it sits on; one sliding over
it (slow descent) learns as fast as it leaves its own correlation length behind.

Measurements are processed one scalar at a time (no matrix inverse), each behind an
innovation gate, with the covariance update P -= (P h)(P h)^T / s, which stays
symmetric in single precision too.

A velocimeter beam whose samples the gate keeps rejecting while another beam's pass is
isolated for the rest of the flight (health bit vel_isolated): each such rejection adds 1
to the beam's score, each accepted sample takes ISOLATE_LEAK off, and ISOLATE_SCORE isolates
it.  Without this a biased beam is rejected only until the velocity it alone observes has
drifted far enough for the widened gate to let it back in, and then it pulls the filter to
its bias.  A rejection with no other beam accepted is not counted: then it is the filter, not
the beam, that disagrees with the sensor.  One beam at most: two beams and the IMU still fly.

But the beam rejected is not always the faulty one.  Three beams give three velocity
components and no redundancy: a beam biased before the velocimeter first ranges (at the
end of braking the forward beam ranges alone for ~25 s) is taken in with its first
samples, and when the other two arrive it is they that disagree with the filter.  So the
first time a beam's score would isolate it, every beam's bias is opened instead (health
bit vel_bias, sticky): the beam-bias states, closed until then (zero covariance, so they
change no bit of a flight without a fault), get the variance of the largest miss, the
velocity too (it took the bias in).  The attitude's turn in the approach and the camera's
fixes (position, so velocity over time) then tell the beams' biases from the velocity.  A
beam rejected persistently after that is isolated as above.  The biases are opened as well
when every beam fails the gate a second time after the velocity was reopened for it (below):
a velocity reopened once and still failed by every beam points at the beams, which a bias
on one of them drags together.

A step in the altimeter's range (a bias from some moment on) is told from the ground by its
suddenness and its persistence (health bit alt_bias).  Between two samples the ground under a
moving footprint changes by its two parts' variances times 2 (1 - phi), the noise by twice its
own: an innovation that jumps by more than STEP_SIGMA times that from the last sample's
residual (what was left of it after the update) starts a candidate, if it takes the innovation
further from the filter's prediction than that residual was: a jump back towards it is the
ground returning (a footprint sliding out of a crater it had been over for seconds, the
residual on the crater's floor), not a step.  STEP_CONFIRM samples in a row, the jump's
included, that stay on its side of that reference (carried along with the filter's altimeter
updates), by at least half the step so far, confirm it.  The mean of their jumps is taken off
every later range (here and in the descent's ground height), for the rest of the flight; one
step at most.  The filter is left to walk back from what it took in while the step was being
confirmed.
Where the footprint sweeps fast (braking, tens of km of slant range) a 5-50 m step is inside
the noise and the relief, and goes undetected: the filter takes it for the ground.

A filter whose covariance no longer covers its error is reopened (health bit nav_reopened)
when the sensors disagree with it in a way no single faulty sensor explains:
- every beam the velocimeter ranges (two at least) fails the gate for VEL_REOPEN frames in
  a row: each velocity axis's variance grows by the largest beam miss squared (a beam's miss
  is the velocity error along it, so the error is at least that), and the next frame passes
  (from the second time on, the beams' biases open too, above);
- the camera's fix fails the gate on a horizontal axis CAM_REOPEN times in a row: that
  axis's position variance grows by the miss squared (the camera has no fault of its own to
  model: its error is noise and the map tie, which the gate already allows for);
- the running means (1 s) of two beams' innovations, in units of the sigma the filter
  predicts for them, leave +-DRIFT_Z: an accelerometer bias the filter does not know makes
  its velocity lag the beams by the bias over the filter's bandwidth, so the innovations
  keep one sign while each stays inside the gate.  The bias variance then grows by its prior
  (sig_acc_bias^2) and the means restart: while the lag lasts this repeats every ~0.5 s, a
  process noise that is there only when the innovations ask for it.
One beam alone off is the beam's fault (isolation, above), not the filter's.
"""
import math

from gnc.core import pmath, vec
from gnc.core.fsw.landing import apparent_gravity, q_li
from gnc.core.jit import kernel
from gnc.core.layout import (AF_HEALTH, AF_IDLE_S, AF_NAV_ORBIT_POS, AF_NAV_ORBIT_VEL, AF_NAV_POS, AF_NAV_Q,
                             AF_NAV_SIGMA, AF_NAV_VEL, AF_PHASE, CF_ALT_BORE, CF_GATE, CF_MASS0, CF_NAV0_POS,
                             CF_NAV0_Q, CF_NAV0_SIG_POS, CF_NAV0_SIG_VEL, CF_NAV0_VEL, CF_Q_ACCEL, CF_RELIEF_CORR,
                             CF_R_SITE, CF_SIG_ACC_BIAS, CF_SIG_ALT, CF_SIG_ALT_MIN, CF_SIG_CAM, CF_SIG_MAP_TIE,
                             CF_SIG_RELIEF, CF_SIG_TERRAIN, CF_SIG_VEL, CF_STAR_GAIN, CF_TERRAIN_CORR, CF_VEL_BORE,
                             FS_ACC_BIAS, FS_ALT_BIAS, FS_ALT_REF, FS_ALT_STEP, FS_CAM_MISS, FS_COV, FS_DV_LAST,
                             FS_HEALTH, FS_MASS, FS_ORB_POS, FS_ORB_VEL, FS_PHASE, FS_POS, FS_Q_IB, FS_RATE,
                             FS_REOPENS, FS_THRUST_RATIO, FS_T_ALT, FS_T_IDLE, FS_VEL, FS_VEL_BIAS, FS_VEL_DRIFT,
                             FS_VEL_MISS, FS_VEL_SCORE, HEALTH_ALT_BIAS, HEALTH_ALT_REJECTED, HEALTH_CAM_USED,
                             HEALTH_IMU_MISSING, HEALTH_NAV_REOPENED, HEALTH_VEL_BIAS, HEALTH_VEL_ISOLATED,
                             HEALTH_VEL_REJECTED, SF_ALT_RANGE, SF_CAM_REL, SF_IMU_DTH, SF_IMU_DV, SF_STAR_Q, SF_VALID,
                             SF_VEL_BEAM, VALID_ALT, VALID_CAM, VALID_IMU, VALID_STAR, VALID_VEL0)

N = 12                  # filter states: position, velocity, accelerometer bias, velocimeter beam biases
NB = 9                  # the first beam bias
# a score of 10 is one second of 10 Hz samples rejected in a row; a 5-sigma gate rejects a
# sound beam once in ~10^6 samples, so noise never builds it.  The leak lets a beam rejected
# on more than a third of its samples still climb (a bias the drifting filter half lets in).
ISOLATE_SCORE = 10.0
ISOLATE_LEAK = 0.5
# an altimeter step: a jump of 5 sigma of the sample-to-sample change the noise and the
# ground allow (the filter's own sig_alt is twice the sensor's datasheet noise), kept for
# 0.5 s of 10 Hz samples: a sample-long outlier or a rock edge under a sliding footprint
# returns, and drops the candidate
STEP_SIGMA = 5.0
STEP_CONFIRM = 5.0
# reopening (module docstring).  A 5-sigma gate fails a sound sample once in ~10^6, so a
# few in a row are never noise: 0.5 s of 10 Hz beams, 1.5 s of 2 Hz camera fixes.
VEL_REOPEN = 5.0
CAM_REOPEN = 3.0
# the innovation means' smoothing per beam sample (1 s of 10 Hz); a consistent filter's
# sigma-units innovations are white with variance 1, their mean's sigma is
# sqrt(a / (2 - a)) (0.23), and 5 of those flag it
DRIFT_ALPHA = 0.1
DRIFT_Z = 5.0 * math.sqrt(DRIFT_ALPHA / (2.0 - DRIFT_ALPHA))


@kernel
def init(cfg, fs):
    for i in range(3):
        fs[FS_POS + i] = cfg[CF_NAV0_POS + i]
        fs[FS_VEL + i] = cfg[CF_NAV0_VEL + i]
        fs[FS_RATE + i] = 0.0
        fs[FS_DV_LAST + i] = 0.0
        fs[FS_ACC_BIAS + i] = 0.0
        fs[FS_VEL_BIAS + i] = 0.0
    for i in range(N * N):
        fs[FS_COV + i] = 0.0
    sp2 = cfg[CF_NAV0_SIG_POS] * cfg[CF_NAV0_SIG_POS]
    sv2 = cfg[CF_NAV0_SIG_VEL] * cfg[CF_NAV0_SIG_VEL]
    sb2 = cfg[CF_SIG_ACC_BIAS] * cfg[CF_SIG_ACC_BIAS]
    for i in range(3):
        fs[FS_COV + (N + 1) * i] = sp2
        fs[FS_COV + (N + 1) * (i + 3)] = sv2
        fs[FS_COV + (N + 1) * (i + 6)] = sb2
    vec.store4(fs, FS_Q_IB, vec.q_normalize(vec.load4(cfg, CF_NAV0_Q)))
    fs[FS_MASS] = cfg[CF_MASS0]
    fs[FS_T_ALT] = -1.0
    fs[FS_THRUST_RATIO] = 1.0


@kernel
def q_lb(fs, t, cfg):
    """Attitude estimate body->landing frame."""
    return vec.q_mul(q_li(t, cfg), vec.load4(fs, FS_Q_IB))


@kernel
def strapdown(sf, fs, h):
    """Attitude over the last step from the gyros; returns (sensed delta-v, inertial; health).
    A missing IMU sample reuses the last rate and delta-v."""
    health = 0
    if int(sf[SF_VALID]) & VALID_IMU:
        dth = vec.load3(sf, SF_IMU_DTH)
        dv_b = vec.load3(sf, SF_IMU_DV)
        vec.store3(fs, FS_DV_LAST, dv_b)
    else:
        dth = vec.scale(vec.load3(fs, FS_RATE), h)
        dv_b = vec.load3(fs, FS_DV_LAST)
        health |= HEALTH_IMU_MISSING
    q_old = vec.load4(fs, FS_Q_IB)
    q_new = vec.q_normalize(vec.q_mul(q_old, vec.q_from_rotvec(dth)))
    vec.store4(fs, FS_Q_IB, q_new)
    if h > 0.0:
        vec.store3(fs, FS_RATE, vec.scale(dth, 1.0 / h))
    q_mid = vec.q_normalize((q_old[0] + q_new[0], q_old[1] + q_new[1], q_old[2] + q_new[2], q_old[3] + q_new[3]))
    return vec.q_rot(q_mid, dv_b), health


@kernel
def _n_open(fs):
    """The filter's open states: all N once the beams' biases are open, else the first NB (the
    beam biases' rows and columns are zeros until then, and skipping them changes no bit)."""
    return N if int(fs[FS_HEALTH]) & HEALTH_VEL_BIAS else NB


@kernel
def propagate(sf, cfg, fs, t, dt):
    """Strapdown step over (t - dt, t]: attitude from delta-angles, velocity from delta-v
    less the bias estimate's."""
    dv_i, health = strapdown(sf, fs, dt)
    dv_l = vec.q_rot(q_li(t - 0.5 * dt, cfg), dv_i)
    # body -> landing at the step's end; its columns map a body bias into the landing frame
    qlb = q_lb(fs, t, cfg)
    rx = vec.q_rot(qlb, (1.0, 0.0, 0.0))
    ry = vec.q_rot(qlb, (0.0, 1.0, 0.0))
    rz = vec.q_rot(qlb, (0.0, 0.0, 1.0))
    b = vec.load3(fs, FS_ACC_BIAS)
    r = vec.load3(fs, FS_POS)
    v = vec.load3(fs, FS_VEL)
    g = apparent_gravity(r, v, cfg)
    a = (g[0] - rx[0] * b[0] - ry[0] * b[1] - rz[0] * b[2],
         g[1] - rx[1] * b[0] - ry[1] * b[1] - rz[1] * b[2],
         g[2] - rx[2] * b[0] - ry[2] * b[1] - rz[2] * b[2])
    v_new = (v[0] + dv_l[0] + a[0] * dt, v[1] + dv_l[1] + a[1] * dt, v[2] + dv_l[2] + a[2] * dt)
    vec.store3(fs, FS_VEL, v_new)
    vec.store3(fs, FS_POS, (r[0] + 0.5 * dt * (v[0] + v_new[0]),
                            r[1] + 0.5 * dt * (v[1] + v_new[1]),
                            r[2] + 0.5 * dt * (v[2] + v_new[2])))
    # P = F P F^T + Q with F = [[I, dt I, -dt^2/2 R, 0], [0, I, -dt R, 0], [0, 0, I, 0], [0, 0, 0, I]],
    # R body -> landing: F from the left on every column, then from the right on every row (the open
    # states only: closed beam biases are rows and columns of zeros, which F keeps zero)
    c = FS_COV
    h2 = 0.5 * dt * dt
    n = _n_open(fs)
    for j in range(n):
        pb = (fs[c + 6 * N + j], fs[c + 7 * N + j], fs[c + 8 * N + j])
        rb = (rx[0] * pb[0] + ry[0] * pb[1] + rz[0] * pb[2],
              rx[1] * pb[0] + ry[1] * pb[1] + rz[1] * pb[2],
              rx[2] * pb[0] + ry[2] * pb[1] + rz[2] * pb[2])
        for i in range(3):
            fs[c + N * i + j] += dt * fs[c + N * (i + 3) + j] - h2 * rb[i]
            fs[c + N * (i + 3) + j] -= dt * rb[i]
    for i in range(n):
        pb = (fs[c + N * i + 6], fs[c + N * i + 7], fs[c + N * i + 8])
        rb = (rx[0] * pb[0] + ry[0] * pb[1] + rz[0] * pb[2],
              rx[1] * pb[0] + ry[1] * pb[1] + rz[1] * pb[2],
              rx[2] * pb[0] + ry[2] * pb[1] + rz[2] * pb[2])
        for j in range(3):
            fs[c + N * i + j] += dt * fs[c + N * i + j + 3] - h2 * rb[j]
            fs[c + N * i + j + 3] -= dt * rb[j]
    # the two passes round differently: keep P exactly symmetric (it matters in float)
    for i in range(n):
        for j in range(i):
            fs[c + N * i + j] = fs[c + N * j + i]
    qv = cfg[CF_Q_ACCEL] * cfg[CF_Q_ACCEL] * dt
    for i in range(3):
        fs[c + (N + 1) * (i + 3)] += qv
    return health


@kernel
def _ph(fs, i, hr, hv, hb):
    """Row i of P H^T for H = [hr, hv, 0, hb].  The beam-bias terms come last: while those
    states are closed (zero covariance) they add exact zeros."""
    c = FS_COV + N * i
    return (fs[c] * hr[0] + fs[c + 1] * hr[1] + fs[c + 2] * hr[2]
            + fs[c + 3] * hv[0] + fs[c + 4] * hv[1] + fs[c + 5] * hv[2]
            + fs[c + NB] * hb[0] + fs[c + NB + 1] * hb[1] + fs[c + NB + 2] * hb[2])


@kernel
def _update(fs, cfg, hr, hv, hb, innov, var):
    """Scalar update with H = [hr, hv, 0, hb] (no sensor sees the accelerometer bias
    directly; hb picks a velocimeter beam's bias); returns False if the innovation fails
    the gate."""
    c = FS_COV
    n = _n_open(fs)
    ph = (_ph(fs, 0, hr, hv, hb), _ph(fs, 1, hr, hv, hb), _ph(fs, 2, hr, hv, hb), _ph(fs, 3, hr, hv, hb),
          _ph(fs, 4, hr, hv, hb), _ph(fs, 5, hr, hv, hb), _ph(fs, 6, hr, hv, hb), _ph(fs, 7, hr, hv, hb),
          _ph(fs, 8, hr, hv, hb), _ph(fs, 9, hr, hv, hb) if n == N else 0.0,
          _ph(fs, 10, hr, hv, hb) if n == N else 0.0, _ph(fs, 11, hr, hv, hb) if n == N else 0.0)
    s = (hr[0] * ph[0] + hr[1] * ph[1] + hr[2] * ph[2] + hv[0] * ph[3] + hv[1] * ph[4] + hv[2] * ph[5]
         + hb[0] * ph[NB] + hb[1] * ph[NB + 1] + hb[2] * ph[NB + 2] + var)
    g = cfg[CF_GATE]
    if innov * innov > g * g * s:
        return False
    k = innov / s
    for i in range(3):
        fs[FS_POS + i] += ph[i] * k
        fs[FS_VEL + i] += ph[i + 3] * k
        fs[FS_ACC_BIAS + i] += ph[i + 6] * k
        fs[FS_VEL_BIAS + i] += ph[i + NB] * k
    for i in range(n):
        for j in range(n):
            fs[c + N * i + j] -= ph[i] * ph[j] / s
    return True


@kernel
def _ray_to_datum(r, b, rs):
    """Range along unit b from r to the datum sphere, and the sphere normal there; -1 if none.

    Written without differences of terms of order rs^2 (~3e12 m^2), which in single
    precision would cost decimetres near the ground."""
    oz = r[2] + rs
    bb = r[0] * b[0] + r[1] * b[1] + oz * b[2]
    cc = r[0] * r[0] + r[1] * r[1] + r[2] * (r[2] + 2.0 * rs)      # |r_c|^2 - rs^2
    cx = r[1] * b[2] - oz * b[1]
    cy = oz * b[0] - r[0] * b[2]
    cz = r[0] * b[1] - r[1] * b[0]
    disc = rs * rs - (cx * cx + cy * cy + cz * cz)                   # bb^2 - cc for unit b
    if disc < 0.0 or bb >= 0.0:
        return -1.0, (0.0, 0.0, 1.0)
    s = cc / (-bb + math.sqrt(disc))
    n = vec.unit((r[0] + s * b[0], r[1] + s * b[1], oz + s * b[2]))
    return s, n


@kernel
def _open_beam_biases(fs, var):
    """Every beam's bias variance to var, once a flight (module docstring)."""
    if int(fs[FS_HEALTH]) & HEALTH_VEL_BIAS:
        return
    fs[FS_HEALTH] = float(int(fs[FS_HEALTH]) | HEALTH_VEL_BIAS)
    for k in range(3):
        if fs[FS_VEL_SCORE + k] > 0.0:         # an isolated beam (-1) stays out
            fs[FS_VEL_SCORE + k] = 0.0
    _reopen(fs, NB, 3, var, 3)


@kernel
def _score_beams(fs, accepted, rejected, miss2):
    """Count this frame's beam rejections toward isolation (module docstring).  The first
    score to reach ISOLATE_SCORE opens the beams' biases instead (and the velocity, which took
    the bias in), and resets the scores: returns True then."""
    for j in range(3):
        score = fs[FS_VEL_SCORE + j]
        if score < 0.0:
            continue
        if rejected & (1 << j):
            if accepted & ~(1 << j):
                score += 1.0
        elif accepted & (1 << j):
            score = max(score - ISOLATE_LEAK, 0.0)
        if score >= ISOLATE_SCORE:
            if int(fs[FS_HEALTH]) & HEALTH_VEL_BIAS == 0:
                _open_beam_biases(fs, miss2)
                _reopen(fs, 3, 3, miss2, 1)
                return True
            if int(fs[FS_HEALTH]) & HEALTH_VEL_ISOLATED == 0:
                score = -1.0
                fs[FS_HEALTH] = float(int(fs[FS_HEALTH]) | HEALTH_VEL_ISOLATED)
        fs[FS_VEL_SCORE + j] = score
    return False


@kernel
def watch_alt_step(fs, innov, var_jump):
    """Look for a step in the altimeter's innovations (module docstring); var_jump is the
    variance of a sound sample's change from the last."""
    if int(fs[FS_HEALTH]) & HEALTH_ALT_BIAS:
        return
    d = innov - fs[FS_ALT_REF]
    n = fs[FS_ALT_STEP + 1]
    if n > 0.0:
        mean = fs[FS_ALT_STEP] / n
        if d * mean > 0.0 and abs(d) >= 0.5 * abs(mean):
            fs[FS_ALT_STEP] += d
            fs[FS_ALT_STEP + 1] = n + 1.0
            if n + 1.0 >= STEP_CONFIRM:
                fs[FS_ALT_BIAS] = fs[FS_ALT_STEP] / (n + 1.0)
                fs[FS_HEALTH] = float(int(fs[FS_HEALTH]) | HEALTH_ALT_BIAS)
            return
        # it did not hold: an outlier, or the ground; this sample is the new reference
        fs[FS_ALT_STEP] = 0.0
        fs[FS_ALT_STEP + 1] = 0.0
    elif fs[FS_T_ALT] >= 0.0 and d * d > STEP_SIGMA * STEP_SIGMA * var_jump and abs(innov) > abs(fs[FS_ALT_REF]):
        fs[FS_ALT_STEP] = d
        fs[FS_ALT_STEP + 1] = 1.0
        return
    fs[FS_ALT_REF] = innov


@kernel
def _reopen(fs, first, n, var, kind):
    """Add var to the variances of states first .. first + n - 1 and count it under kind
    (0 position, 1 velocity, 2 accelerometer bias, 3 beam biases)."""
    for i in range(first, first + n):
        fs[FS_COV + (N + 1) * i] += var
    fs[FS_REOPENS + kind] += 1.0


@kernel
def _beam_sigmas(fs, cfg, b, j, innov):
    """Beam j's innovation in units of the sigma the filter predicts for it."""
    c = FS_COV + 3 * N + 3
    s = cfg[CF_SIG_VEL] * cfg[CF_SIG_VEL]
    for k in range(3):
        for m in range(3):
            s += b[k] * fs[c + N * k + m] * b[m]
    cb = FS_COV + (NB + j) * N
    s += fs[cb + NB + j] + 2.0 * (b[0] * fs[cb + 3] + b[1] * fs[cb + 4] + b[2] * fs[cb + 5])
    return innov / math.sqrt(s)


@kernel
def _watch_velocimeter(fs, cfg, accepted, rejected, miss2):
    """This frame's beams against the filter (module docstring); True if it reopened."""
    reopened = False
    if accepted == 0 and rejected & (rejected - 1):
        fs[FS_VEL_MISS] += 1.0
        if fs[FS_VEL_MISS] >= VEL_REOPEN:
            fs[FS_VEL_MISS] = 0.0
            if fs[FS_REOPENS + 1] > 0.0:
                _open_beam_biases(fs, miss2)
            _reopen(fs, 3, 3, miss2, 1)
            reopened = True
    else:
        fs[FS_VEL_MISS] = 0.0
    drifting = 0
    for j in range(3):
        if abs(fs[FS_VEL_DRIFT + j]) > DRIFT_Z:
            drifting += 1
    if drifting >= 2:
        _reopen(fs, 6, 3, cfg[CF_SIG_ACC_BIAS] * cfg[CF_SIG_ACC_BIAS], 2)
        for j in range(3):
            fs[FS_VEL_DRIFT + j] = 0.0
        reopened = True
    return reopened


@kernel
def correct(sf, cfg, fs, t):
    """Star-tracker attitude blend and filter updates from whatever this frame carries."""
    valid = int(sf[SF_VALID])
    health = 0
    if valid & VALID_STAR:
        q = vec.load4(fs, FS_Q_IB)
        e = vec.q_to_rotvec(vec.q_mul(vec.q_conj(q), vec.load4(sf, SF_STAR_Q)))
        vec.store4(fs, FS_Q_IB, vec.q_normalize(vec.q_mul(q, vec.q_from_rotvec(vec.scale(e, cfg[CF_STAR_GAIN])))))
    qlb = q_lb(fs, t, cfg)
    zero = (0.0, 0.0, 0.0)
    if valid & VALID_ALT:
        r = vec.load3(fs, FS_POS)
        b = vec.q_rot(qlb, vec.load3(cfg, CF_ALT_BORE))
        s, n = _ray_to_datum(r, b, cfg[CF_R_SITE])
        cos_inc = -vec.dot(n, b)
        if s > 0.0 and cos_inc > 0.1:
            rho = sf[SF_ALT_RANGE] - fs[FS_ALT_BIAS]
            sig = cfg[CF_SIG_ALT] * rho
            st = cfg[CF_SIG_TERRAIN]
            sr = cfg[CF_SIG_RELIEF] * rho
            phi = 0.0
            pht = 0.0
            if fs[FS_T_ALT] >= 0.0:
                # the footprint's velocity along the ground: the beam origin's, swept by the
                # body rate at range s, less its part along the beam
                omega = vec.q_rot(qlb, vec.load3(fs, FS_RATE))
                w = vec.add(vec.load3(fs, FS_VEL), vec.scale(vec.cross(omega, b), s))
                foot = vec.add(w, vec.scale(b, vec.dot(n, w) / cos_inc))
                # floored: a still footprint's factor is infinite, 1e-6 already makes its terms moot
                d = vec.norm(foot) * (t - fs[FS_T_ALT])
                phi = pmath.exp(-max(d / cfg[CF_RELIEF_CORR], 1e-6))
                pht = pmath.exp(-max(d / cfg[CF_TERRAIN_CORR], 1e-6))
            var = (sig * sig + cfg[CF_SIG_ALT_MIN] * cfg[CF_SIG_ALT_MIN] + st * st * (1.0 + pht) / (1.0 - pht)
                   + sr * sr * (1.0 + phi) / (1.0 - phi))
            noise = sig * sig + cfg[CF_SIG_ALT_MIN] * cfg[CF_SIG_ALT_MIN]
            watch_alt_step(fs, rho - s, 2.0 * (noise + st * st * (1.0 - pht) + sr * sr * (1.0 - phi)))
            # only the altitude part: at tens of km slant range the datum's curvature makes
            # horizontal position weakly observable, and trusting that lets errors wander
            up = vec.unit((r[0], r[1], r[2] + cfg[CF_R_SITE]))
            hr = vec.scale(up, vec.dot(n, up) / cos_inc)
            if _update(fs, cfg, hr, zero, zero, rho - s, var):
                fs[FS_T_ALT] = t
            else:
                health |= HEALTH_ALT_REJECTED
            # the reference as the filter now predicts it: what is left of it once the update moved the state
            fs[FS_ALT_REF] -= vec.dot(hr, vec.sub(vec.load3(fs, FS_POS), r))
    accepted = 0
    rejected = 0
    miss2 = 0.0
    for j in range(3):
        if valid & (VALID_VEL0 << j) and fs[FS_VEL_SCORE + j] >= 0.0:
            b = vec.q_rot(qlb, vec.load3(cfg, CF_VEL_BORE + 3 * j))
            innov = sf[SF_VEL_BEAM + j] - vec.dot(b, vec.load3(fs, FS_VEL)) - fs[FS_VEL_BIAS + j]
            fs[FS_VEL_DRIFT + j] += DRIFT_ALPHA * (_beam_sigmas(fs, cfg, b, j, innov) - fs[FS_VEL_DRIFT + j])
            hb = (1.0 if j == 0 else 0.0, 1.0 if j == 1 else 0.0, 1.0 if j == 2 else 0.0)
            if _update(fs, cfg, zero, b, hb, innov, cfg[CF_SIG_VEL] * cfg[CF_SIG_VEL]):
                accepted |= 1 << j
            else:
                rejected |= 1 << j
                health |= HEALTH_VEL_REJECTED
                miss2 = max(miss2, innov * innov)
    if accepted | rejected:
        opened = _score_beams(fs, accepted, rejected, miss2)
        if _watch_velocimeter(fs, cfg, accepted, rejected, miss2) or opened:
            health |= HEALTH_NAV_REOPENED
    if valid & VALID_CAM:
        d = vec.q_rot(qlb, vec.load3(sf, SF_CAM_REL))   # target - vehicle, landing frame
        sig = cfg[CF_SIG_CAM] * vec.norm(d)
        used = False
        for i in range(3):
            hr = (-1.0 if i == 0 else 0.0, -1.0 if i == 1 else 0.0, -1.0 if i == 2 else 0.0)
            innov = d[i] + fs[FS_POS + i]
            if _update(fs, cfg, hr, zero, zero, innov, sig * sig):
                used = True
                if i < 2:
                    fs[FS_CAM_MISS + i] = 0.0
            elif i < 2:
                fs[FS_CAM_MISS + i] += 1.0
                if fs[FS_CAM_MISS + i] >= CAM_REOPEN:
                    fs[FS_CAM_MISS + i] = 0.0
                    _reopen(fs, i, 1, innov * innov, 0)
                    health |= HEALTH_NAV_REOPENED
        if used:
            health |= HEALTH_CAM_USED
            # fixes are relative to the map, whose tie to the terrain is uncertain by
            # the same amount all descent: averaging fixes cannot beat it
            floor = cfg[CF_SIG_MAP_TIE] * cfg[CF_SIG_MAP_TIE]
            for i in range(2):
                if fs[FS_COV + (N + 1) * i] < floor:
                    fs[FS_COV + (N + 1) * i] = floor
    return health


@kernel
def report(fs, af, health, q_nav, n):
    """The end of every program's step: phase, health bits, the navigation state
    (position, velocity, attitude q_nav in the program's frame, their 1-sigma from the
    program's n x n covariance, the orbit
    estimate) and the idle time into the actuator frame: what the host records and
    coasts by, so that it never needs the state itself."""
    af[AF_PHASE] = fs[FS_PHASE]
    af[AF_HEALTH] = float(int(fs[FS_HEALTH]) | health)
    vec.store3(af, AF_NAV_POS, vec.load3(fs, FS_POS))
    vec.store3(af, AF_NAV_VEL, vec.load3(fs, FS_VEL))
    vec.store4(af, AF_NAV_Q, q_nav)
    for i in range(6):
        # max keeps a NaN (the first argument unless 0 is larger): a broken filter shows
        af[AF_NAV_SIGMA + i] = math.sqrt(max(fs[FS_COV + (n + 1) * i], 0.0))
    vec.store3(af, AF_NAV_ORBIT_POS, vec.load3(fs, FS_ORB_POS))
    vec.store3(af, AF_NAV_ORBIT_VEL, vec.load3(fs, FS_ORB_VEL))
    af[AF_IDLE_S] = fs[FS_T_IDLE]
