"""Powered descent program: Chang'e's phases and their transition conditions.

    main braking        E-guidance at near-full thrust to the braking gate;
                        ends when the altitude estimate falls to brake_alt
    quick adjustment    E-guidance on a fixed-duration arc to the hover point,
                        pitching toward vertical; ends at approach_alt
    approach            the same arc (camera fixes now correct position); ends
                        when its time-to-go reaches 4 s
    hover               position hold at hover_alt for hover_time (hazard scan:
                        hdu_cmd commands the unit throughout),
                        longer until settled over the hover point (at most
                        4 x hover_time)
    obstacle avoidance  E-guidance to avoid_alt above the chosen site (the
                        hazard-detection unit's, else the target); ends at t_go 5 s
    slow descent        constant-rate descent over the site (final_rate below
                        final_alt), slower to none while off the site or moving
                        across (descend_share); ends when the altimeter puts the
                        foot pads at cutoff_alt
    free fall           engine off, body rates damped, until touchdown

The engine's delivered thrust is estimated every step from the IMU's sensed acceleration
times the mass estimate, over the thrust commanded for that step (a low-pass with time
constant THRUST_TAU, fed only once the command has held within THRUST_STEP for
THRUST_SETTLE: the engine's lag makes a fresh command look short).  Once the ratio falls
below 1 - SHORT_THRESHOLD (health bit thrust_short, sticky: a shortfall is the engine's,
not the moment's), guidance flies on it: the thrust it has, the command scaled up to get
the acceleration it wants, and the mass estimate drawn down by what the engine burns.
Until then the ratio is taken as 1, so a sound engine flies exactly as before.

Main braking runs near full thrust, so a short engine may not reach the braking gate: asked
for a deceleration it cannot give, a saturated command gives up lift with it and the vehicle
hits the ground still braking.  So on a short engine braking keeps lift and cross-range
first and brakes with the thrust left (health bit retargeted once that bites): it still
aims for the gate and ends past it when the gate is out of reach.  If it ends off the gate by
more than SHIFT_MIN_SHARE of the gate's distance, the landing site moves along the approach to
that distance ahead (site_shift, on the datum sphere), and the later phases fly to it: the
lander lands long instead of short of the target at speed.
"""

import math

from gnc.core import pmath, vec
from gnc.core.fsw import control, guidance, nav
from gnc.core.fsw.landing import altitude, apparent_gravity, local_up
from gnc.core.jit import kernel
from gnc.core.layout import (AF_HDU_CMD, AF_THRUST_CMD, CF_ALT_BORE, CF_APPROACH_ALT, CF_APPROACH_TIME,
                             CF_ATT_RATE_MAX, CF_AVOID_ALT, CF_AVOID_TIME, CF_BRAKE_ALT, CF_BRAKE_GATE,
                             CF_BRAKE_GATE_VEL, CF_BRAKE_THROTTLE, CF_CUTOFF_ALT, CF_DT, CF_FINAL_ALT, CF_FINAL_RATE,
                             CF_FWD, CF_HOVER_ALT, CF_HOVER_TIME, CF_ISP, CF_LEG_HEIGHT, CF_MAX_TILT, CF_MU,
                             CF_POS_BW, CF_R_SITE, CF_SLOW_RATE, CF_THRUST_MAX, CF_THRUST_MIN, FS_ACC_BIAS, FS_AIM,
                             FS_ALT_BIAS, FS_ALT_MISS, FS_HEALTH, FS_H_GROUND, FS_MASS, FS_PHASE, FS_POS, FS_RATE,
                             FS_TGO, FS_THRUST_ARM, FS_THRUST_LAST, FS_THRUST_RATIO, FS_THRUST_STEADY, FS_T_ALT_SEEN,
                             FS_T_PHASE, FS_VEL, FS_SITE_SHIFT, HEALTH_ALT_LOST, HEALTH_HDU_USED, HEALTH_RETARGETED,
                             HEALTH_THRUST_SATURATED, HEALTH_THRUST_SHORT, PHASE_APPROACH, PHASE_FREE_FALL,
                             PHASE_HOVER, PHASE_IDLE, PHASE_MAIN_BRAKING, PHASE_OBSTACLE_AVOIDANCE,
                             PHASE_QUICK_ADJUSTMENT, PHASE_SLOW_DESCENT,
                             SF_ALT_RANGE, SF_HDU_REL, SF_IMU_DV, SF_VALID, VALID_ALT, VALID_HDU, VALID_IMU)


HOLD_V_MAX = 6.0      # m/s: fastest position-hold transfer
BRAKE_TGO_POS = 20.0  # s: below this t_go main braking aims velocity only
SETTLED_POS = 3.0     # m: hover ends only this close over the hover point...
SETTLED_VEL = 0.5     # m/s: ...and this slow...
HOVER_MAX_FACTOR = 4.0  # ...or after this many times hover_time (then it goes on from where it is)
# slow descent descends at its full rate only within SETTLED_POS of its aim and SETTLED_VEL
# across, and holds its height from twice either: a vehicle handed over moving (a divert's
# re-plans failing at its end, a fallback's arc) is settled before it comes down, instead of
# swinging about the aim all the way to the ground (docs/guidance_pdg.md)
DESCEND_GATE = 2.0
HOLD_SLEW_SHARE = 0.5  # of the attitude loop's rate limit, the position hold's tilt may use
TGO_STRETCH = 0.25    # t_go runs at this rate while the tilt limit clips a command
# the site moves only when braking ended off its gate by more than this share of the gate's
# distance: the approach flies a smaller miss.  Sound engines that raise thrust_short in braking
# (59 of 10,000 dispersed runs) end within 0.6 km of the 4 km gate; the shortfalls of the fault
# campaign that end further off, 1.1-16.6 km
SHIFT_MIN_SHARE = 0.25
# thrust shortfall: a sound engine's ratio, as estimated, wanders up to ~4 % from 1 by the
# end of a dispersed descent (its 1 % thrust dispersion and the mass estimate's drift, which
# the estimate carries as it should: it is acceleration per newton); 5 % is past that, and the
# shortfalls that were lost were those of 7 % and more
SHORT_THRESHOLD = 0.05
THRUST_TAU = 2.0      # s: the ratio's low-pass (IMU noise, hover's command wander)
THRUST_SETTLE = 1.0   # s: five engine time constants (0.2 s) after ignition or a step
THRUST_STEP = 0.05    # a command change larger than this restarts the settle clock
RATIO_FLOOR = 0.5     # below this the estimate is not believed further
# the altimeter lost: it samples at 10 Hz and drops 1 % of its samples, so 10 missed in a row is
# the sensor, not chance; from the hover on, the hazard unit's site (5 cm per axis) checks it.  The
# altimeter looks ahead, at ground up to ~100 m from the site: the relief between the two grows with
# that distance, so the mismatch allowed does too (docs/faults.md: sound runs needed up to 0.156 m/m at 2 m)
ALT_SILENT = 1.0      # s
SITE_MISMATCH = 2.0   # m: allowed with the footprint on the site
SITE_RELIEF = 0.2     # m per m of the footprint's distance from the site
SITE_MISMATCH_N = 5.0  # samples in a row (0.5 s): the sliding footprint's odd rock or rim returns


@kernel
def _enter(fs, phase, t):
    fs[FS_PHASE] = phase
    fs[FS_T_PHASE] = t


@kernel
def _brake_gate(cfg):
    """Aim position and velocity of main braking, landing frame."""
    fwd = vec.load3(cfg, CF_FWD)
    left = (-fwd[1], fwd[0], 0.0)
    gp = vec.load3(cfg, CF_BRAKE_GATE)
    rf = (-gp[0] * fwd[0] + gp[1] * left[0], -gp[0] * fwd[1] + gp[1] * left[1], gp[2])
    gv = (cfg[CF_BRAKE_GATE_VEL], cfg[CF_BRAKE_GATE_VEL + 1])
    vf = (gv[0] * fwd[0], gv[0] * fwd[1], gv[1])
    return rf, vf


@kernel
def _braking(r, v, cfg, a_thrust, a_full):
    """Main braking command (landing-frame axes), its t_go, solved in the local-level frame, and
    whether the downrange part had to give way.  With a_full > 0 (the engine is short: the most
    it delivers), a command beyond a_full keeps its vertical and cross-range parts and the
    downrange braking gets what is left: saturating the whole vector instead gives up lift
    with the braking it cannot have, and the vehicle falls short of the gate at speed."""
    up, d, c, arc, alt, g_eff = guidance.local_level(r, v, cfg[CF_R_SITE], cfg[CF_MU])
    rf_l, vf_l = _brake_gate(cfg)
    fwd = vec.load3(cfg, CF_FWD)
    left = (-fwd[1], fwd[0], 0.0)
    if vec.dot(d, fwd) < 0.0:
        # past the target (only a braking short of thrust gets there): downrange stays downrange
        d, c, arc = vec.scale(d, -1.0), vec.scale(c, -1.0), -arc
    # aim point and velocity in (along-track to target, cross, up) coordinates from the vehicle
    rl = (0.0, 0.0, 0.0)
    rf = (arc + vec.dot(rf_l, fwd), vec.dot(rf_l, left), rf_l[2] - alt)
    vl = (vec.dot(v, d), vec.dot(v, c), vec.dot(v, up))
    vf = (vec.dot(vf_l, fwd), vec.dot(vf_l, left), vf_l[2])
    g = (0.0, 0.0, g_eff)
    tgo = guidance.tgo_braking(vl[0], vf[0], g_eff, a_thrust)
    if tgo > BRAKE_TGO_POS:
        a = guidance.zem_zev(rl, vl, rf, vf, g, tgo)
    else:
        # the last seconds: velocity only, as position terms grow like 1/t_go^2
        a = ((vf[0] - vl[0]) / tgo, (vf[1] - vl[1]) / tgo, (vf[2] - vl[2]) / tgo - g_eff)
    clipped = False
    side = a[1] * a[1] + a[2] * a[2]
    if a_full > 0.0 and a[0] * a[0] + side > a_full * a_full:
        ax = math.sqrt(max(a_full * a_full - side, 0.0))
        a = (-ax if a[0] < 0.0 else ax, a[1], a[2])
        clipped = True
    return (a[0] * d[0] + a[1] * c[0] + a[2] * up[0],
            a[0] * d[1] + a[1] * c[1] + a[2] * up[1],
            a[0] * d[2] + a[1] * c[2] + a[2] * up[2]), tgo, clipped


@kernel
def _site_shift(r, v, cfg):
    """Downrange distance (along the approach) that puts the landing site the braking gate's
    distance ahead of r: 0 where braking ended near enough its gate for the approach to fly."""
    up, d, c, arc, alt, g_eff = guidance.local_level(r, v, cfg[CF_R_SITE], cfg[CF_MU])
    shift = cfg[CF_BRAKE_GATE] - arc * vec.dot(d, vec.load3(cfg, CF_FWD))
    return shift if abs(shift) > SHIFT_MIN_SHARE * cfg[CF_BRAKE_GATE] else 0.0


@kernel
def site_point(cfg, fs, h):
    """The point h above the landing site, landing frame: (0, 0, h) over the target, or over
    the site main braking moved site_shift downrange along the approach, on the datum sphere."""
    shift = fs[FS_SITE_SHIFT]
    if shift == 0.0:
        return (0.0, 0.0, h)
    rs = cfg[CF_R_SITE]
    fwd = vec.load3(cfg, CF_FWD)
    s = pmath.sin(shift / rs)
    sh = pmath.sin(0.5 * shift / rs)
    drop = 2.0 * sh * sh           # 1 - cos, without the cancellation
    return ((rs + h) * s * fwd[0], (rs + h) * s * fwd[1], -rs * drop + h * (1.0 - drop))


@kernel
def _datum_z(cfg, fs, x, y):
    """Landing-frame z of the datum sphere beneath (x, y): 0 (the tangent plane) while the site
    is the target, as the phases near it have always flown; the sphere once it moved away."""
    if fs[FS_SITE_SHIFT] == 0.0:
        return 0.0
    rs = cfg[CF_R_SITE]
    q = x * x + y * y
    return -q / (math.sqrt(rs * rs - q) + rs)


@kernel
def _hdu_site(sf, r, q_lb):
    """The hazard unit's site in the landing frame, where it sees it from r now."""
    return vec.add(r, vec.q_rot(q_lb, vec.load3(sf, SF_HDU_REL)))


@kernel
def _track_ground(sf, cfg, fs, q_lb, up, v, t, dt):
    """Foot-pad height over the true ground (not the datum): reset by each altimeter
    sample that looks down steeply enough (less the step nav may have found in its range),
    carried forward with the velocity estimate between samples.  -1 until the first sample.
    Once the altimeter is lost (module docstring), the hazard unit's site gives it."""
    h = fs[FS_H_GROUND]
    if h >= 0.0:
        h = max(h + vec.dot(v, up) * dt, 0.0)
    valid = int(sf[SF_VALID])
    site = (valid & VALID_HDU) != 0
    h_site = 0.0
    s = (0.0, 0.0, 0.0)
    depth = 0.0
    if site:
        s = vec.q_rot(q_lb, vec.load3(sf, SF_HDU_REL))
        depth = -vec.dot(s, up)
        h_site = max(depth - cfg[CF_LEG_HEIGHT], 0.0)
    if valid & VALID_ALT:
        fs[FS_T_ALT_SEEN] = t
        b = vec.q_rot(q_lb, vec.load3(cfg, CF_ALT_BORE))
        c = -vec.dot(b, up)
        if c >= 0.2:
            h = max((sf[SF_ALT_RANGE] - fs[FS_ALT_BIAS]) * c - cfg[CF_LEG_HEIGHT], 0.0)
            if site:
                # where the beam would meet the level ground through the site, from the site
                d = vec.norm(vec.sub(vec.scale(b, depth / c), s))
                allowed = SITE_MISMATCH + SITE_RELIEF * d
                fs[FS_ALT_MISS] = fs[FS_ALT_MISS] + 1.0 if abs(h - h_site) > allowed else 0.0
    if site and (t - fs[FS_T_ALT_SEEN] > ALT_SILENT or fs[FS_ALT_MISS] >= SITE_MISMATCH_N):
        fs[FS_HEALTH] = float(int(fs[FS_HEALTH]) | HEALTH_ALT_LOST)
    if site and int(fs[FS_HEALTH]) & HEALTH_ALT_LOST:
        h = h_site
    fs[FS_H_GROUND] = h
    return h


@kernel
def _estimate_thrust(sf, fs, mass, dt):
    """Update the delivered/commanded thrust ratio from the last step's IMU sample; returns
    the ratio guidance flies on (1 until a shortfall is declared)."""
    last = fs[FS_THRUST_LAST]
    if int(sf[SF_VALID]) & VALID_IMU and last > 0.0 and fs[FS_THRUST_STEADY] >= THRUST_SETTLE:
        dv = vec.load3(sf, SF_IMU_DV)
        b = vec.load3(fs, FS_ACC_BIAS)
        f = vec.norm((dv[0] / dt - b[0], dv[1] / dt - b[1], dv[2] / dt - b[2]))
        fs[FS_THRUST_RATIO] += dt / THRUST_TAU * (f * mass / last - fs[FS_THRUST_RATIO])
        if fs[FS_THRUST_RATIO] < 1.0 - SHORT_THRESHOLD:
            fs[FS_HEALTH] = float(int(fs[FS_HEALTH]) | HEALTH_THRUST_SHORT)
    if int(fs[FS_HEALTH]) & HEALTH_THRUST_SHORT:
        return min(max(fs[FS_THRUST_RATIO], RATIO_FLOOR), 1.0)
    return 1.0


@kernel
def _hold_thrust(fs, thrust, dt):
    """Run the settle clock of the thrust estimate on the command just given."""
    last = fs[FS_THRUST_LAST]
    if thrust > 0.0 and last > 0.0 and abs(thrust - last) <= THRUST_STEP * last:
        fs[FS_THRUST_STEADY] += dt
    else:
        fs[FS_THRUST_STEADY] = 0.0


@kernel
def prepare(sf, cfg, fs, t):
    """What every guidance law of the descent flies on, from the navigation estimate: (r, v,
    apparent gravity, up, altitude, attitude, mass, thrust ratio, foot-pad height); it also
    keeps the state these estimates carry from step to step (the thrust ratio, the ground
    height, the thrust arm)."""
    dt = cfg[CF_DT]
    r = vec.load3(fs, FS_POS)
    v = vec.load3(fs, FS_VEL)
    g = apparent_gravity(r, v, cfg)
    up = local_up(r, cfg)
    alt = altitude(r, cfg)
    q_lb = nav.q_lb(fs, t, cfg)
    mass = fs[FS_MASS]
    ratio = _estimate_thrust(sf, fs, mass, dt)
    h_ground = _track_ground(sf, cfg, fs, q_lb, up, v, t, dt)
    control.learn_thrust_arm(fs, (int(sf[SF_VALID]) & VALID_IMU) != 0, mass, cfg, dt)
    return r, v, g, up, alt, q_lb, mass, ratio, h_ground


@kernel
def phased(sf, cfg, fs, af, t, pre):
    """Chang'e's phases, from prepare's tuple pre: the transitions and the control
    acceleration of the phase flown; returns (acceleration, phase, health bits)."""
    r, v, g, up, alt, q_lb, mass, ratio, h_ground = pre
    dt = cfg[CF_DT]
    a_min = ratio * cfg[CF_THRUST_MIN] / mass
    a_max = ratio * cfg[CF_THRUST_MAX] / mass
    phase = int(fs[FS_PHASE])
    health = 0
    zero = (0.0, 0.0, 0.0)

    if phase == PHASE_IDLE:
        _enter(fs, PHASE_MAIN_BRAKING, t)
        phase = PHASE_MAIN_BRAKING
    if phase == PHASE_MAIN_BRAKING and alt <= cfg[CF_BRAKE_ALT]:
        _enter(fs, PHASE_QUICK_ADJUSTMENT, t)
        phase = PHASE_QUICK_ADJUSTMENT
        fs[FS_TGO] = cfg[CF_APPROACH_TIME]
        if int(fs[FS_HEALTH]) & HEALTH_RETARGETED:
            fs[FS_SITE_SHIFT] = _site_shift(r, v, cfg)
        vec.store3(fs, FS_AIM, site_point(cfg, fs, cfg[CF_HOVER_ALT]))
    hover_pt = site_point(cfg, fs, cfg[CF_HOVER_ALT])
    if phase == PHASE_QUICK_ADJUSTMENT and alt <= cfg[CF_APPROACH_ALT]:
        _enter(fs, PHASE_APPROACH, t)
        phase = PHASE_APPROACH
    if phase == PHASE_APPROACH and fs[FS_TGO] <= 4.0:
        _enter(fs, PHASE_HOVER, t)
        phase = PHASE_HOVER
    settled = (pmath.hypot(r[0] - hover_pt[0], r[1] - hover_pt[1]) <= SETTLED_POS
               and vec.norm(v) <= SETTLED_VEL)
    hover_s = t - fs[FS_T_PHASE]
    if phase == PHASE_HOVER and ((hover_s >= cfg[CF_HOVER_TIME] and settled)
                                 or hover_s >= HOVER_MAX_FACTOR * cfg[CF_HOVER_TIME]):
        _enter(fs, PHASE_OBSTACLE_AVOIDANCE, t)
        phase = PHASE_OBSTACLE_AVOIDANCE
        site = site_point(cfg, fs, 0.0)
        if int(sf[SF_VALID]) & VALID_HDU:
            site = _hdu_site(sf, r, q_lb)
            health |= HEALTH_HDU_USED
        vec.store3(fs, FS_AIM, (site[0], site[1], _datum_z(cfg, fs, site[0], site[1]) + cfg[CF_AVOID_ALT]))
        fs[FS_TGO] = cfg[CF_AVOID_TIME]
    if phase == PHASE_OBSTACLE_AVOIDANCE and fs[FS_TGO] <= 5.0:
        _enter(fs, PHASE_SLOW_DESCENT, t)
        phase = PHASE_SLOW_DESCENT
    if phase == PHASE_SLOW_DESCENT and 0.0 <= h_ground <= cfg[CF_CUTOFF_ALT]:
        _enter(fs, PHASE_FREE_FALL, t)
        phase = PHASE_FREE_FALL
    if (phase == PHASE_OBSTACLE_AVOIDANCE or phase == PHASE_SLOW_DESCENT) and int(sf[SF_VALID]) & VALID_HDU:
        # the site where the unit sees it now, relative to the vehicle: where the position
        # estimate put it moves with every correction of the estimate (tens of metres away
        # from the camera's landmark, as on a site moved downrange)
        site = _hdu_site(sf, r, q_lb)
        vec.store3(fs, FS_AIM, (site[0], site[1], fs[FS_AIM + 2]))
    # the hazard scan is what the hover waits for: command it for as long as it lasts, so a
    # frame lost on the link delays the scan by a step instead of cancelling it
    if phase == PHASE_HOVER:
        af[AF_HDU_CMD] = 1.0

    if phase == PHASE_MAIN_BRAKING:
        a_full = a_max if int(fs[FS_HEALTH]) & HEALTH_THRUST_SHORT else 0.0
        a, tgo, clipped = _braking(r, v, cfg, cfg[CF_BRAKE_THROTTLE] * a_max, a_full)
        if clipped:
            fs[FS_HEALTH] = float(int(fs[FS_HEALTH]) | HEALTH_RETARGETED)
        fs[FS_TGO] = tgo
        vec.store3(fs, FS_AIM, _brake_gate(cfg)[0])
    elif phase == PHASE_QUICK_ADJUSTMENT or phase == PHASE_APPROACH:
        a_raw = guidance.zem_zev(r, v, hover_pt, zero, g, max(fs[FS_TGO], 4.0))
        a = a_raw
        if phase == PHASE_APPROACH:
            a = guidance.shape_thrust(a_raw, up, a_min, cfg[CF_MAX_TILT])
        # a clipped command cannot keep the schedule: slow the clock instead of overshooting
        fs[FS_TGO] -= dt * (TGO_STRETCH if vec.norm(vec.sub(a, a_raw)) > 1e-3 else 1.0)
    elif phase == PHASE_HOVER:
        a = guidance.hold(r, v, hover_pt, zero, g, up, cfg[CF_POS_BW], HOLD_V_MAX,
                          HOLD_SLEW_SHARE * cfg[CF_ATT_RATE_MAX])
        a = guidance.shape_thrust(a, up, a_min, cfg[CF_MAX_TILT])
    elif phase == PHASE_OBSTACLE_AVOIDANCE:
        a_raw = guidance.zem_zev(r, v, vec.load3(fs, FS_AIM), zero, g, max(fs[FS_TGO], 5.0))
        a = guidance.shape_thrust(a_raw, up, a_min, cfg[CF_MAX_TILT])
        fs[FS_TGO] -= dt * (TGO_STRETCH if vec.norm(vec.sub(a, a_raw)) > 1e-3 else 1.0)
    elif phase == PHASE_SLOW_DESCENT:
        rate = cfg[CF_FINAL_RATE] if 0.0 <= h_ground <= cfg[CF_FINAL_ALT] else cfg[CF_SLOW_RATE]
        aim = vec.load3(fs, FS_AIM)
        rate *= descend_share(r, v, aim, up)
        bw = cfg[CF_POS_BW]
        a = guidance.hold(r, v, (aim[0], aim[1], r[2]), vec.scale(up, -rate), g, up, bw, HOLD_V_MAX,
                          HOLD_SLEW_SHARE * cfg[CF_ATT_RATE_MAX])
        a = guidance.shape_thrust(a, up, a_min, cfg[CF_MAX_TILT])
    else:
        a = vec.scale(up, 0.0)
    return a, phase, health


@kernel
def descend_share(r, v, aim, up):
    """The share of its descent rate slow descent flies: 1 settled over the aim (within
    SETTLED_POS across and SETTLED_VEL), 0 from DESCEND_GATE times either, linear between."""
    e_h = vec.norm(vec.reject(vec.sub(aim, r), up))
    v_h = vec.norm(vec.reject(v, up))
    worst = max(e_h / SETTLED_POS, v_h / SETTLED_VEL)
    return min(max((DESCEND_GATE - worst) / (DESCEND_GATE - 1.0), 0.0), 1.0)


@kernel
def actuate(cfg, fs, af, a, phase, up, q_lb, mass, ratio, health):
    """Thrust and attitude for the control acceleration a (engine off in free fall), the RCS
    pulses, and the estimates that follow the command (rate, mass, thrust settle clock)."""
    dt = cfg[CF_DT]
    if phase == PHASE_FREE_FALL:
        thrust = 0.0
        q_des = q_lb                 # hold the attitude: damp the rates, no slew before contact
    else:
        thrust = mass * vec.norm(a) / ratio
        if thrust > cfg[CF_THRUST_MAX]:
            thrust = cfg[CF_THRUST_MAX]
            health |= HEALTH_THRUST_SATURATED
        thrust = max(thrust, cfg[CF_THRUST_MIN])
        q_des = control.desired_attitude(a if vec.norm(a) > 0.0 else up, up, vec.load3(cfg, CF_FWD))
    af[AF_THRUST_CMD] = thrust
    arm = vec.load3(fs, FS_THRUST_ARM)
    control.rcs_pulses(q_lb, q_des, vec.load3(fs, FS_RATE), mass, cfg, dt, af, vec.scale(arm, -thrust))
    control.predict_rate(fs, af, thrust, mass, cfg, dt)
    fs[FS_MASS] = mass - ratio * thrust * dt / cfg[CF_ISP]
    _hold_thrust(fs, thrust, dt)
    fs[FS_THRUST_LAST] = thrust
    return health


@kernel
def step(sf, cfg, fs, af, t):
    """One guidance + control step of the descent; navigation has already run."""
    pre = prepare(sf, cfg, fs, t)
    a, phase, health = phased(sf, cfg, fs, af, t, pre)
    up, q_lb, mass, ratio = pre[3], pre[5], pre[6], pre[7]
    return actuate(cfg, fs, af, a, phase, up, q_lb, mass, ratio, health)
