#include "descent.h"

#include "control.h"
#include "landing.h"
#include "guidance.h"
#include "layout.h"
#include "nav.h"

#define HOLD_V_MAX RC(6.0)        /* m/s: fastest position-hold transfer */
#define BRAKE_TGO_POS RC(20.0)    /* s: below this t_go main braking aims velocity only */
#define SETTLED_POS RC(3.0)       /* m: hover ends only this close over the hover point... */
#define SETTLED_VEL RC(0.5)       /* m/s: ...and this slow... */
#define HOVER_MAX_FACTOR RC(4.0)  /* ...or after this many times hover_time */
/* slow descent descends at its full rate only settled over its aim (SETTLED_POS, SETTLED_VEL),
 * and holds its height from DESCEND_GATE times either (gnc/core/fsw/descent.py) */
#define DESCEND_GATE RC(2.0)
#define HOLD_SLEW_SHARE RC(0.5)   /* of the attitude loop's rate limit, the position hold's tilt may use */
#define TGO_STRETCH RC(0.25)      /* t_go runs at this rate while the tilt limit clips a command */
/* the site moves only when braking ended off its gate by more than this share of the gate's
 * distance (gnc/core/fsw/descent.py) */
#define SHIFT_MIN_SHARE RC(0.25)
/* thrust shortfall estimate (gnc/core/fsw/descent.py): past the ~4 % a sound engine's
 * estimate wanders by the end of a dispersed descent */
#define SHORT_THRESHOLD RC(0.05)
#define THRUST_TAU RC(2.0)        /* s: the ratio's low-pass */
#define THRUST_SETTLE RC(1.0)     /* s: five engine time constants after ignition or a step */
#define THRUST_STEP RC(0.05)      /* a command change larger than this restarts the settle clock */
#define RATIO_FLOOR RC(0.5)       /* below this the estimate is not believed further */
/* the altimeter lost (gnc/core/fsw/descent.py): 10 of its 10 Hz samples missed in a row, or
 * SITE_MISMATCH_N in a row at odds with the hazard unit's site */
#define ALT_SILENT RC(1.0)        /* s */
#define SITE_MISMATCH RC(2.0)     /* m, with the altimeter's footprint on the site */
#define SITE_RELIEF RC(0.2)       /* m per m of the footprint's distance from the site */
#define SITE_MISMATCH_N RC(5.0)   /* samples */

/* The share of its descent rate slow descent flies: 1 within SETTLED_POS of the aim across and
 * SETTLED_VEL, 0 from DESCEND_GATE times either, linear between. */
static real descend_share(vec3 r, vec3 v, vec3 aim, vec3 up)
{
    real e_h = v3_norm(v3_reject(v3_sub(aim, r), up));
    real v_h = v3_norm(v3_reject(v, up));
    real worst = r_max(e_h / SETTLED_POS, v_h / SETTLED_VEL);
    return r_min(r_max((DESCEND_GATE - worst) / (DESCEND_GATE - RC(1.0)), RC(0.0)), RC(1.0));
}

static void enter(real *fs, int phase, real t)
{
    fs[FS_PHASE] = (real)phase;
    fs[FS_T_PHASE] = t;
}

/* Aim position and velocity of main braking, landing frame. */
static void brake_gate(const real *cfg, vec3 *rf, vec3 *vf)
{
    vec3 fwd = v3_load(cfg, CF_FWD);
    vec3 left = v3(-fwd.y, fwd.x, RC(0.0));
    vec3 gp = v3_load(cfg, CF_BRAKE_GATE);
    real gv0 = cfg[CF_BRAKE_GATE_VEL], gv1 = cfg[CF_BRAKE_GATE_VEL + 1];
    *rf = v3(-gp.x * fwd.x + gp.y * left.x, -gp.x * fwd.y + gp.y * left.y, gp.z);
    *vf = v3(gv0 * fwd.x, gv0 * fwd.y, gv1);
}

/* Main braking command (landing-frame axes), its t_go, solved in the local-level frame, and
 * whether the downrange part had to give way.  With a_full > 0 (the engine is short: the most it
 * delivers), a command beyond a_full keeps its vertical and cross-range parts and the downrange
 * braking gets what is left: saturating the whole vector instead gives up lift with the
 * braking it cannot have, and the vehicle falls short of the gate at speed. */
static vec3 braking(vec3 r, vec3 v, const real *cfg, real a_thrust, real a_full, real *tgo, int *clipped)
{
    local_level ll = guidance_local_level(r, v, cfg[CF_R_SITE], cfg[CF_MU]);
    vec3 rf_l, vf_l, rf, vl, vf, a;
    real side;
    vec3 fwd = v3_load(cfg, CF_FWD);
    vec3 left = v3(-fwd.y, fwd.x, RC(0.0));
    if (v3_dot(ll.d, fwd) < RC(0.0)) {
        /* past the target (only a braking short of thrust gets there): downrange stays downrange */
        ll.d = v3_scale(ll.d, RC(-1.0));
        ll.c = v3_scale(ll.c, RC(-1.0));
        ll.arc = -ll.arc;
    }
    brake_gate(cfg, &rf_l, &vf_l);
    /* aim point and velocity in (along-track to target, cross, up) coordinates from the vehicle */
    rf = v3(ll.arc + v3_dot(rf_l, fwd), v3_dot(rf_l, left), rf_l.z - ll.alt);
    vl = v3(v3_dot(v, ll.d), v3_dot(v, ll.c), v3_dot(v, ll.up));
    vf = v3(v3_dot(vf_l, fwd), v3_dot(vf_l, left), vf_l.z);
    *tgo = guidance_tgo_braking(vl.x, vf.x, ll.g_eff, a_thrust);
    if (*tgo > BRAKE_TGO_POS)
        a = guidance_zem_zev(v3(RC(0.0), RC(0.0), RC(0.0)), vl, rf, vf, v3(RC(0.0), RC(0.0), ll.g_eff), *tgo);
    else /* the last seconds: velocity only, as position terms grow like 1/t_go^2 */
        a = v3((vf.x - vl.x) / *tgo, (vf.y - vl.y) / *tgo, (vf.z - vl.z) / *tgo - ll.g_eff);
    *clipped = 0;
    side = a.y * a.y + a.z * a.z;
    if (a_full > RC(0.0) && a.x * a.x + side > a_full * a_full) {
        real ax = r_sqrt(r_max(a_full * a_full - side, RC(0.0)));
        a.x = a.x < RC(0.0) ? -ax : ax;
        *clipped = 1;
    }
    return v3(a.x * ll.d.x + a.y * ll.c.x + a.z * ll.up.x,
              a.x * ll.d.y + a.y * ll.c.y + a.z * ll.up.y,
              a.x * ll.d.z + a.y * ll.c.z + a.z * ll.up.z);
}

/* Downrange distance (along the approach) that puts the landing site the braking gate's
 * distance ahead of r: 0 where braking ended near enough its gate for the approach to fly. */
static real site_shift(vec3 r, vec3 v, const real *cfg)
{
    local_level ll = guidance_local_level(r, v, cfg[CF_R_SITE], cfg[CF_MU]);
    real shift = cfg[CF_BRAKE_GATE] - ll.arc * v3_dot(ll.d, v3_load(cfg, CF_FWD));
    return r_fabs(shift) > SHIFT_MIN_SHARE * cfg[CF_BRAKE_GATE] ? shift : RC(0.0);
}

/* The point h above the landing site, landing frame: (0, 0, h) over the target, or over the
 * site main braking moved site_shift downrange along the approach, on the datum sphere. */
vec3 descent_site_point(const real *cfg, const real *fs, real h)
{
    real shift = fs[FS_SITE_SHIFT], rs, s, sh, drop;
    vec3 fwd;
    if (shift == RC(0.0))
        return v3(RC(0.0), RC(0.0), h);
    rs = cfg[CF_R_SITE];
    fwd = v3_load(cfg, CF_FWD);
    s = r_sin(shift / rs);
    sh = r_sin(RC(0.5) * shift / rs);
    drop = RC(2.0) * sh * sh; /* 1 - cos, without the cancellation */
    return v3((rs + h) * s * fwd.x, (rs + h) * s * fwd.y, -rs * drop + h * (RC(1.0) - drop));
}

/* Landing-frame z of the datum sphere beneath (x, y): 0 (the tangent plane) while the site is
 * the target, as the phases near it have always flown; the sphere once it moved away. */
static real datum_z(const real *cfg, const real *fs, real x, real y)
{
    real rs = cfg[CF_R_SITE], q = x * x + y * y;
    if (fs[FS_SITE_SHIFT] == RC(0.0))
        return RC(0.0);
    return -q / (r_sqrt(rs * rs - q) + rs);
}

/* The hazard unit's site in the landing frame, where it sees it from r now. */
static vec3 hdu_site(const real *sf, vec3 r, quat q_lb)
{
    return v3_add(r, q_rot(q_lb, v3_load(sf, SF_HDU_REL)));
}

/* Foot-pad height over the true ground (not the datum): reset by each altimeter sample
 * that looks down steeply enough (less the step nav may have found in its range), carried
 * forward with the velocity estimate between samples. -1 until the first sample. Once the
 * altimeter is lost, the hazard unit's site gives it. */
static real track_ground(const real *sf, const real *cfg, real *fs, quat q_lb, vec3 up, vec3 v, real t, real dt)
{
    real h = fs[FS_H_GROUND], h_site = RC(0.0);
    int valid = (int)sf[SF_VALID];
    int site = (valid & VALID_HDU) != 0;
    vec3 s = v3(RC(0.0), RC(0.0), RC(0.0));
    real depth = RC(0.0);
    if (h >= RC(0.0))
        h = r_max(h + v3_dot(v, up) * dt, RC(0.0));
    if (site) {
        s = q_rot(q_lb, v3_load(sf, SF_HDU_REL));
        depth = -v3_dot(s, up);
        h_site = r_max(depth - cfg[CF_LEG_HEIGHT], RC(0.0));
    }
    if (valid & VALID_ALT) {
        vec3 b = q_rot(q_lb, v3_load(cfg, CF_ALT_BORE));
        real c = -v3_dot(b, up);
        fs[FS_T_ALT_SEEN] = t;
        if (c >= RC(0.2)) {
            h = r_max((sf[SF_ALT_RANGE] - fs[FS_ALT_BIAS]) * c - cfg[CF_LEG_HEIGHT], RC(0.0));
            if (site) {
                /* where the beam would meet the level ground through the site, from the site */
                real d = v3_norm(v3_sub(v3_scale(b, depth / c), s));
                real allowed = SITE_MISMATCH + SITE_RELIEF * d;
                fs[FS_ALT_MISS] = r_fabs(h - h_site) > allowed ? fs[FS_ALT_MISS] + RC(1.0) : RC(0.0);
            }
        }
    }
    if (site && (t - fs[FS_T_ALT_SEEN] > ALT_SILENT || fs[FS_ALT_MISS] >= SITE_MISMATCH_N))
        fs[FS_HEALTH] = (real)((int)fs[FS_HEALTH] | HEALTH_ALT_LOST);
    if (site && ((int)fs[FS_HEALTH] & HEALTH_ALT_LOST))
        h = h_site;
    fs[FS_H_GROUND] = h;
    return h;
}

/* The rate of a t_go clock: slowed while shaping clips the command (a clipped command
 * cannot keep the schedule). */
static real tgo_rate(vec3 a, vec3 a_raw)
{
    return v3_norm(v3_sub(a, a_raw)) > RC(1e-3) ? TGO_STRETCH : RC(1.0);
}

/* Update the delivered/commanded thrust ratio from the last step's IMU sample; returns the
 * ratio guidance flies on (1 until a shortfall is declared). */
static real estimate_thrust(const real *sf, real *fs, real mass, real dt)
{
    real last = fs[FS_THRUST_LAST];
    if (((int)sf[SF_VALID] & VALID_IMU) && last > RC(0.0) && fs[FS_THRUST_STEADY] >= THRUST_SETTLE) {
        vec3 dv = v3_load(sf, SF_IMU_DV), b = v3_load(fs, FS_ACC_BIAS);
        real f = v3_norm(v3(dv.x / dt - b.x, dv.y / dt - b.y, dv.z / dt - b.z));
        fs[FS_THRUST_RATIO] += dt / THRUST_TAU * (f * mass / last - fs[FS_THRUST_RATIO]);
        if (fs[FS_THRUST_RATIO] < RC(1.0) - SHORT_THRESHOLD)
            fs[FS_HEALTH] = (real)((int)fs[FS_HEALTH] | HEALTH_THRUST_SHORT);
    }
    if ((int)fs[FS_HEALTH] & HEALTH_THRUST_SHORT)
        return r_min(r_max(fs[FS_THRUST_RATIO], RATIO_FLOOR), RC(1.0));
    return RC(1.0);
}

/* Run the settle clock of the thrust estimate on the command just given. */
static void hold_thrust(real *fs, real thrust, real dt)
{
    real last = fs[FS_THRUST_LAST];
    if (thrust > RC(0.0) && last > RC(0.0) && r_fabs(thrust - last) <= THRUST_STEP * last)
        fs[FS_THRUST_STEADY] += dt;
    else
        fs[FS_THRUST_STEADY] = RC(0.0);
}

descent_pre descent_prepare(const real *sf, const real *cfg, real *fs, real t)
{
    const real dt = cfg[CF_DT];
    descent_pre p;
    p.r = v3_load(fs, FS_POS);
    p.v = v3_load(fs, FS_VEL);
    p.g = landing_apparent_gravity(p.r, p.v, cfg);
    p.up = landing_local_up(p.r, cfg);
    p.alt = landing_altitude(p.r, cfg);
    p.q_lb = nav_q_lb(fs, t, cfg);
    p.mass = fs[FS_MASS];
    p.ratio = estimate_thrust(sf, fs, p.mass, dt);
    p.h_ground = track_ground(sf, cfg, fs, p.q_lb, p.up, p.v, t, dt);
    control_learn_thrust_arm(fs, ((int)sf[SF_VALID] & VALID_IMU) != 0, p.mass, cfg, dt);
    return p;
}

vec3 descent_phased(const real *sf, const real *cfg, real *fs, real *af, real t, const descent_pre *pre,
                    int *phase_out, int *health_out)
{
    const real dt = cfg[CF_DT];
    const vec3 zero = v3(RC(0.0), RC(0.0), RC(0.0));
    const vec3 r = pre->r, v = pre->v, g = pre->g, up = pre->up;
    const real alt = pre->alt, mass = pre->mass, ratio = pre->ratio, h_ground = pre->h_ground;
    const quat q_lb = pre->q_lb;
    real a_max = ratio * cfg[CF_THRUST_MAX] / mass;
    real a_min = ratio * cfg[CF_THRUST_MIN] / mass;
    int phase = (int)fs[FS_PHASE];
    int health = 0, settled;
    vec3 hover_pt;
    vec3 a, a_raw;
    real hover_s;

    if (phase == PHASE_IDLE) {
        enter(fs, PHASE_MAIN_BRAKING, t);
        phase = PHASE_MAIN_BRAKING;
    }
    if (phase == PHASE_MAIN_BRAKING && alt <= cfg[CF_BRAKE_ALT]) {
        enter(fs, PHASE_QUICK_ADJUSTMENT, t);
        phase = PHASE_QUICK_ADJUSTMENT;
        fs[FS_TGO] = cfg[CF_APPROACH_TIME];
        if ((int)fs[FS_HEALTH] & HEALTH_RETARGETED)
            fs[FS_SITE_SHIFT] = site_shift(r, v, cfg);
        v3_store(fs, FS_AIM, descent_site_point(cfg, fs, cfg[CF_HOVER_ALT]));
    }
    hover_pt = descent_site_point(cfg, fs, cfg[CF_HOVER_ALT]);
    if (phase == PHASE_QUICK_ADJUSTMENT && alt <= cfg[CF_APPROACH_ALT]) {
        enter(fs, PHASE_APPROACH, t);
        phase = PHASE_APPROACH;
    }
    if (phase == PHASE_APPROACH && fs[FS_TGO] <= RC(4.0)) {
        enter(fs, PHASE_HOVER, t);
        phase = PHASE_HOVER;
    }
    settled = r_hypot(r.x - hover_pt.x, r.y - hover_pt.y) <= SETTLED_POS && v3_norm(v) <= SETTLED_VEL;
    hover_s = t - fs[FS_T_PHASE];
    if (phase == PHASE_HOVER && ((hover_s >= cfg[CF_HOVER_TIME] && settled)
                                 || hover_s >= HOVER_MAX_FACTOR * cfg[CF_HOVER_TIME])) {
        vec3 site = descent_site_point(cfg, fs, RC(0.0));
        enter(fs, PHASE_OBSTACLE_AVOIDANCE, t);
        phase = PHASE_OBSTACLE_AVOIDANCE;
        if ((int)sf[SF_VALID] & VALID_HDU) {
            site = hdu_site(sf, r, q_lb);
            health |= HEALTH_HDU_USED;
        }
        v3_store(fs, FS_AIM, v3(site.x, site.y, datum_z(cfg, fs, site.x, site.y) + cfg[CF_AVOID_ALT]));
        fs[FS_TGO] = cfg[CF_AVOID_TIME];
    }
    if (phase == PHASE_OBSTACLE_AVOIDANCE && fs[FS_TGO] <= RC(5.0)) {
        enter(fs, PHASE_SLOW_DESCENT, t);
        phase = PHASE_SLOW_DESCENT;
    }
    if (phase == PHASE_SLOW_DESCENT && RC(0.0) <= h_ground && h_ground <= cfg[CF_CUTOFF_ALT]) {
        enter(fs, PHASE_FREE_FALL, t);
        phase = PHASE_FREE_FALL;
    }
    if ((phase == PHASE_OBSTACLE_AVOIDANCE || phase == PHASE_SLOW_DESCENT) && ((int)sf[SF_VALID] & VALID_HDU)) {
        /* the site where the unit sees it now, relative to the vehicle: where the position
         * estimate put it moves with every correction of the estimate (tens of metres away
         * from the camera's landmark, as on a site moved downrange) */
        vec3 site = hdu_site(sf, r, q_lb);
        v3_store(fs, FS_AIM, v3(site.x, site.y, fs[FS_AIM + 2]));
    }
    /* the hazard scan is what the hover waits for: command it for as long as it lasts, so a
     * frame lost on the link delays the scan by a step instead of cancelling it */
    if (phase == PHASE_HOVER)
        af[AF_HDU_CMD] = RC(1.0);

    if (phase == PHASE_MAIN_BRAKING) {
        vec3 rf, vf;
        real tgo;
        int clipped;
        real a_full = ((int)fs[FS_HEALTH] & HEALTH_THRUST_SHORT) ? a_max : RC(0.0);
        a = braking(r, v, cfg, cfg[CF_BRAKE_THROTTLE] * a_max, a_full, &tgo, &clipped);
        if (clipped)
            fs[FS_HEALTH] = (real)((int)fs[FS_HEALTH] | HEALTH_RETARGETED);
        fs[FS_TGO] = tgo;
        brake_gate(cfg, &rf, &vf);
        v3_store(fs, FS_AIM, rf);
    } else if (phase == PHASE_QUICK_ADJUSTMENT || phase == PHASE_APPROACH) {
        a_raw = guidance_zem_zev(r, v, hover_pt, zero, g, r_max(fs[FS_TGO], RC(4.0)));
        a = a_raw;
        if (phase == PHASE_APPROACH)
            a = guidance_shape_thrust(a_raw, up, a_min, cfg[CF_MAX_TILT]);
        fs[FS_TGO] -= dt * tgo_rate(a, a_raw);
    } else if (phase == PHASE_HOVER) {
        a = guidance_hold(r, v, hover_pt, zero, g, up, cfg[CF_POS_BW], HOLD_V_MAX,
                          HOLD_SLEW_SHARE * cfg[CF_ATT_RATE_MAX]);
        a = guidance_shape_thrust(a, up, a_min, cfg[CF_MAX_TILT]);
    } else if (phase == PHASE_OBSTACLE_AVOIDANCE) {
        a_raw = guidance_zem_zev(r, v, v3_load(fs, FS_AIM), zero, g, r_max(fs[FS_TGO], RC(5.0)));
        a = guidance_shape_thrust(a_raw, up, a_min, cfg[CF_MAX_TILT]);
        fs[FS_TGO] -= dt * tgo_rate(a, a_raw);
    } else if (phase == PHASE_SLOW_DESCENT) {
        real rate = RC(0.0) <= h_ground && h_ground <= cfg[CF_FINAL_ALT] ? cfg[CF_FINAL_RATE] : cfg[CF_SLOW_RATE];
        vec3 aim = v3_load(fs, FS_AIM);
        rate *= descend_share(r, v, aim, up);
        a = guidance_hold(r, v, v3(aim.x, aim.y, r.z), v3_scale(up, -rate), g, up, cfg[CF_POS_BW], HOLD_V_MAX,
                          HOLD_SLEW_SHARE * cfg[CF_ATT_RATE_MAX]);
        a = guidance_shape_thrust(a, up, a_min, cfg[CF_MAX_TILT]);
    } else {
        a = v3_scale(up, RC(0.0));
    }
    *phase_out = phase;
    *health_out = health;
    return a;
}

int descent_actuate(const real *cfg, real *fs, real *af, vec3 a, int phase, const descent_pre *pre, int health)
{
    const real dt = cfg[CF_DT];
    const vec3 up = pre->up;
    const quat q_lb = pre->q_lb;
    const real mass = pre->mass, ratio = pre->ratio;
    vec3 fwd = v3_load(cfg, CF_FWD);
    real thrust;
    quat q_des;

    if (phase == PHASE_FREE_FALL) {
        thrust = RC(0.0);
        q_des = q_lb; /* hold the attitude: damp the rates, no slew before contact */
    } else {
        thrust = mass * v3_norm(a) / ratio;
        if (thrust > cfg[CF_THRUST_MAX]) {
            thrust = cfg[CF_THRUST_MAX];
            health |= HEALTH_THRUST_SATURATED;
        }
        thrust = r_max(thrust, cfg[CF_THRUST_MIN]);
        q_des = control_desired_attitude(v3_norm(a) > RC(0.0) ? a : up, up, fwd);
    }
    af[AF_THRUST_CMD] = thrust;
    control_rcs_pulses(q_lb, q_des, v3_load(fs, FS_RATE), mass, cfg, dt, af,
                       v3_scale(v3_load(fs, FS_THRUST_ARM), -thrust));
    control_predict_rate(fs, af, thrust, mass, cfg, dt);
    fs[FS_MASS] = mass - ratio * thrust * dt / cfg[CF_ISP];
    hold_thrust(fs, thrust, dt);
    fs[FS_THRUST_LAST] = thrust;
    return health;
}

int descent_step(const real *sf, const real *cfg, real *fs, real *af, real t)
{
    descent_pre pre = descent_prepare(sf, cfg, fs, t);
    int phase, health;
    vec3 a = descent_phased(sf, cfg, fs, af, t, &pre, &phase, &health);
    return descent_actuate(cfg, fs, af, a, phase, &pre, health);
}
