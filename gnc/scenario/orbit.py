"""Validation rules of the ascent, rendezvous and mission scenarios (gnc.scenario
applies them; keys the descent shares, like moon.* or vehicle.mass_kg, keep its rules).

ORBIT_RULES: (low, high) inclusive bounds by dotted key, None = unbounded.
orbit_cross_check(program, data): the first problem across keys as one line, or None.
"""
from __future__ import annotations

POS = (1e-12, None)
NONNEG = (0.0, None)
FRAC = (0.0, 1.0)

ORBIT_RULES: dict[str, tuple[float | None, float | None]] = {
    # ascent
    "sim.pad_time_s": (0.0, 3600.0), "sim.settle_s": (0.0, 600.0),
    "site.pad_height_m": (0.0, 20.0), "site.tilt_deg": (0.0, 30.0), "site.tilt_azimuth_deg": (-360.0, 360.0),
    "site.heading_deg": (-360.0, 360.0),
    "target.perilune_alt_m": (1000.0, 1e6), "target.apolune_alt_m": (1000.0, 1e7),
    "target.inclination_deg": (0.0, 180.0), "target.max_sma_error_m": POS, "target.max_inc_error_deg": POS,
    "engine.thrust_n": POS, "sensors.star_tracker.rate_hz": NONNEG,
    "navigation.site_sigma_m": NONNEG, "guidance.rise_time_s": (0.0, 120.0), "guidance.pitch_time_s": (0.1, 300.0),
    "guidance.tgo_hold_s": (0.0, 60.0), "guidance.burn_lead_s": (1.0, 3600.0), "guidance.engine_dv_m_s": NONNEG, "dispersions.tilt_deg": NONNEG,
    # rendezvous
    "sim.coast_step_max_s": (1.0, 3600.0), "sim.coast_substep_s": (1.0, 120.0),
    "orbiter.altitude_m": (10e3, 1e6), "orbiter.lead_deg": (-360.0, 360.0),
    "sensors.radar.rate_hz": NONNEG, "sensors.radar.min_range_m": NONNEG, "sensors.radar.max_range_m": POS,
    "sensors.radar.fov_deg": (0.0, 90.0), "sensors.radar.range_sigma_frac": NONNEG, "sensors.radar.range_sigma_m": POS,
    "sensors.radar.range_rate_sigma_m_s": POS, "sensors.radar.los_sigma_rad": POS, "sensors.radar.dropout": FRAC,
    "sensors.pose.rate_hz": NONNEG, "sensors.pose.max_range_m": POS, "sensors.pose.fov_deg": (0.0, 90.0),
    "sensors.pose.range_sigma_frac": NONNEG, "sensors.pose.range_sigma_m": POS, "sensors.pose.los_sigma_rad": POS,
    "sensors.pose.att_sigma_rad": NONNEG, "sensors.pose.dropout": FRAC,
    "docking.port_chaser_m": (-10.0, 10.0), "docking.port_target_m": (-10.0, 10.0),
    "capture.max_lateral_m": POS, "capture.min_closing_m_s": NONNEG, "capture.max_closing_m_s": POS,
    "capture.max_lateral_rate_m_s": POS, "capture.max_attitude_deg": POS, "capture.max_rate_deg_s": POS,
    "ground.od_sigma_pos_m": NONNEG, "ground.od_sigma_cross_vel_m_s": NONNEG, "ground.od_sigma_sma_m": NONNEG, "ground.first_burn_revs": (0.5, 100.0),
    "ground.handover_s": (3600.0, 1e7), "ground.ahead_m": (1000.0, 1e6), "ground.above_m": (-1e5, 1e5),
    "ground.min_phasing_alt_m": (1000.0, 1e6), "ground.uplink_lead_s": (10.0, 86400.0), "ground.go_delay_s": NONNEG,
    "ground.trim_bias_m_s": NONNEG,
    "guidance.hold_m": (1.0, 1e6), "guidance.transfer_s": (60.0, 1e5), "guidance.acq_time_s": NONNEG,
    "guidance.hold_time_s": NONNEG, "guidance.v_max_m_s": POS, "guidance.v_final_m_s": POS, "guidance.tau_s": POS,
    "guidance.lateral_bw": (1e-4, 1.0), "guidance.capture_dist_m": NONNEG,
    "dispersions.lead_deg": NONNEG, "target_hold.bandwidth": (1e-3, 10.0), "target_hold.docking_bandwidth": (1e-3, 10.0), "target_hold.deadband_deg": (0.0, 45.0),
    "target_hold.max_rate_deg_s": (0.1, 90.0), "target_hold.min_on_s": (0.0, 1.0),
    # mission
    "surface.stay_s": (0.0, 30 * 86400.0),
}


def orbit_cross_check(program: str, data: dict) -> str | None:
    if program == "mission":
        return None                       # each phase's scenario is checked when the mission loads it
    v = data["vehicle"]
    if v["propellant_kg"] >= v["mass_kg"]:
        return f"vehicle.propellant_kg: {v['propellant_kg']:g} must be less than vehicle.mass_kg {v['mass_kg']:g}"
    if program == "ascent":
        t = data["target"]
        if t["apolune_alt_m"] < t["perilune_alt_m"]:
            return "target.apolune_alt_m: must be at least target.perilune_alt_m"
    if program == "rendezvous":
        c, g = data["capture"], data["guidance"]
        if c["min_closing_m_s"] > c["max_closing_m_s"]:
            return f"capture.min_closing_m_s: {c['min_closing_m_s']:g} exceeds capture.max_closing_m_s {c['max_closing_m_s']:g}"
        if g["hold_m"][1] > g["hold_m"][0]:
            return "guidance.hold_m: the closing hold point must be nearer the target than the homing one"
        if g["v_final_m_s"] > g["v_max_m_s"]:
            return f"guidance.v_final_m_s: {g['v_final_m_s']:g} exceeds guidance.v_max_m_s {g['v_max_m_s']:g}"
    return None
