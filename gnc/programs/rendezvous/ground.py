"""The ground segment of the far range: orbit determination and the ascender's four
manoeuvres, planned from tracking and re-planned from fresh tracking before each one
(Chang'e-5/6: far range ground-guided, the ascender made four orbit manoeuvres, hand-over
with the ascender ~50 km ahead of and ~10 km above the orbiter-returner).

The plan (all burns executed by the ascender's flight software from a delta-v):

    B1  at an apolune of the insertion orbit, first_burn_revs after insertion: raise
        the perilune to a phasing orbit whose period sets where the orbiter-returner
        will be when the ascender arrives;
    B2  half way through the phasing revolutions, at an apolune: a tangential trim of
        the phasing (orbit determination and B1's execution errors).  B1 is planned
        trim_bias_m_s short and B2 makes it up, so the trim is always a forward burn
        large enough for the ascender's engine (its tail-off alone gives ~1.4 m/s; a
        skipped 1 m/s trim would put the ascender hundreds of km off by hand-over);
    B3  at an apolune m phasing revolutions after B1: the transfer (about half a
        revolution) to the hand-over point, `ahead_m` ahead of and `above_m` above the
        orbiter-returner at hand-over time t_h;
    B4  at t_h: match the co-circular velocity there, in the orbiter-returner's plane.

Phasing (plan A): for each candidate number of phasing revolutions m, B1's delta-v is
scanned over the phasing orbits allowed (perilune from min_phasing_alt_m to the
apolune) with two-body arithmetic; a root of the phase condition (the hand-over point
opposite the B3 point) nearest the nominal hand-over time is refined by bisection,
then by secant on the numerical propagation with J2 (gnc.core.propagate; J2 moves
the phase by ~20 deg over two days).  B2 is solved the same way; B3 by Newton
shooting on the arrival radius and
along-track angle (in-plane only: a half-revolution transfer cannot move the arrival
out of plane, so B4's velocity match does the plane).  Each plan is uplinked
uplink_lead_s before its first burn, with the ascender's tracked state vector.

Orbit determination (Ground.track): an error of the orbit, not of a point: radial,
along-track and cross-track position errors (od_sigma_pos_m; "km-level" at 380 000 km
is along-track), a plane tilt (od_sigma_cross_vel_m_s), the semi-major axis held to
od_sigma_sma_m (tracking arcs of days fix the period far better than the position; an
orbit off by 1 km in semi-major axis drifts ~10 km a revolution).  An along-track
error is a timing error: position and velocity move together along the orbit (moving
the position alone would be a radial velocity error of ~0.8 m/s per km).  Drawn
afresh for every plan and for the go to the orbiter-returner.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from gnc import linalg3 as la
from gnc.core import handover, orbit, pmath
from gnc.core.propagate import propagate
from gnc.programs.gravity import plant_field
from gnc.rotations import rotation_matrix

H_PLAN = 30.0          # s, RK4 step of the ground's numerical propagation
SCAN = 120             # samples of B1's delta-v per candidate m (the phase turns ~1 revolution over them)
SHOOT_EPS = 0.01       # m/s, finite-difference step of the shooting Jacobian


def _t(v) -> tuple:
    return tuple(float(x) for x in v)






def signed_angle(a, b, axis) -> float:
    """Angle from a to b about axis, in (-pi, pi]."""
    return pmath.atan2(la.dot(axis, np.cross(a, b)), la.dot(a, b))


@dataclass
class Burn:
    t: float
    dv: np.ndarray        # inertial, m/s


class Ground:
    """Far-range planner.  Truth states in (it adds its own tracking errors), burn plans out."""

    def __init__(self, g, mu: float, moon_radius: float, world: np.ndarray, field: np.ndarray,
                 rng: np.random.Generator):
        self.g, self.mu, self.radius, self.w, self.rng = g, mu, moon_radius, world, rng
        self.field = plant_field(field)      # the truth's gravity: the ground models it all
        self.t1 = self.t2 = self.t3 = self.t_h = None
        self.m = 0

    # -------------------------------------------------------------- tracking and propagation
    def track(self, r, v) -> tuple[np.ndarray, np.ndarray]:
        """One orbit determination of a vehicle: the truth with an error of the orbit, not
        of a point: a small rotation of the whole state (along-track: a timing error that
        moves position and velocity together; cross-track position; plane tilt, a
        cross-track velocity), a radial error, and the speed then set so that the
        semi-major axis is off by its own small error only."""
        r, v = np.asarray(r, float), np.asarray(v, float)
        axes = np.array(orbit.lvlh_axes(_t(r), _t(v)))          # rows: R, S, W
        sr, ss, sw = self.g.od_sigma_pos_m
        rn, vn = la.norm(r), la.norm(v)
        angles = self.rng.normal(0.0, 1.0, 3) * [self.g.od_sigma_cross_vel_m_s / vn, sw / rn, ss / rn]
        rot = rotation_matrix(la.mv(axes.T, angles))
        r_od = la.mv(rot, r) + self.rng.normal(0.0, sr) * axes[0]
        v_od = la.mv(rot, v)
        a = orbit.elements(_t(r), _t(v), self.mu)[0] + self.rng.normal(0.0, self.g.od_sigma_sma_m)
        speed = math.sqrt(self.mu * (2.0 / la.norm(r_od) - 1.0 / a))
        return r_od, v_od * (speed / la.norm(v_od))

    def prop(self, r, v, t0, t1) -> tuple[np.ndarray, np.ndarray]:
        """The state at t1 of (r, v) at t0."""
        r2, v2 = propagate(_t(r), _t(v), float(t0), float(t1 - t0), self.w, self.field, H_PLAN)
        return np.array(r2), np.array(v2)

    def _kepler(self, r, v, span):
        r2, v2 = orbit.kepler(_t(r), _t(v), float(span), self.mu)
        return np.array(r2), np.array(v2)

    def _period(self, r, v) -> float:
        a = orbit.elements(_t(r), _t(v), self.mu)[0]
        return 2 * math.pi * math.sqrt(a * a * a / self.mu)

    # -------------------------------------------------------------- geometry
    def handover_point(self, rc, vc) -> tuple[np.ndarray, np.ndarray]:
        """Hand-over state of the ascender, given the orbiter-returner's state then."""
        r, v = handover.handover_point(_t(rc), _t(vc), self.g.ahead_m, self.g.above_m, self.mu)
        return np.array(r), np.array(v)

    def _chaser_at(self, t):
        """The orbiter-returner at t: its numerical propagation to the nominal hand-over,
        shifted by two-body (the shifts are minutes)."""
        return self._kepler(self.rc_nom, self.vc_nom, t - self.t_nom)

    def _phase_error(self, r3, t_h) -> float:
        """Angle from where a half-revolution transfer from r3 arrives to the hand-over point at t_h."""
        return handover.phase_error(_t(r3), float(t_h), _t(self.rc_nom), _t(self.vc_nom), float(self.t_nom),
                                    self.g.ahead_m, self.g.above_m, self.mu)

    def _transfer_time(self, r3) -> float:
        rc, _ = self._chaser_at(self.t_nom)
        a = 0.5 * (la.norm(r3) + la.norm(rc) + self.g.above_m)
        return math.pi * math.sqrt(a * a * a / self.mu)

    def next_apolune(self, r, v, t, not_before) -> float:
        a, e, _, _, _, nu = orbit.elements(_t(r), _t(v), self.mu)
        n = math.sqrt(self.mu / (a * a * a))
        ecc_anom = 2.0 * pmath.atan2(math.sqrt(1 - e) * pmath.sin(nu / 2), math.sqrt(1 + e) * pmath.cos(nu / 2))
        t_apo = t + ((math.pi - (ecc_anom - e * pmath.sin(ecc_anom))) % (2 * math.pi)) / n
        while t_apo < not_before:
            t_apo += 2 * math.pi / n
        return t_apo

    def _track_both(self, t, xt_r, xt_v, xc_r, xc_v):
        rt, vt = self.track(xt_r, xt_v)
        rc, vc = self.track(xc_r, xc_v)
        self.rc_nom, self.vc_nom = self.prop(rc, vc, t, self.t_nom)
        return rt, vt

    # -------------------------------------------------------------- the plans
    def first_plan_time(self, t, xt_r, xt_v, t_insertion) -> float:
        """When plan A goes up: uplink_lead before B1, which waits first_burn_revs."""
        rt, vt = self.track(xt_r, xt_v)
        period = self._period(rt, vt)
        t1 = self.next_apolune(rt, vt, t, t_insertion + (self.g.first_burn_revs - 0.5) * period)
        return t1 - self.g.uplink_lead_s

    def plan_a(self, t, xt_r, xt_v, xc_r, xc_v, t_insertion) -> tuple[list[Burn], tuple]:
        """All four burns; returns them and the ascender's tracked state at t."""
        self.t_nom = t_insertion + self.g.handover_s
        rt, vt = self._track_both(t, xt_r, xt_v, xc_r, xc_v)
        self.t1 = self.next_apolune(rt, vt, t, t + 0.5 * self.g.uplink_lead_s)
        r1, v1 = self.prop(rt, vt, t, self.t1)
        dv1 = self._phasing(r1, v1)
        period = self._period(r1, v1 + dv1 * la.unit(v1))
        self.t2 = self.t1 + (self.m // 2) * period
        self.t3 = self.t1 + self.m * period
        self.t_h = self.t3 + self._transfer_time(r1)
        # B1 leaves the trim bias to B2 (whose delta-v changes the phase less: fewer
        # revolutions remain); with J2, ~20 deg of phase over two days
        bias = self.g.trim_bias_m_s if self.t2 > self.t1 else 0.0
        dv1 = self._phase_trim(r1, v1, self.t1, dv1 - bias, bias)
        r2, v2 = self.prop(r1, v1 + dv1 * la.unit(v1), self.t1, self.t2)
        burns = [Burn(self.t1, dv1 * la.unit(v1)), Burn(self.t2, bias * la.unit(v2))]
        return burns + self._final(r2, v2 + bias * la.unit(v2), self.t2), (rt, vt)

    def plan_b(self, t, xt_r, xt_v, xc_r, xc_v) -> tuple[list[Burn], tuple]:
        """B2 (tangential phasing trim), B3, B4."""
        rt, vt = self._track_both(t, xt_r, xt_v, xc_r, xc_v)
        r2, v2 = self.prop(rt, vt, t, self.t2)
        dv2 = self._phase_trim(r2, v2, self.t2, self.g.trim_bias_m_s)
        return [Burn(self.t2, dv2 * la.unit(v2))] + self._final(r2, v2 + dv2 * la.unit(v2), self.t2), (rt, vt)

    def _phase_trim(self, r, v, t_burn, dv0, b2=0.0) -> float:
        """Tangential delta-v at t_burn that nulls the phase error at B3 on the numerical
        propagation (secant from dv0), with a tangential b2 still to come at B2."""
        along = la.unit(v)

        def err(dv):
            r3, v3 = self.prop(r, v + dv * along, t_burn, self.t3)
            if b2 != 0.0:
                r2, v2 = self.prop(r, v + dv * along, t_burn, self.t2)
                r3, v3 = self.prop(r2, v2 + b2 * la.unit(v2), self.t2, self.t3)
            return self._phase_error(r3, self.t_h)

        x0, x1 = dv0, dv0 + 0.5
        f0, f1 = err(x0), err(x1)
        for _ in range(8):
            if f1 == f0 or abs(f1) < 1e-7:
                break
            x0, x1, f0 = x1, x1 - f1 * (x1 - x0) / (f1 - f0), f1
            f1 = err(x1)
        return x1

    def plan_c(self, t, xt_r, xt_v, xc_r, xc_v) -> tuple[list[Burn], tuple]:
        """B3 and B4 from fresh tracking."""
        rt, vt = self._track_both(t, xt_r, xt_v, xc_r, xc_v)
        r3, v3 = self.prop(rt, vt, t, self.t3)
        return self._final(r3, v3, self.t3), (rt, vt)

    def plan_d(self, t, xt_r, xt_v, xc_r, xc_v) -> tuple[list[Burn], tuple]:
        """B4 alone: the co-circular velocity at the hand-over point, from fresh tracking."""
        rt, vt = self._track_both(t, xt_r, xt_v, xc_r, xc_v)
        _, v4 = self.prop(rt, vt, t, self.t_h)
        _, v_h = self.handover_point(*self._chaser_at(self.t_h))
        return [Burn(self.t_h, v_h - v4)], (rt, vt)

    def _phasing(self, r1, v1) -> float:
        """B1's delta-v (along the velocity at the apolune r1) and the number m of phasing
        revolutions: the root of the phase condition nearest the nominal hand-over."""
        mu, r_apo, speed = self.mu, la.norm(r1), la.norm(v1)

        def dv_for(perilune_radius):
            return math.sqrt(mu * (2 / r_apo - 2 / (r_apo + perilune_radius))) - speed

        dvs = np.linspace(dv_for(self.radius + self.g.min_phasing_alt_m), dv_for(r_apo), SCAN)
        a_s = 1.0 / (2 / r_apo - (speed + dvs) * (speed + dvs) / mu)
        periods = 2 * math.pi * np.sqrt(a_s * a_s * a_s / mu)
        t_tr = self._transfer_time(r1)

        def err(m, dv):
            a = 1.0 / (2 / r_apo - (speed + dv) * (speed + dv) / mu)
            return self._phase_error(r1, self.t1 + m * 2 * math.pi * math.sqrt(a * a * a / mu) + t_tr)

        best = None
        for m in range(1, 200):
            t_h = self.t1 + m * periods + t_tr
            if t_h[0] > self.t_nom + 86400.0:
                break
            if t_h[-1] < self.t_nom - 86400.0:
                continue
            f = np.array([err(m, dv) for dv in dvs])
            for i in np.flatnonzero((np.sign(f[:-1]) != np.sign(f[1:])) & (np.abs(f[:-1]) < 1.0) & (np.abs(f[1:]) < 1.0)):
                lo, hi = dvs[i], dvs[i + 1]
                for _ in range(40):
                    mid = 0.5 * (lo + hi)
                    if np.sign(err(m, mid)) == np.sign(err(m, lo)):
                        lo = mid
                    else:
                        hi = mid
                a = 1.0 / (2 / r_apo - (speed + lo) * (speed + lo) / mu)
                miss = abs(self.t1 + m * 2 * math.pi * math.sqrt(a * a * a / mu) + t_tr - self.t_nom)
                if best is None or miss < best[0]:
                    best = (miss, lo, m)
        if best is None:
            raise RuntimeError("far-range planning: no phasing orbit reaches the hand-over within a day of nominal")
        self.m = best[2]
        return best[1]

    def _final(self, r, v, t_from) -> list[Burn]:
        """B3 and B4 from the ascender's state (r, v) at t_from: in-plane Newton shooting of
        B3 on the arrival radius and along-track angle at t_h, then B4 matches the
        hand-over velocity."""
        r3, v3 = self.prop(r, v, t_from, self.t3)
        rc, vc = self._chaser_at(self.t_h)
        r_h, v_h = self.handover_point(rc, vc)
        h_c = la.unit(np.cross(rc, vc))
        e_r = la.unit(r3)
        e_t = np.cross(la.unit(np.cross(r3, v3)), e_r)

        def resid(x):
            r_a, v_a = self.prop(r3, v3 + x[0] * e_r + x[1] * e_t, self.t3, self.t_h)
            return np.array([la.norm(r_a) - la.norm(r_h),
                             signed_angle(r_a, r_h, h_c) * la.norm(r_h)]), v_a

        a_tr = 0.5 * (la.norm(r3) + la.norm(r_h))
        x = np.array([-la.dot(v3, e_r), math.sqrt(self.mu * (2 / la.norm(r3) - 1 / a_tr)) - la.dot(v3, e_t)])
        for _ in range(8):
            f, v_a = resid(x)
            if la.norm(f) < 1.0:
                break
            jac = np.column_stack([(resid(x + SHOOT_EPS * np.eye(2)[j])[0] - f) / SHOOT_EPS for j in range(2)])
            x = x - la.solve2(jac, f)
        f, v_a = resid(x)
        return [Burn(self.t3, x[0] * e_r + x[1] * e_t), Burn(self.t_h, v_h - v_a)]
