"""Turn an ascent Scenario (and a seed) into the arrays the ascent loop flies.

Time t = 0 is the start of the pad time; the inertial frame (MCI) coincides with the
Moon-fixed frame at t = 0.  The target plane passes through the pad at t = 0 with the
scenario's inclination, on its northbound or southbound leg.

Randomness as in gnc.programs.descent.assemble: knowledge errors (pad position, initial attitude, IMU
biases; sensor noise in the core) in every run, vehicle dispersions only with
disperse=True.  A mission passes `pad`, the lander's actual place and attitude and the
descent navigation's knowledge of it, instead of the scenario's site.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from gnc import linalg3 as la
from gnc.core import layout as L
from gnc.core import moon as M
from gnc.core import pmath
from gnc.core import sensors as S
from gnc.core import vehicle as V
from gnc.programs.ascent import plant as AL
from gnc.programs.descent.assemble import c_lf, every, frame_config, imu_params, world_array
from gnc.programs.dispersed import vehicle_offsets
from gnc.programs.gravity import field_model, plant_field
from gnc.rotations import quat_from_matrix, quat_to_matrix, rotation_about, small_rotation
from gnc.scenario import Scenario


@dataclass
class Pad:
    """Where the ascender stands: Moon-fixed site, attitude, and what navigation knows."""
    lat_deg: float
    lon_deg: float
    elevation_m: float              # of the ground under the lander, from the mean radius
    q_body_fixed: np.ndarray        # attitude body -> Moon-fixed
    knowledge_error_m: np.ndarray   # navigation's error of the pad position (east, north, up)


@dataclass
class AscentAssembly:
    x0: np.ndarray
    vp: np.ndarray
    world: np.ndarray
    dem: np.ndarray
    sp: np.ndarray
    cfg: np.ndarray
    pad: np.ndarray                 # gnc.programs.ascent.plant PAD_*
    dt: float
    substeps: int
    n_steps: int
    k_go: int
    settle_s: float
    seed: int
    target: dict                    # the target orbit: a, e, i, perilune and apolune radii, plane normal
    field: np.ndarray               # the gravity field's model (gnc.programs.gravity), shared by every plant

    def plant(self) -> AL.Plant:
        """A fresh plant to fly: truth and the pad at the start, empty accumulators."""
        return AL.Plant(self.x0.copy(), self.vp, self.world, self.dem, self.sp, np.zeros(6), np.zeros(V.WORK_LEN),
                        plant_field(self.field), np.zeros(V.N_RCS), self.pad.copy(), self.k_go, self.settle_s, self.dt, self.substeps)


def local_axes(lat_deg: float, lon_deg: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """East, north, up at a site, Moon-fixed."""
    lat, lon = math.radians(lat_deg), math.radians(lon_deg)
    east = np.array([-pmath.sin(lon), pmath.cos(lon), 0.0])
    north = np.array([-pmath.sin(lat) * pmath.cos(lon), -pmath.sin(lat) * pmath.sin(lon), pmath.cos(lat)])
    return east, north, np.cross(east, north)


def pad_attitude(lat_deg, lon_deg, heading_deg, tilt_deg, tilt_azimuth_deg) -> np.ndarray:
    """Body -> Moon-fixed quaternion: +z up, +x toward heading, then tilted."""
    east, north, up = local_axes(lat_deg, lon_deg)
    hd = math.radians(heading_deg)
    x = pmath.sin(hd) * east + pmath.cos(hd) * north
    m = np.column_stack([x, np.cross(up, x), up])
    ta = math.radians(tilt_azimuth_deg)
    lean = pmath.sin(ta) * east + pmath.cos(ta) * north
    return quat_from_matrix(la.mm(rotation_about(np.cross(up, lean), math.radians(tilt_deg)), m))


def plane_normal(sc: Scenario, site_up: np.ndarray) -> np.ndarray:
    """Unit normal (angular momentum direction) of the target plane through the site
    direction site_up (inertial, at lift-off) with the scenario's inclination."""
    inc = math.radians(sc.target.inclination_deg)
    lat = pmath.asin(site_up[2])
    lon = pmath.atan2(site_up[1], site_up[0])
    q = -pmath.tan(lat) / pmath.tan(inc) if abs(pmath.tan(inc)) > 1e-12 else 0.0
    if abs(q) > 1.0:
        raise ValueError(f"target.inclination_deg {sc.target.inclination_deg:g}: no orbit of that inclination "
                         f"passes over latitude {math.degrees(lat):.3f} deg")
    for node in (lon + pmath.asin(q), lon + math.pi - pmath.asin(q)):
        n = np.array([pmath.sin(inc) * pmath.sin(node), -pmath.sin(inc) * pmath.cos(node), pmath.cos(inc)])
        northbound = np.cross(n, site_up)[2] > 0.0
        if northbound == sc.target.northbound:
            return n
    raise AssertionError("unreachable: the two nodes give opposite legs")


def target_orbit(sc: Scenario, n: np.ndarray) -> dict:
    rp = sc.moon.radius_m + sc.target.perilune_alt_m
    ra = sc.moon.radius_m + sc.target.apolune_alt_m
    a = 0.5 * (rp + ra)
    return {"a_m": a, "e": (ra - rp) / (ra + rp), "i_deg": math.degrees(pmath.acos(n[2])),
            "perilune_radius_m": rp, "apolune_radius_m": ra,
            "perilune_speed_mps": math.sqrt(sc.moon.mu * (2.0 / rp - 1.0 / a)), "plane_normal": n.tolist()}


def orbit_vehicle_params(mass_kg, propellant_kg, *, inertia_wet, inertia_dry, com_offset, thrust_n, isp, tau,
                         misalignment_deg, rcs_thrust, rcs_arm, rcs_isp, rcs_layout="couples") -> np.ndarray:
    """Vehicle parameters (gnc.core.vehicle VP_*) of a fixed-thrust orbital vehicle.

    rcs_layout "couples": six pure-torque couples (gnc.programs.descent.assemble's layout, for
    gnc.core.fsw.control); "translation": four thrusters per body axis, two each way at
    opposite offsets, so any one axis gives force or torque (gnc.core.fsw.rcs)."""
    vp = np.zeros(V.VP_LEN)
    vp[V.VP_MASS_WET] = mass_kg
    vp[V.VP_MASS_DRY] = mass_kg - propellant_kg
    vp[V.VP_I_WET:V.VP_I_WET + 3] = inertia_wet
    vp[V.VP_I_DRY:V.VP_I_DRY + 3] = inertia_dry
    vp[V.VP_ISP] = isp
    vp[V.VP_T_MAX] = vp[V.VP_T_MIN] = thrust_n
    vp[V.VP_TAU] = tau
    vp[V.VP_T_SCALE] = 1.0
    mis = np.radians(misalignment_deg)
    vp[V.VP_T_DIR:V.VP_T_DIR + 3] = la.unit([pmath.tan(mis[0]), pmath.tan(mis[1]), 1.0])
    vp[V.VP_COM:V.VP_COM + 3] = com_offset
    vp[V.VP_RCS_F] = rcs_thrust
    vp[V.VP_RCS_ISP] = rcs_isp
    a = rcs_arm
    if rcs_layout == "couples":
        layout = [((0, a, 0), (0, 0, 1)), ((0, -a, 0), (0, 0, -1)), ((0, a, 0), (0, 0, -1)), ((0, -a, 0), (0, 0, 1)),
                  ((-a, 0, 0), (0, 0, 1)), ((a, 0, 0), (0, 0, -1)), ((-a, 0, 0), (0, 0, -1)), ((a, 0, 0), (0, 0, 1)),
                  ((a, 0, 0), (0, 1, 0)), ((-a, 0, 0), (0, -1, 0)), ((a, 0, 0), (0, -1, 0)), ((-a, 0, 0), (0, 1, 0))]
    else:
        # thruster 4j+m pushes along body axis j: m = 0, 1 toward +, 2, 3 toward -, at offsets
        # +a, -a along axis (j+1) % 3, so each pair torques about axis (j+2) % 3
        layout = []
        for j in range(3):
            o = (j + 1) % 3
            for sign, off in ((1, a), (1, -a), (-1, a), (-1, -a)):
                pos, d = [0.0] * 3, [0.0] * 3
                pos[o], d[j] = off, sign
                layout.append((tuple(pos), tuple(d)))
    for k, (pos, direction) in enumerate(layout):
        vp[V.VP_RCS_POS + 3 * k:V.VP_RCS_POS + 3 * k + 3] = pos
        vp[V.VP_RCS_DIR + 3 * k:V.VP_RCS_DIR + 3 * k + 3] = direction
    return vp


def vehicle_params(sc: Scenario, rng: np.random.Generator | None) -> np.ndarray:
    d = sc.dispersions
    def jit(sigma):
        return rng.normal(0.0, sigma) if rng is not None else 0.0
    ve, e = sc.vehicle, sc.engine
    scale_i = 1.0 + jit(d.inertia_frac)
    vp = orbit_vehicle_params(
        ve.mass_kg + jit(d.mass_kg), ve.propellant_kg, inertia_wet=np.array(ve.inertia_wet_kgm2) * scale_i,
        inertia_dry=np.array(ve.inertia_dry_kgm2) * scale_i,
        com_offset=np.array(ve.com_offset_m) + [jit(d.com_offset_m) for _ in range(3)],
        thrust_n=e.thrust_n, isp=e.isp_m_s * (1.0 + jit(d.isp_frac)), tau=e.time_constant_s,
        misalignment_deg=np.array(e.misalignment_deg) + [jit(d.misalignment_deg), jit(d.misalignment_deg)],
        rcs_thrust=sc.rcs.thrust_n, rcs_arm=sc.rcs.arm_m, rcs_isp=sc.rcs.isp_m_s, rcs_layout="translation")
    vp[V.VP_T_SCALE] = 1.0 + jit(d.thrust_frac)
    return vp


def imu_star_params(sc: Scenario, rng: np.random.Generator) -> np.ndarray:
    """Sensor parameters with only the IMU and the star tracker on (gnc.core.sensors SP_*)."""
    s = sc.sensors
    sp = imu_params(sc, rng)
    sp[S.SP_STAR_EVERY] = every(s.star_tracker.rate_hz, sc.sim.fsw_rate_hz)
    sp[S.SP_STAR_SIG] = s.star_tracker.sigma_rad
    sp[S.SP_STAR_DROP] = s.star_tracker.dropout
    return sp


def attitude_control_config(cfg: np.ndarray, sc: Scenario) -> None:
    """Vehicle knowledge and attitude-loop fields every program's control uses (nominal, not dispersed)."""
    c = sc.control
    cfg[L.CF_MASS0] = sc.vehicle.mass_kg
    cfg[L.CF_ISP] = sc.engine.isp_m_s
    cfg[L.CF_THRUST_MAX] = cfg[L.CF_THRUST_MIN] = sc.engine.thrust_n
    cfg[L.CF_INERTIA:L.CF_INERTIA + 3] = sc.vehicle.inertia_wet_kgm2
    cfg[L.CF_RCS_MIN_ON] = sc.rcs.min_on_s
    cfg[L.CF_RCS_TORQUE:L.CF_RCS_TORQUE + 3] = 2.0 * sc.rcs.thrust_n * sc.rcs.arm_m
    cfg[L.CF_ATT_BW] = c.bandwidth
    cfg[L.CF_HOLD_BW] = c.bandwidth
    cfg[L.CF_ATT_ZETA] = c.damping
    cfg[L.CF_ATT_DEADBAND] = math.radians(c.deadband_deg)
    cfg[L.CF_ATT_RATE_MAX] = math.radians(c.max_rate_deg_s)
    cfg[L.CF_ASC_TAILOFF] = sc.engine.time_constant_s


def fsw_config(sc: Scenario, w, q_ib0, pad_l, knowledge_error, n_i, target, rng) -> np.ndarray:
    nv, g = sc.navigation, sc.guidance
    cfg = frame_config(sc, w, L.PROGRAM_ASCENT)
    C = c_lf(w)
    east, north = np.array([1.0, 0.0, 0.0]), np.array([0.0, 1.0, 0.0])
    down_track = la.mv(C, np.cross(n_i, w[M.W_P_SITE:M.W_P_SITE + 3] / la.norm(w[M.W_P_SITE:M.W_P_SITE + 3])))
    cfg[L.CF_FWD:L.CF_FWD + 3] = la.unit(down_track[0] * east + down_track[1] * north)
    cfg[L.CF_NAV0_POS:L.CF_NAV0_POS + 3] = pad_l + knowledge_error
    cfg[L.CF_NAV0_VEL:L.CF_NAV0_VEL + 3] = 0.0
    cfg[L.CF_NAV0_Q:L.CF_NAV0_Q + 4] = quat_from_matrix(la.mm(quat_to_matrix(q_ib0), small_rotation(rng, nv.attitude_sigma_rad)))
    cfg[L.CF_NAV0_SIG_POS] = max(nv.site_sigma_m, 1.0)
    cfg[L.CF_NAV0_SIG_VEL] = 0.01
    cfg[L.CF_Q_ACCEL] = nv.accel_noise
    cfg[L.CF_GATE] = nv.gate_sigma
    cfg[L.CF_STAR_GAIN] = nv.star_gain
    attitude_control_config(cfg, sc)
    cfg[L.CF_RCS_FORCE] = sc.rcs.thrust_n
    cfg[L.CF_BURN_ENGINE_DV] = g.engine_dv_m_s
    cfg[L.CF_ASC_RISE_TIME] = g.rise_time_s
    cfg[L.CF_ASC_PITCH_TIME] = g.pitch_time_s
    cfg[L.CF_ASC_R_INS] = target["perilune_radius_m"]
    cfg[L.CF_ASC_V_INS] = target["perilune_speed_mps"]
    cfg[L.CF_ASC_PLANE_N:L.CF_ASC_PLANE_N + 3] = n_i
    cfg[L.CF_ASC_TGO_HOLD] = g.tgo_hold_s
    cfg[L.CF_BURN_LEAD] = g.burn_lead_s
    return cfg


def pad_tilt_deg(sc: Scenario, rng: np.random.Generator, disperse: bool) -> float:
    """The lander's tilt on the pad, the scenario's or drawn about it."""
    return abs(sc.site.tilt_deg + (rng.normal(0.0, sc.dispersions.tilt_deg) if disperse else 0.0))


def scenario_pad(sc: Scenario, rng: np.random.Generator, disperse: bool) -> Pad:
    s = sc.site
    q = pad_attitude(s.lat_deg, s.lon_deg, s.heading_deg, pad_tilt_deg(sc, rng, disperse), s.tilt_azimuth_deg)
    return Pad(s.lat_deg, s.lon_deg, s.elevation_m, q, rng.normal(0.0, sc.navigation.site_sigma_m, 3))


def dispersed_inputs(sc: Scenario, seed: int) -> dict:
    """What assemble(sc, seed, disperse=True) draws for the vehicle (gnc.programs.dispersed)
    and the lander's tilt on the pad: the same first draws of the same generator."""
    rng = np.random.default_rng(seed)
    vp = vehicle_params(sc, rng)
    return {**vehicle_offsets(vp, vehicle_params(sc, None)), "tilt_deg": pad_tilt_deg(sc, rng, True)}


def assemble(sc: Scenario, seed: int = 0, disperse: bool = False, pad: Pad | None = None) -> AscentAssembly:
    rng = np.random.default_rng(seed)
    vp = vehicle_params(sc, rng if disperse else None)
    if pad is None:
        pad = scenario_pad(sc, rng, disperse)
    site = sc.with_values({"site.lat_deg": pad.lat_deg, "site.lon_deg": pad.lon_deg,
                           "site.elevation_m": pad.elevation_m})
    w = world_array(site)
    up_f = w[M.W_P_SITE:M.W_P_SITE + 3] / w[M.W_SITE_R]
    h0 = sc.site.pad_height_m
    r_f = (w[M.W_SITE_R] + h0) * up_f
    n_i = plane_normal(sc, up_f)
    target = target_orbit(sc, n_i)
    x0 = np.zeros(V.X_LEN)
    x0[V.X_R:V.X_R + 3] = r_f
    x0[V.X_V:V.X_V + 3] = np.cross([0.0, 0.0, w[M.W_OMEGA]], r_f)
    x0[V.X_Q:V.X_Q + 4] = pad.q_body_fixed
    x0[V.X_W:V.X_W + 3] = la.mv(quat_to_matrix(pad.q_body_fixed).T, [0.0, 0.0, w[M.W_OMEGA]])
    x0[V.X_M] = vp[V.VP_MASS_WET]
    padv = np.zeros(AL.PAD_LEN)
    padv[AL.PAD_ON] = 1.0
    padv[AL.PAD_R:AL.PAD_R + 3] = r_f
    padv[AL.PAD_Q:AL.PAD_Q + 4] = pad.q_body_fixed
    padv[AL.PAD_H0] = h0
    padv[AL.PAD_T_LIFTOFF] = padv[AL.PAD_T_CUTOFF] = -1.0
    sp = imu_star_params(sc, rng)
    cfg = fsw_config(sc, w, pad.q_body_fixed, np.array([0.0, 0.0, h0]), pad.knowledge_error_m, n_i, target, rng)
    dt = 1.0 / sc.sim.fsw_rate_hz
    return AscentAssembly(x0, vp, w, np.zeros((1, 1)), sp, cfg, padv, dt, int(sc.sim.substeps),
                          int(math.ceil(sc.sim.max_duration_s / dt)), int(round(sc.sim.pad_time_s / dt)),
                          sc.sim.settle_s, seed, target, field_model(sc.moon))
