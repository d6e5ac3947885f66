"""Turn a validated Scenario (and a seed) into the float64 arrays the core flies.

Two kinds of randomness, both from the seed so any run replays exactly:
- knowledge errors, drawn in every run: the ground's orbit-determination error,
  the initial attitude-knowledge error, IMU biases (sensor noise is drawn in the
  core from the same seed);
- vehicle dispersions (thrust, Isp, mass, inertia, misalignment, centre of mass,
  PDI truth state), drawn only when `disperse=True` (Monte Carlo).
The terrain draws from its own seed (run seed + terrain.seed_offset), so it never
shifts the other draws.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from gnc import linalg3 as la
from gnc import terrain_file
from gnc.core import faults as F
from gnc.core import hdu as H
from gnc.core import layout as L
from gnc.core import moon as M
from gnc.core import pmath, vec
from gnc.core import sensors as S
from gnc.core import vehicle as V
from gnc.core.fsw.landing import q_li
from gnc.geotiff import DemFileError
from gnc.programs.descent import plant as P
from gnc.programs.dispersed import vehicle_offsets
from gnc.programs.gravity import field_model, plant_field, set_world
from gnc.rotations import quat_from_matrix, quat_to_matrix, rz, small_rotation
from gnc.scenario import MAX_MAP_CELLS, Scenario, ScenarioError
from gnc.terrain_gen import generate


@dataclass
class Assembly:
    x0: np.ndarray
    vp: np.ndarray
    world: np.ndarray
    dem: np.ndarray
    sp: np.ndarray
    cfg: np.ndarray
    dt: float
    substeps: int
    n_steps: int
    seed: int
    truth_pdi_landing: np.ndarray     # (6,) truth PDI position/velocity, landing frame
    hdu: np.ndarray                   # hazard-detection unit parameters, gnc.core.hdu HP_*
    field: np.ndarray                 # the gravity field's model (gnc.programs.gravity), shared by every plant
    faults: np.ndarray                # the injected fault, gnc.core.faults FT_*
    law: str = "phases"               # guidance.law: "pdg" flies gnc.core.fsw.pdg_law
    pdg: dict = field(default_factory=dict)   # pdg_law.allocate's settings (the law "pdg")

    def plant(self) -> P.Plant:
        """A fresh plant to fly: truth at the start, empty accumulators, the unit's state and map."""
        hs, hmap = H.allocate(self.hdu)
        return P.Plant(self.x0.copy(), self.vp, self.world, self.dem, self.sp, np.zeros(6), np.zeros(V.WORK_LEN),
                       plant_field(self.field), np.zeros(V.N_RCS), np.zeros(V.X_LEN + 1), self.hdu, hs, hmap,
                       self.faults.copy(), self.dt, self.substeps)


def world_array(sc: Scenario) -> np.ndarray:
    w = np.zeros(M.W_LEN)
    w[M.W_MU] = sc.moon.mu
    w[M.W_J2] = sc.moon.j2 if sc.moon.j2_on else 0.0
    w[M.W_RREF] = sc.moon.radius_m
    w[M.W_OMEGA] = sc.moon.rotation_rad_s
    w[M.W_THETA0] = 0.0
    r_site = sc.moon.radius_m + sc.site.elevation_m
    w[M.W_SITE_R] = r_site
    lat, lon = math.radians(sc.site.lat_deg), math.radians(sc.site.lon_deg)
    east = [-pmath.sin(lon), pmath.cos(lon), 0.0]
    north = [-pmath.sin(lat) * pmath.cos(lon), -pmath.sin(lat) * pmath.sin(lon), pmath.cos(lat)]
    up = [pmath.cos(lat) * pmath.cos(lon), pmath.cos(lat) * pmath.sin(lon), pmath.sin(lat)]
    w[M.W_C_LF:M.W_C_LF + 9] = np.array([east, north, up]).ravel()
    w[M.W_P_SITE:M.W_P_SITE + 3] = r_site * np.array(up)
    w[M.W_DEM_RES] = 1.0
    w[M.W_DEM_HALF] = 0.0
    set_world(w, sc.moon)
    return w


def c_lf(w) -> np.ndarray:
    return w[M.W_C_LF:M.W_C_LF + 9].reshape(3, 3)


def landing_to_inertial(w, r_l, v_l):
    """t = 0 (theta0 = 0): landing-frame state -> MCI state (v_l ground-relative)."""
    C = c_lf(w)
    r_i = la.mv(C.T, r_l) + w[M.W_P_SITE:M.W_P_SITE + 3]
    om = np.array([0.0, 0.0, w[M.W_OMEGA]])
    return r_i, la.mv(C.T, v_l) + np.cross(om, r_i)


def inertial_to_landing(w, r_i, v_i):
    C = c_lf(w)
    om = np.array([0.0, 0.0, w[M.W_OMEGA]])
    return la.mv(C, r_i - w[M.W_P_SITE:M.W_P_SITE + 3]), la.mv(C, v_i - np.cross(om, r_i))


def approach_heading_deg(sc: Scenario) -> float:
    """Heading over the target, from north, of an orbit of [orbit] inclination_deg on its
    northbound or southbound leg: sin(heading) cos(latitude) = cos(inclination).  The ground
    track through the target is a great circle at this heading; the inertial orbit's plane
    leans off it by the Moon's turn (3.5 m/s of 1.7 km/s: ~0.1 deg of inclination)."""
    s = math.cos(math.radians(sc.orbit.inclination_deg)) / math.cos(math.radians(sc.site.lat_deg))
    h = math.degrees(math.asin(max(-1.0, min(1.0, s))))      # -90 .. 90: northbound
    return h % 360.0 if sc.orbit.northbound else 180.0 - h


def fwd_vector(sc: Scenario) -> np.ndarray:
    az = math.radians(approach_heading_deg(sc))
    return np.array([pmath.sin(az), pmath.cos(az), 0.0])


def pdi_state(sc: Scenario, w) -> tuple[np.ndarray, np.ndarray]:
    """Nominal PDI, MCI: perilune of the descent orbit, pdi_range_m uprange of the
    target along a ground track through it; inertial speed from vis-viva, so the orbit is
    the [orbit] perilune x apolune (the ground-relative speed differs by the Moon's turn)."""
    C = c_lf(w)
    up0 = w[M.W_P_SITE:M.W_P_SITE + 3] / la.norm(w[M.W_P_SITE:M.W_P_SITE + 3])
    fwd = la.mv(C.T, fwd_vector(sc))                        # MCMF, horizontal at the site
    ang = sc.orbit.pdi_range_m / w[M.W_SITE_R]
    u = pmath.cos(ang) * up0 - pmath.sin(ang) * fwd     # walk back along the great circle
    t_dir = pmath.sin(ang) * up0 + pmath.cos(ang) * fwd
    rp = sc.moon.radius_m + sc.orbit.perilune_alt_m
    ra = sc.moon.radius_m + sc.orbit.apolune_alt_m
    a = 0.5 * (rp + ra)
    vp_speed = math.sqrt(sc.moon.mu * (2.0 / rp - 1.0 / a))
    r = rp * u
    om = np.array([0.0, 0.0, sc.moon.rotation_rad_s])
    # aim the ground track (not the inertial track) through the target: the ground-relative
    # velocity s t_dir, the inertial one s t_dir + om x r of vis-viva speed (both horizontal)
    w_r = np.cross(om, r)
    b = la.dot(t_dir, w_r)
    s = -b + math.sqrt(b * b - la.dot(w_r, w_r) + vp_speed * vp_speed)
    return r, t_dir * s + w_r


def vehicle_params(sc: Scenario, rng: np.random.Generator | None) -> np.ndarray:
    d = sc.dispersions
    def jit(sigma):
        return rng.normal(0.0, sigma) if rng is not None else 0.0
    vp = np.zeros(V.VP_LEN)
    mass = sc.vehicle.mass_kg + jit(d.mass_kg)
    vp[V.VP_MASS_WET] = mass
    vp[V.VP_MASS_DRY] = mass - sc.vehicle.propellant_kg
    scale_i = 1.0 + jit(d.inertia_frac)
    vp[V.VP_I_WET:V.VP_I_WET + 3] = np.array(sc.vehicle.inertia_wet_kgm2) * scale_i
    vp[V.VP_I_DRY:V.VP_I_DRY + 3] = np.array(sc.vehicle.inertia_dry_kgm2) * scale_i
    vp[V.VP_ISP] = sc.engine.isp_m_s * (1.0 + jit(d.isp_frac))
    vp[V.VP_T_MAX] = sc.engine.thrust_max_n
    vp[V.VP_T_MIN] = sc.engine.thrust_min_n
    vp[V.VP_TAU] = sc.engine.time_constant_s
    vp[V.VP_T_SCALE] = 1.0 + jit(d.thrust_frac)
    mis = np.radians(np.array(sc.engine.misalignment_deg) + [jit(d.misalignment_deg), jit(d.misalignment_deg)])
    vp[V.VP_T_DIR:V.VP_T_DIR + 3] = la.unit([pmath.tan(mis[0]), pmath.tan(mis[1]), 1.0])
    vp[V.VP_COM:V.VP_COM + 3] = np.array(sc.vehicle.com_offset_m) + [jit(d.com_offset_m) for _ in range(3)]
    vp[V.VP_RCS_F] = sc.rcs.thrust_n
    vp[V.VP_RCS_ISP] = sc.rcs.isp_m_s
    a = sc.rcs.arm_m
    # couple k = 2*axis + (0 for +, 1 for -); thrusters 2k, 2k+1; each couple is a pure torque
    layout = [
        ((0, a, 0), (0, 0, 1)), ((0, -a, 0), (0, 0, -1)),      # +x
        ((0, a, 0), (0, 0, -1)), ((0, -a, 0), (0, 0, 1)),      # -x
        ((-a, 0, 0), (0, 0, 1)), ((a, 0, 0), (0, 0, -1)),      # +y
        ((-a, 0, 0), (0, 0, -1)), ((a, 0, 0), (0, 0, 1)),      # -y
        ((a, 0, 0), (0, 1, 0)), ((-a, 0, 0), (0, -1, 0)),      # +z
        ((a, 0, 0), (0, -1, 0)), ((-a, 0, 0), (0, 1, 0)),      # -z
    ]
    for k, (pos, direction) in enumerate(layout):
        vp[V.VP_RCS_POS + 3 * k:V.VP_RCS_POS + 3 * k + 3] = pos
        vp[V.VP_RCS_DIR + 3 * k:V.VP_RCS_DIR + 3 * k + 3] = direction
    r, h = sc.vehicle.leg_radius_m, sc.vehicle.leg_height_m
    legs = [(r, 0, -h), (-r, 0, -h), (0, r, -h), (0, -r, -h)]
    vp[V.VP_LEGS:V.VP_LEGS + 12] = np.ravel(legs)
    return vp


def velocimeter_beams(cant_deg: float) -> np.ndarray:
    c = math.radians(cant_deg)
    beams = []
    for k in range(3):
        az = 2.0 * math.pi * k / 3.0
        beams.append([pmath.sin(c) * pmath.cos(az), pmath.sin(c) * pmath.sin(az), -pmath.cos(c)])
    return np.array(beams)


def every(rate_hz: float, fsw_rate: float) -> int:
    """Flight-software steps per sensor sample (0 = sensor off)."""
    return 0 if rate_hz <= 0 else max(1, round(fsw_rate / rate_hz))


def imu_params(sc: Scenario, rng: np.random.Generator) -> np.ndarray:
    """Sensor parameters (gnc.core.sensors SP_*) with the IMU set and every other sensor off;
    its biases drawn from rng."""
    s = sc.sensors
    sp = np.zeros(S.SP_LEN)
    sp[S.SP_IMU_VRW] = s.imu.accel_vrw
    sp[S.SP_IMU_ARW] = s.imu.gyro_arw
    sp[S.SP_ACC_BIAS:S.SP_ACC_BIAS + 3] = rng.normal(0.0, s.imu.accel_bias_sigma, 3)
    sp[S.SP_GYRO_BIAS:S.SP_GYRO_BIAS + 3] = rng.normal(0.0, s.imu.gyro_bias_sigma, 3)
    sp[S.SP_DV_QUANT] = s.imu.dv_quantum
    sp[S.SP_DTH_QUANT] = s.imu.dtheta_quantum
    sp[S.SP_IMU_DROP] = s.imu.dropout
    return sp


def sensor_params(sc: Scenario, rng: np.random.Generator) -> np.ndarray:
    s = sc.sensors
    fr = sc.sim.fsw_rate_hz
    sp = imu_params(sc, rng)
    sp[S.SP_ALT_EVERY] = every(s.altimeter.rate_hz, fr)
    sp[S.SP_ALT_SIG] = s.altimeter.sigma_frac
    sp[S.SP_ALT_SIG_MIN] = s.altimeter.sigma_min_m
    sp[S.SP_ALT_MAX] = s.altimeter.max_range_m
    sp[S.SP_ALT_MAX_INC] = math.radians(s.altimeter.max_incidence_deg)
    sp[S.SP_ALT_BORE:S.SP_ALT_BORE + 3] = la.unit(s.altimeter.boresight)
    sp[S.SP_ALT_DROP] = s.altimeter.dropout
    sp[S.SP_ALT_QUANT] = s.altimeter.quantum_m
    sp[S.SP_VEL_EVERY] = every(s.velocimeter.rate_hz, fr)
    sp[S.SP_VEL_SIG] = s.velocimeter.sigma_m_s
    sp[S.SP_VEL_MAX] = s.velocimeter.max_range_m
    sp[S.SP_VEL_BORE:S.SP_VEL_BORE + 9] = velocimeter_beams(s.velocimeter.cant_deg).ravel()
    sp[S.SP_VEL_DROP] = s.velocimeter.dropout
    sp[S.SP_STAR_EVERY] = every(s.star_tracker.rate_hz, fr)
    sp[S.SP_STAR_SIG] = s.star_tracker.sigma_rad
    sp[S.SP_STAR_DROP] = s.star_tracker.dropout
    sp[S.SP_CAM_EVERY] = every(s.camera.rate_hz, fr)
    sp[S.SP_CAM_SIG] = s.camera.sigma_frac
    sp[S.SP_CAM_MIN] = s.camera.min_range_m
    sp[S.SP_CAM_MAX] = s.camera.max_range_m
    sp[S.SP_CAM_OFF_NADIR] = math.radians(s.camera.max_off_nadir_deg)
    sp[S.SP_CAM_BORE:S.SP_CAM_BORE + 3] = la.unit(s.camera.boresight)
    sp[S.SP_CAM_DROP] = s.camera.dropout
    sp[S.SP_CAM_TIE:S.SP_CAM_TIE + 2] = rng.normal(0.0, s.camera.map_tie_sigma_m, 2)
    return sp


def hdu_params(sc: Scenario) -> np.ndarray:
    h = sc.hdu
    hp = np.zeros(H.HP_LEN)
    hp[H.HP_ENABLED] = 1.0 if h.enabled else 0.0
    hp[H.HP_RAYS] = h.rays
    hp[H.HP_FOV] = math.radians(h.fov_deg)
    hp[H.HP_RANGE_SIG] = h.range_sigma_m
    hp[H.HP_DROPOUT] = h.dropout
    hp[H.HP_ATT_SIG] = math.radians(h.attitude_sigma_deg)
    hp[H.HP_DURATION] = h.scan_duration_s
    hp[H.HP_CELL] = h.cell_m
    hp[H.HP_CELLS] = 2 * round(0.5 * h.map_size_m / h.cell_m) + 1     # odd: the nadir is a cell centre
    hp[H.HP_SLOPE_MAX] = math.radians(h.max_slope_deg)
    hp[H.HP_ROUGH_MAX] = h.max_roughness_m
    hp[H.HP_FOOT_R] = h.footprint_radius_m
    hp[H.HP_MARGIN] = h.margin_m
    hp[H.HP_MIN_COVER] = h.min_coverage
    hp[H.HP_SITE_SIG] = h.site_sigma_m
    hp[H.HP_FB_SLOPE_MAX] = math.radians(h.fallback_slope_deg)
    hp[H.HP_FB_ROUGH_MAX] = h.fallback_roughness_m
    hp[H.HP_FB_STEPS] = h.fallback_steps
    return hp


def initial_attitude(sc: Scenario, w, r_i, v_i) -> np.ndarray:
    """Body->MCI at PDI: thrust axis against the ground-relative velocity, +x toward
    -(up + fwd) as the flight software's pointing convention has it."""
    r_l, v_l = inertial_to_landing(w, r_i, v_i)
    up = la.unit(r_l + [0.0, 0.0, w[M.W_SITE_R]])
    fwd = fwd_vector(sc)
    z = -la.unit(v_l)
    x = -(up + fwd)
    x = la.unit(x - z * la.dot(x, z))
    m_lb = np.column_stack([x, np.cross(z, x), z])
    return quat_from_matrix(la.mm(c_lf(w).T, m_lb))       # landing = MCMF = MCI rotation at t = 0


def frame_config(sc: Scenario, w, program: int) -> np.ndarray:
    """A config frame with the fields every program shares: program, step, the Moon and
    the landing frame (site radius, rotation, inertial->landing rotation at t = 0)."""
    cfg = np.zeros(L.CF_LEN)
    cfg[L.CF_PROGRAM] = program
    cfg[L.CF_DT] = 1.0 / sc.sim.fsw_rate_hz
    cfg[L.CF_MU] = sc.moon.mu
    cfg[L.CF_R_SITE] = w[M.W_SITE_R]
    C = c_lf(w)
    cfg[L.CF_OMEGA_L:L.CF_OMEGA_L + 3] = la.mv(C, [0.0, 0.0, w[M.W_OMEGA]])
    cfg[L.CF_C_LI0:L.CF_C_LI0 + 9] = la.mm(C, rz(-w[M.W_THETA0])).ravel()
    return cfg


def fsw_config(sc: Scenario, w, vp, q_ib0, truth_l, rng) -> np.ndarray:
    n, g, c = sc.navigation, sc.guidance, sc.control
    cfg = frame_config(sc, w, L.PROGRAM_DESCENT)
    cfg[L.CF_FWD:L.CF_FWD + 3] = fwd_vector(sc)
    # the ground's orbit determination: truth plus its error
    cfg[L.CF_NAV0_POS:L.CF_NAV0_POS + 3] = truth_l[:3] + rng.normal(0.0, n.od_sigma_pos_m, 3)
    cfg[L.CF_NAV0_VEL:L.CF_NAV0_VEL + 3] = truth_l[3:] + rng.normal(0.0, n.od_sigma_vel_m_s, 3)
    m_err = small_rotation(rng, n.attitude_sigma_rad)
    cfg[L.CF_NAV0_Q:L.CF_NAV0_Q + 4] = quat_from_matrix(la.mm(quat_to_matrix(q_ib0), m_err))
    cfg[L.CF_NAV0_SIG_POS] = max(n.od_sigma_pos_m, 1.0)
    cfg[L.CF_NAV0_SIG_VEL] = max(n.od_sigma_vel_m_s, 0.01)
    cfg[L.CF_Q_ACCEL] = n.accel_noise
    cfg[L.CF_SIG_ACC_BIAS] = n.sigma_acc_bias_m_s2
    cfg[L.CF_SIG_ALT] = n.sigma_alt_frac
    cfg[L.CF_SIG_ALT_MIN] = n.sigma_alt_min_m
    cfg[L.CF_SIG_VEL] = n.sigma_vel_m_s
    cfg[L.CF_SIG_CAM] = n.sigma_cam_frac
    cfg[L.CF_SIG_MAP_TIE] = n.sigma_map_tie_m
    cfg[L.CF_SIG_TERRAIN] = n.sigma_terrain_m
    cfg[L.CF_SIG_RELIEF] = n.sigma_relief_frac
    cfg[L.CF_RELIEF_CORR] = n.relief_corr_m
    cfg[L.CF_TERRAIN_CORR] = n.terrain_corr_m
    cfg[L.CF_GATE] = n.gate_sigma
    cfg[L.CF_STAR_GAIN] = n.star_gain
    cfg[L.CF_ALT_BORE:L.CF_ALT_BORE + 3] = la.unit(sc.sensors.altimeter.boresight)
    cfg[L.CF_VEL_BORE:L.CF_VEL_BORE + 9] = velocimeter_beams(sc.sensors.velocimeter.cant_deg).ravel()
    # the flight software's knowledge of the vehicle is nominal, not the dispersed truth
    cfg[L.CF_MASS0] = sc.vehicle.mass_kg
    cfg[L.CF_ISP] = sc.engine.isp_m_s
    cfg[L.CF_THRUST_MAX] = sc.engine.thrust_max_n
    cfg[L.CF_THRUST_MIN] = sc.engine.thrust_min_n
    cfg[L.CF_INERTIA:L.CF_INERTIA + 3] = sc.vehicle.inertia_wet_kgm2
    cfg[L.CF_RCS_TORQUE:L.CF_RCS_TORQUE + 3] = 2.0 * sc.rcs.thrust_n * sc.rcs.arm_m
    cfg[L.CF_RCS_MIN_ON] = sc.rcs.min_on_s
    cfg[L.CF_ATT_BW] = c.bandwidth
    cfg[L.CF_ATT_ZETA] = c.damping
    cfg[L.CF_ATT_DEADBAND] = math.radians(c.deadband_deg)
    cfg[L.CF_ATT_RATE_MAX] = math.radians(c.max_rate_deg_s)
    cfg[L.CF_BRAKE_ALT] = g.brake_alt_m
    cfg[L.CF_BRAKE_GATE:L.CF_BRAKE_GATE + 3] = g.brake_gate_m
    cfg[L.CF_BRAKE_GATE_VEL:L.CF_BRAKE_GATE_VEL + 2] = g.brake_gate_vel_m_s
    cfg[L.CF_BRAKE_THROTTLE] = g.brake_throttle
    cfg[L.CF_APPROACH_ALT] = g.approach_alt_m
    cfg[L.CF_APPROACH_TIME] = g.approach_time_s
    cfg[L.CF_HOVER_ALT] = g.hover_alt_m
    cfg[L.CF_HOVER_TIME] = g.hover_time_s
    cfg[L.CF_AVOID_ALT] = g.avoid_alt_m
    cfg[L.CF_AVOID_TIME] = g.avoid_time_s
    cfg[L.CF_SLOW_RATE] = g.slow_rate_m_s
    cfg[L.CF_FINAL_ALT] = g.final_alt_m
    cfg[L.CF_FINAL_RATE] = g.final_rate_m_s
    cfg[L.CF_CUTOFF_ALT] = g.cutoff_alt_m
    cfg[L.CF_POS_BW] = g.pos_bandwidth
    cfg[L.CF_MAX_TILT] = math.radians(g.max_tilt_deg)
    cfg[L.CF_LEG_HEIGHT] = sc.vehicle.leg_height_m
    law_config(cfg, sc)
    return cfg


# the plan's thrust range over the engine's (pdg_law.allocate's defaults): not scenario settings
PDG_T_LO, PDG_T_HI = 1.1, 0.9


def law_config(cfg: np.ndarray, sc: Scenario) -> None:
    """The descent's guidance law and the fuel-optimal law's settings into the config: a board
    lays the law out from them (the wire carries them), the host's builds too (pdg_settings).
    What the flight software knows, so the nominal dry mass, not the dispersed one."""
    g = sc.guidance
    cfg[L.CF_LAW] = L.LAW_PDG if g.law == "pdg" else L.LAW_PHASES
    cfg[L.CF_PDG_NODES] = int(g.pdg_nodes)
    cfg[L.CF_PDG_REPLAN_S] = g.pdg_replan_s
    cfg[L.CF_PDG_GLIDE] = math.radians(g.pdg_glide_deg)
    cfg[L.CF_PDG_POINT] = math.radians(g.pdg_point_deg)
    cfg[L.CF_PDG_M_DRY] = sc.vehicle.mass_kg - sc.vehicle.propellant_kg
    cfg[L.CF_PDG_T_LO], cfg[L.CF_PDG_T_HI] = PDG_T_LO, PDG_T_HI
    cfg[L.CF_PDG_DIVERT] = 1.0 if g.pdg_divert else 0.0
    cfg[L.CF_PDG_STEP_ITERS] = int(g.pdg_step_iters)


FAULT_STREAM = 0xFA17          # the fault's draws: their own stream, so a run with a fault flies its seed's noise
FAULT_SIZE_KEYS = {"altimeter_bias": "altimeter_bias_m", "velocimeter_bias": "velocimeter_bias_m_s",
                   "imu_bias_step": "imu_bias_step_m_s2", "thrust_shortfall": "thrust_shortfall"}


def fault_params(sc: Scenario, seed: int) -> np.ndarray:
    """The run's injected fault (gnc.core.faults FT_*): onset, size and axis drawn per seed
    within the scenario's [faults] ranges; biases of either sign."""
    ft = np.zeros(F.FT_LEN)
    ft[F.FT_FIRST_FLAG] = -1.0
    ft[F.FT_FIRST_ISOLATE] = -1.0
    kind = sc.faults.kind
    if kind == "none":
        return ft
    rng = np.random.default_rng(np.random.SeedSequence([seed, FAULT_STREAM]))
    code = F.KINDS.index(kind)
    t_on = rng.uniform(*sc.faults.onset_s)
    size = rng.uniform(*getattr(sc.faults, FAULT_SIZE_KEYS[kind])) if kind in FAULT_SIZE_KEYS else 0.0
    if kind.endswith("bias") or kind == "imu_bias_step":
        size *= rng.choice((-1.0, 1.0))
    ft[F.FT_KIND] = code
    ft[F.FT_T_ON] = t_on
    ft[F.FT_T_OFF] = t_on + sc.faults.duration_s
    ft[F.FT_SIZE] = size
    ft[F.FT_AXIS] = rng.integers(3)
    ft[F.FT_FLAG_MASK] = F.FLAG_MASK[code]
    ft[F.FT_ISOLATE_MASK] = F.ISOLATE_MASK[code]
    return ft
def file_map_of(sc: Scenario):
    """The scenario's DEM file resampled along the approach (gnc.terrain_file.FileMap), from
    beyond the target to PDI; None without one.  ScenarioError if the file covers none of the
    strip or would make too many cells (gnc.scenario checked the rest at load)."""
    t = sc.terrain
    if not (t.enabled and t.dem_file):
        return None
    w = world_array(sc)
    h = math.radians(approach_heading_deg(sc))
    uprange = (-pmath.sin(h), -pmath.cos(h))         # as the regional strip's (gnc.terrain_gen)
    # PDI's distance from the target in the landing frame's horizontal plane, where maps are laid
    ang = min(sc.orbit.pdi_range_m / w[M.W_SITE_R], 0.5 * math.pi)
    u_pdi = (sc.moon.radius_m + sc.orbit.perilune_alt_m) * pmath.sin(ang)
    try:
        return terrain_file.file_map(t.dem_file, w, uprange, u_pdi, t.dem_half_width_m, t.dem_resolution_m,
                                     MAX_MAP_CELLS)
    except DemFileError as e:
        raise ScenarioError(f"terrain.dem_file: {e}") from None


def terrain_of(sc: Scenario, seed: int):
    """The run's terrain (gnc.terrain_gen.Terrain): its own seed, the strip along the approach,
    nested in the DEM file's map when the scenario has one."""
    return generate(sc.terrain, seed + sc.terrain.seed_offset, approach_heading_deg(sc), file_map_of(sc))


def pdi_offsets(sc: Scenario, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """The truth PDI state's position and velocity offsets (landing frame: east, north, up)."""
    return rng.normal(0.0, sc.dispersions.pdi_pos_m, 3), rng.normal(0.0, sc.dispersions.pdi_vel_m_s, 3)


def dispersed_inputs(sc: Scenario, seed: int) -> dict:
    """What assemble(sc, seed, disperse=True) draws for the vehicle and the PDI state, each
    as its offset from the nominal: the same first draws of the same generator, so a campaign
    records a run's dispersions without flying or assembling it again."""
    rng = np.random.default_rng(seed)
    vp = vehicle_params(sc, rng)
    dr, dv = pdi_offsets(sc, rng)
    return {**vehicle_offsets(vp, vehicle_params(sc, None)),
            "pdi_pos_m": [float(x) for x in dr], "pdi_vel_mps": [float(x) for x in dv]}


def assemble(sc: Scenario, seed: int = 0, disperse: bool = False) -> Assembly:
    rng = np.random.default_rng(seed)
    w = world_array(sc)
    vp = vehicle_params(sc, rng if disperse else None)
    r_i, v_i = pdi_state(sc, w)
    if disperse:
        r_l, v_l = inertial_to_landing(w, r_i, v_i)
        dr, dv = pdi_offsets(sc, rng)
        r_i, v_i = landing_to_inertial(w, r_l + dr, v_l + dv)
    q0 = initial_attitude(sc, w, r_i, v_i)
    x0 = np.zeros(V.X_LEN)
    x0[V.X_R:V.X_R + 3] = r_i
    x0[V.X_V:V.X_V + 3] = v_i
    x0[V.X_Q:V.X_Q + 4] = q0
    x0[V.X_M] = vp[V.VP_MASS_WET]
    r_l, v_l = inertial_to_landing(w, r_i, v_i)
    truth_l = np.concatenate([r_l, v_l])
    sp = sensor_params(sc, rng)
    cfg = fsw_config(sc, w, vp, q0, truth_l, rng)
    dt = 1.0 / sc.sim.fsw_rate_hz
    n_steps = int(math.ceil(sc.sim.max_duration_s / dt))
    dem = np.zeros((1, 1))
    if sc.terrain.enabled:
        dem = terrain_of(sc, seed).core(w)
    return Assembly(x0, vp, w, dem, sp, cfg, dt, int(sc.sim.substeps), n_steps, seed, truth_l, hdu_params(sc),
                    field_model(sc.moon), fault_params(sc, seed), sc.guidance.law, pdg_settings(cfg))


def pdg_settings(cfg: np.ndarray) -> dict:
    """The fuel-optimal law's settings (gnc.core.fsw.pdg_law.allocate) as the config carries
    them (law_config), so every build, on the host or a board, lays the law out from one source."""
    return {"nodes": int(cfg[L.CF_PDG_NODES]), "replan_s": float(cfg[L.CF_PDG_REPLAN_S]),
            "glide": float(cfg[L.CF_PDG_GLIDE]), "point": float(cfg[L.CF_PDG_POINT]),
            "m_dry": float(cfg[L.CF_PDG_M_DRY]), "divert": bool(cfg[L.CF_PDG_DIVERT]),
            "t_lo": float(cfg[L.CF_PDG_T_LO]), "t_hi": float(cfg[L.CF_PDG_T_HI]),
            "step_iters": int(cfg[L.CF_PDG_STEP_ITERS])}


def resume_config(cfg: np.ndarray, af: np.ndarray, t: float, mass: float) -> np.ndarray:
    """The config for a flight software restarting mid-descent at time t (a board that reset
    during a HIL session): what a ground station has from telemetry, i.e. the last actuator
    frame's navigation estimate (carried forward at its velocity to t) with its 1-sigma
    (the largest axis' of position and of velocity: the config holds one of each), and the
    mass less the commanded burns."""
    out = cfg.copy()
    t_last = af[L.AF_T]
    pos, vel = af[L.AF_NAV_POS:L.AF_NAV_POS + 3], af[L.AF_NAV_VEL:L.AF_NAV_VEL + 3]
    out[L.CF_NAV0_POS:L.CF_NAV0_POS + 3] = pos + vel * (t - t_last)
    out[L.CF_NAV0_VEL:L.CF_NAV0_VEL + 3] = vel
    # nav_q is body->landing at t_last; the config wants body->inertial
    out[L.CF_NAV0_Q:L.CF_NAV0_Q + 4] = vec.q_mul(vec.q_conj(q_li(t_last, cfg)), tuple(af[L.AF_NAV_Q:L.AF_NAV_Q + 4]))
    sigma = af[L.AF_NAV_SIGMA:L.AF_NAV_SIGMA + 6]
    out[L.CF_NAV0_SIG_POS] = sigma[:3].max() + sigma[3:].max() * (t - t_last)
    out[L.CF_NAV0_SIG_VEL] = sigma[3:].max()
    out[L.CF_MASS0] = mass
    return out
