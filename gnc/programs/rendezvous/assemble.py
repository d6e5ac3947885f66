"""Turn a rendezvous Scenario and a flown ascent into the arrays the rendezvous loop flies.

The ascender (target) continues exactly where the ascent left it: its truth state,
vehicle, sensors (IMU biases kept, sample schedules at the rendezvous rate) and its
flight software's state and config (the ascent program, now in its orbit operations),
the config switched to the orbit attitude mode of [target_hold] as the ground's first
pass would.
The clock and the inertial frame are the ascent's.  The orbiter-returner (chaser)
waits in a circular orbit in the ascent's target plane, `orbiter.lead_deg` ahead of
the ascender at insertion; its flight software (the rendezvous program) is idle until
the ground's go.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from gnc import linalg3 as la
from gnc.core import capture as CP
from gnc.core import layout as L
from gnc.core import moon as M
from gnc.core import pmath
from gnc.core import relnav_sensors as RS
from gnc.core import sensors as S
from gnc.core import vehicle as V
from gnc.core.fsw.step import fsw_reset
from gnc.programs.ascent.assemble import attitude_control_config, imu_star_params, vehicle_params
from gnc.programs.ascent.assemble import dispersed_inputs as ascent_dispersed_inputs
from gnc.programs.descent.assemble import every
from gnc.programs.dispersed import vehicle_offsets
from gnc.programs.gravity import field_model, set_world
from gnc.rotations import quat_from_matrix, quat_to_matrix, small_rotation
from gnc.scenario import Scenario, load


@dataclass
class RendezvousAssembly:
    xc: np.ndarray            # chaser (orbiter-returner) truth
    xt: np.ndarray            # target (ascender) truth
    vpc: np.ndarray
    vpt: np.ndarray
    world: np.ndarray
    spc: np.ndarray
    spt: np.ndarray
    rp: np.ndarray            # relative sensors, gnc.core.relnav_sensors RP_*
    dp: np.ndarray            # docking ports and capture envelope, gnc.core.capture DP_*
    cfg: np.ndarray           # 2 x CF_LEN: the chaser's config (row 0), the target's (row 1)
    fs: np.ndarray            # 2 x FS_LEN: their flight-software states
    t0: float                 # clock at the start (the ascent's, since its pad time began)
    dt: float
    substeps: int
    n_steps: int
    seed: int
    field: np.ndarray         # the gravity field's model (gnc.programs.gravity)

    # the rows as views: the ground's uplinks write into them
    cfgc = property(lambda self: self.cfg[0])
    cfgt = property(lambda self: self.cfg[1])
    fsc = property(lambda self: self.fs[0])
    fst = property(lambda self: self.fs[1])


def relnav_params(sc: Scenario) -> np.ndarray:
    r, p = sc.sensors.radar, sc.sensors.pose
    rp = np.zeros(RS.RP_LEN)
    rate = sc.sim.fsw_rate_hz
    rp[RS.RP_RADAR_EVERY] = every(r.rate_hz, rate)
    rp[RS.RP_RADAR_MIN] = r.min_range_m
    rp[RS.RP_RADAR_MAX] = r.max_range_m
    rp[RS.RP_RADAR_FOV] = math.radians(r.fov_deg)
    rp[RS.RP_RADAR_FRAC] = r.range_sigma_frac
    rp[RS.RP_RADAR_FLOOR] = r.range_sigma_m
    rp[RS.RP_RADAR_RR] = r.range_rate_sigma_m_s
    rp[RS.RP_RADAR_LOS] = r.los_sigma_rad
    rp[RS.RP_RADAR_DROP] = r.dropout
    rp[RS.RP_POSE_EVERY] = every(p.rate_hz, rate)
    rp[RS.RP_POSE_MAX] = p.max_range_m
    rp[RS.RP_POSE_FOV] = math.radians(p.fov_deg)
    rp[RS.RP_POSE_FRAC] = p.range_sigma_frac
    rp[RS.RP_POSE_FLOOR] = p.range_sigma_m
    rp[RS.RP_POSE_LOS] = p.los_sigma_rad
    rp[RS.RP_POSE_ATT] = p.att_sigma_rad
    rp[RS.RP_POSE_DROP] = p.dropout
    return rp


def docking_params(sc: Scenario) -> np.ndarray:
    c = sc.capture
    dp = np.zeros(CP.DP_LEN)
    dp[CP.DP_PORT_C:CP.DP_PORT_C + 3] = sc.docking.port_chaser_m
    dp[CP.DP_PORT_T:CP.DP_PORT_T + 3] = sc.docking.port_target_m
    dp[CP.DP_MAX_LATERAL] = c.max_lateral_m
    dp[CP.DP_MIN_CLOSING] = c.min_closing_m_s
    dp[CP.DP_MAX_CLOSING] = c.max_closing_m_s
    dp[CP.DP_MAX_LATERAL_RATE] = c.max_lateral_rate_m_s
    dp[CP.DP_MAX_ATT] = math.radians(c.max_attitude_deg)
    dp[CP.DP_MAX_RATE] = math.radians(c.max_rate_deg_s)
    return dp


def chaser_config(sc: Scenario, q0: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    nv, g, s = sc.navigation, sc.guidance, sc.sensors
    cfg = np.zeros(L.CF_LEN)
    cfg[L.CF_PROGRAM] = L.PROGRAM_RENDEZVOUS
    cfg[L.CF_DT] = 1.0 / sc.sim.fsw_rate_hz
    cfg[L.CF_MU] = sc.moon.mu
    cfg[L.CF_NAV0_Q:L.CF_NAV0_Q + 4] = quat_from_matrix(la.mm(quat_to_matrix(q0), small_rotation(rng, nv.attitude_sigma_rad)))
    cfg[L.CF_Q_ACCEL] = nv.accel_noise
    cfg[L.CF_GATE] = nv.gate_sigma
    cfg[L.CF_STAR_GAIN] = nv.star_gain
    attitude_control_config(cfg, sc)
    cfg[L.CF_RCS_FORCE] = sc.rcs.thrust_n
    cfg[L.CF_BURN_LEAD] = g.burn_lead_s
    cfg[L.CF_RDV_AIM:L.CF_RDV_AIM + 2] = g.hold_m
    cfg[L.CF_RDV_T_TRANSFER:L.CF_RDV_T_TRANSFER + 2] = g.transfer_s
    cfg[L.CF_RDV_ACQ_TIME] = g.acq_time_s
    cfg[L.CF_RDV_HOLD_TIME] = g.hold_time_s
    cfg[L.CF_RDV_V_MAX] = g.v_max_m_s
    cfg[L.CF_RDV_V_FINAL] = g.v_final_m_s
    cfg[L.CF_RDV_TAU] = g.tau_s
    cfg[L.CF_RDV_LAT_BW] = g.lateral_bw
    cfg[L.CF_RDV_CAPTURE_DIST] = g.capture_dist_m
    cfg[L.CF_BURN_ENGINE_DV] = g.engine_dv_m_s
    cfg[L.CF_RDV_PORT_C:L.CF_RDV_PORT_C + 3] = sc.docking.port_chaser_m
    cfg[L.CF_RDV_PORT_T:L.CF_RDV_PORT_T + 3] = sc.docking.port_target_m
    cfg[L.CF_SIG_RNG:L.CF_SIG_RNG + 2] = (s.radar.range_sigma_frac, s.radar.range_sigma_m)
    cfg[L.CF_SIG_RR] = s.radar.range_rate_sigma_m_s
    cfg[L.CF_SIG_LOS] = s.radar.los_sigma_rad
    cfg[L.CF_SIG_POSE:L.CF_SIG_POSE + 3] = (s.pose.range_sigma_frac, s.pose.range_sigma_m, s.pose.los_sigma_rad)
    # relative state from two independent trackings; the filter's covariance is diagonal.
    # Timing and plane errors move position and velocity together, so the relative
    # velocity is known to about the cross-track velocity error (and n x radial error)
    cfg[L.CF_ORB_SIG_POS] = math.sqrt(2.0) * max(sc.ground.od_sigma_pos_m)
    cfg[L.CF_ORB_SIG_VEL] = math.sqrt(2.0) * max(sc.ground.od_sigma_cross_vel_m_s, 0.1)
    return cfg


def chaser_orbit(sc: Scenario, xt: np.ndarray, plane_normal: np.ndarray, lead_deg: float):
    """Circular orbit in the target plane, lead_deg ahead of the ascender's position."""
    n = np.asarray(plane_normal, float)
    r_t = xt[V.X_R:V.X_R + 3]
    u = r_t - la.dot(r_t, n) * n
    u /= la.norm(u)
    ang = math.radians(lead_deg)
    u = pmath.cos(ang) * u + pmath.sin(ang) * np.cross(n, u)
    radius = sc.moon.radius_m + sc.orbiter.altitude_m
    return radius * u, math.sqrt(sc.moon.mu / radius) * np.cross(n, u)


def lead_offset_deg(sc: Scenario, rng: np.random.Generator, disperse: bool) -> float:
    """The orbiter-returner's phase at insertion off the scenario's lead_deg, drawn or 0."""
    return float(rng.normal(0.0, sc.dispersions.lead_deg)) if disperse else 0.0


def dispersed_inputs(sc: Scenario, seed: int) -> dict:
    """What a dispersed rendezvous of seed draws, per vehicle: the ascender's in its ascent
    (gnc.programs.ascent.assemble.dispersed_inputs), the orbiter-returner's vehicle
    (gnc.programs.dispersed) and phase at insertion, as assemble draws them first."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, 1]))
    vp = vehicle_params(sc, rng)
    return {"ascender": ascent_dispersed_inputs(load(sc.get("ascent")), seed),
            "orbiter_returner": {**vehicle_offsets(vp, vehicle_params(sc, None)),
                                 "lead_deg": lead_offset_deg(sc, rng, True)}}


def assemble(sc: Scenario, ascent_sc: Scenario, ascent_final: dict, seed: int = 0,
             disperse: bool = False) -> RendezvousAssembly:
    rng = np.random.default_rng(np.random.SeedSequence([seed, 1]))        # independent of the ascent's draws
    dt = 1.0 / sc.sim.fsw_rate_hz
    w = ascent_final["world"].copy()
    w[M.W_J2] = sc.moon.j2 if sc.moon.j2_on else 0.0
    set_world(w, sc.moon)
    # the ascender goes on: its flight software keeps its state; sample schedules at this rate
    xt = ascent_final["x"].copy()
    fst = ascent_final["fs"].copy()
    cfgt = ascent_final["cfg"].copy()
    cfgt[L.CF_DT] = dt
    th = sc.target_hold
    cfgt[L.CF_ATT_BW] = th.bandwidth
    cfgt[L.CF_HOLD_BW] = th.bandwidth          # the ground's last far-range pass switches it to th.docking_bandwidth
    cfgt[L.CF_ATT_DEADBAND] = math.radians(th.deadband_deg)
    cfgt[L.CF_ATT_RATE_MAX] = math.radians(th.max_rate_deg_s)
    cfgt[L.CF_RCS_MIN_ON] = th.min_on_s
    spt = ascent_final["sp"].copy()
    spt[S.SP_STAR_EVERY] = every(ascent_sc.sensors.star_tracker.rate_hz, sc.sim.fsw_rate_hz)
    # the orbiter-returner
    vpc = vehicle_params(sc, rng if disperse else None)
    lead = sc.orbiter.lead_deg + lead_offset_deg(sc, rng, disperse)
    r_c, v_c = chaser_orbit(sc, xt, ascent_final["target"]["plane_normal"], lead)
    z = -v_c / la.norm(v_c)
    x = r_c / la.norm(r_c)
    q0 = quat_from_matrix(np.column_stack([x, np.cross(z, x), z]))
    xc = np.zeros(V.X_LEN)
    xc[V.X_R:V.X_R + 3] = r_c
    xc[V.X_V:V.X_V + 3] = v_c
    xc[V.X_Q:V.X_Q + 4] = q0
    xc[V.X_M] = vpc[V.VP_MASS_WET]
    spc = imu_star_params(sc, rng)
    cfgc = chaser_config(sc, q0, rng)
    fsc = np.zeros(L.FS_LEN)
    fsw_reset(fsc)
    return RendezvousAssembly(xc, xt, vpc, ascent_final["vp"], w, spc, spt, relnav_params(sc), docking_params(sc),
                              np.stack([cfgc, cfgt]), np.stack([fsc, fst]), float(ascent_final["t"]), dt, int(sc.sim.substeps),
                              int(math.ceil(sc.sim.max_duration_s / dt)), seed,
                              field_model(sc.moon))
