"""Scenarios: TOML files loaded, merged over their base and validated into typed config.

A scenario names a shipped file (`descent`) or a path.  A user file may say
`base = "descent"` and set only the keys it changes; command-line overrides
(`--set guidance.hover_time_s=10`) apply last.  The shipped file of the program
is the schema: every key must exist there, with the same type (an integer is a
valid float) and list length, and inside the range given in RULES.  Any error is
a ScenarioError whose message is one line naming the key.
"""
from __future__ import annotations

import copy
import difflib
import math
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from gnc.programs import NAMES
from gnc.scenario.orbit import ORBIT_RULES, orbit_cross_check

SCENARIO_DIR = Path(__file__).resolve().parent.parent / "scenarios"

MAX_FIELD_DEGREE = 1400      # gnc.core.sh_gravity's Legendre functions overflow near 1470 at the poles
# file paths: relative to the scenario file that sets them (a --set one: to the working directory)
PATH_KEYS = ("moon.field_file", "terrain.dem_file")

# (low, high) inclusive bounds; None = unbounded.  Every numeric key must be finite.
POS = (1e-12, None)
NONNEG = (0.0, None)
FRAC = (0.0, 1.0)
RULES: dict[str, tuple[float | None, float | None]] = {
    "sim.fsw_rate_hz": (1.0, 1000.0), "sim.substeps": (1, 100), "sim.max_duration_s": (1.0, 1e6),
    "moon.mu": POS, "moon.radius_m": POS, "moon.j2": (-1e-2, 1e-2), "moon.rotation_rad_s": (-1e-3, 1e-3),
    "moon.field_degree": (0, MAX_FIELD_DEGREE),
    "site.lat_deg": (-90.0, 90.0), "site.lon_deg": (-360.0, 360.0), "site.elevation_m": (-20000.0, 20000.0),
    "orbit.perilune_alt_m": (1000.0, 1e6), "orbit.apolune_alt_m": (1000.0, 1e7),
    "orbit.pdi_range_m": (0.0, 2e6), "orbit.inclination_deg": (0.0, 180.0),
    "vehicle.mass_kg": (1.0, 1e5), "vehicle.propellant_kg": NONNEG, "vehicle.inertia_wet_kgm2": POS,
    "vehicle.inertia_dry_kgm2": POS, "vehicle.com_offset_m": (-1.0, 1.0), "vehicle.leg_radius_m": (0.1, 20.0),
    "vehicle.leg_height_m": (0.1, 20.0),
    "engine.thrust_max_n": POS, "engine.thrust_min_n": NONNEG, "engine.isp_m_s": (100.0, 1e5),
    "engine.time_constant_s": (1e-3, 10.0), "engine.misalignment_deg": (-10.0, 10.0),
    "rcs.thrust_n": POS, "rcs.arm_m": POS, "rcs.isp_m_s": (100.0, 1e5), "rcs.min_on_s": (0.0, 1.0),
    "sensors.imu.accel_vrw": NONNEG, "sensors.imu.gyro_arw": NONNEG, "sensors.imu.accel_bias_sigma": NONNEG,
    "sensors.imu.gyro_bias_sigma": NONNEG, "sensors.imu.dv_quantum": NONNEG,
    "sensors.imu.dtheta_quantum": NONNEG, "sensors.imu.dropout": FRAC,
    "sensors.altimeter.rate_hz": NONNEG, "sensors.altimeter.sigma_frac": NONNEG,
    "sensors.altimeter.sigma_min_m": NONNEG, "sensors.altimeter.max_range_m": POS,
    "sensors.altimeter.max_incidence_deg": (0.0, 90.0), "sensors.altimeter.boresight": (-1.0, 1.0),
    "sensors.altimeter.quantum_m": NONNEG, "sensors.altimeter.dropout": FRAC,
    "sensors.velocimeter.rate_hz": NONNEG, "sensors.velocimeter.sigma_m_s": NONNEG,
    "sensors.velocimeter.max_range_m": POS, "sensors.velocimeter.cant_deg": (0.0, 80.0),
    "sensors.velocimeter.dropout": FRAC,
    "sensors.star_tracker.rate_hz": NONNEG, "sensors.star_tracker.sigma_rad": NONNEG,
    "sensors.star_tracker.dropout": FRAC,
    "sensors.camera.rate_hz": NONNEG, "sensors.camera.sigma_frac": NONNEG, "sensors.camera.min_range_m": NONNEG,
    "sensors.camera.max_range_m": POS, "sensors.camera.max_off_nadir_deg": (0.0, 90.0), "sensors.camera.map_tie_sigma_m": (0.0, 1e4), "sensors.camera.boresight": (-1.0, 1.0), "sensors.camera.dropout": FRAC,
    "navigation.od_sigma_pos_m": NONNEG, "navigation.od_sigma_vel_m_s": NONNEG,
    "navigation.attitude_sigma_rad": NONNEG, "navigation.accel_noise": NONNEG, "navigation.sigma_acc_bias_m_s2": NONNEG,
    "navigation.sigma_alt_frac": NONNEG, "navigation.sigma_alt_min_m": POS, "navigation.sigma_vel_m_s": POS,
    "navigation.sigma_cam_frac": POS, "navigation.sigma_map_tie_m": NONNEG, "navigation.sigma_terrain_m": NONNEG,
    "navigation.sigma_relief_frac": NONNEG, "navigation.relief_corr_m": POS, "navigation.terrain_corr_m": POS,
    "navigation.gate_sigma": (1.0, 1e3), "navigation.star_gain": FRAC,
    "guidance.brake_throttle": (0.1, 1.0), "guidance.brake_alt_m": POS, "guidance.brake_gate_m": (-1e6, 1e6),
    "guidance.brake_gate_vel_m_s": (-1e4, 1e4), "guidance.approach_alt_m": POS,
    "guidance.approach_time_s": (5.0, 1e4), "guidance.hover_alt_m": (5.0, 1e4), "guidance.hover_time_s": NONNEG,
    "guidance.avoid_alt_m": (1.0, 1e4), "guidance.avoid_time_s": (2.0, 1e4), "guidance.slow_rate_m_s": POS,
    "guidance.final_alt_m": NONNEG, "guidance.final_rate_m_s": POS, "guidance.cutoff_alt_m": NONNEG,
    "guidance.max_tilt_deg": (1.0, 90.0), "guidance.pos_bandwidth": (1e-3, 10.0),
    "guidance.pdg_nodes": (5, 200), "guidance.pdg_replan_s": (0.02, 1.0), "guidance.pdg_glide_deg": (0.0, 80.0),
    "guidance.pdg_point_deg": (1.0, 90.0), "guidance.pdg_step_iters": (0, 255),
    "control.bandwidth": (1e-3, 100.0), "control.damping": (0.05, 5.0), "control.deadband_deg": (0.0, 45.0), "control.max_rate_deg_s": (0.1, 90.0),
    "touchdown.max_vertical_m_s": POS, "touchdown.max_horizontal_m_s": POS, "touchdown.max_tilt_deg": POS,
    "touchdown.max_rate_deg_s": POS, "touchdown.max_slope_deg": (0.0, 90.0), "touchdown.max_rock_m": POS,
    "terrain.seed_offset": (0, 2 ** 31 - 1), "terrain.half_width_m": (5.0, 5000.0), "terrain.resolution_m": (0.01, 10.0),
    "terrain.crater_density": NONNEG, "terrain.crater_exponent": (0.1, 6.0), "terrain.crater_d_min_m": POS,
    "terrain.crater_d_max_m": POS, "terrain.crater_depth_min": FRAC, "terrain.crater_depth_max": FRAC,
    "terrain.rock_abundance": (0.0, 0.5), "terrain.rock_d_min_m": POS, "terrain.rock_d_max_m": POS,
    "terrain.regional_uprange_m": (0.0, 1e6), "terrain.regional_downrange_m": (0.0, 1e6),
    "terrain.regional_half_width_m": (10.0, 1e6), "terrain.regional_resolution_m": (0.5, 1000.0),
    "terrain.regional_crater_density": NONNEG, "terrain.regional_crater_exponent": (0.1, 6.0),
    "terrain.regional_d_max_m": POS, "terrain.regional_clear_m": NONNEG,
    "terrain.dem_resolution_m": (0.0, 1e5), "terrain.dem_half_width_m": (100.0, 1e5),
    "terrain.dem_feature_cells": (0.0, 100.0),
    "hdu.rays": (2, 4096), "hdu.fov_deg": (1.0, 120.0), "hdu.range_sigma_m": NONNEG, "hdu.dropout": FRAC,
    "hdu.attitude_sigma_deg": (0.0, 10.0), "hdu.scan_duration_s": NONNEG, "hdu.map_size_m": (1.0, 1000.0),
    "hdu.cell_m": (0.01, 10.0), "hdu.max_slope_deg": (0.0, 89.0), "hdu.max_roughness_m": POS,
    "hdu.footprint_radius_m": (0.1, 20.0), "hdu.margin_m": NONNEG, "hdu.min_coverage": FRAC, "hdu.site_sigma_m": NONNEG,
    "hdu.fallback_slope_deg": (0.0, 89.0), "hdu.fallback_roughness_m": POS, "hdu.fallback_steps": (0, 100),
}
LAWS = ("phases", "pdg")     # guidance.law: Chang'e's phase laws; the fuel-optimal approach and divert
MAX_MAP_CELLS = 25_000_000   # per map (terrain DEM, hazard map): 200 MB of float64
for _k in ("thrust_frac", "isp_frac", "mass_kg", "inertia_frac", "misalignment_deg", "com_offset_m",
           "pdi_pos_m", "pdi_vel_m_s"):
    RULES[f"dispersions.{_k}"] = NONNEG
RULES.update({"faults.onset_s": NONNEG, "faults.duration_s": NONNEG, "faults.altimeter_bias_m": NONNEG,
              "faults.velocimeter_bias_m_s": NONNEG, "faults.imu_bias_step_m_s2": NONNEG,
              "faults.thrust_shortfall": FRAC})
RULES.update(ORBIT_RULES)          # ascent, rendezvous and mission keys


class ScenarioError(Exception):
    """Bad scenario input; str(e) is the one line to show the user."""


@dataclass(frozen=True)
class Scenario:
    name: str
    program: str
    data: dict                      # every key, after the bases and the overrides
    source: str = ""                # the name or path it was loaded from
    overrides: tuple[str, ...] = ()  # the --set texts applied last, as given

    def __getattr__(self, section: str) -> Any:
        # only the sections: pickle looks up __setstate__ & co. on an instance whose
        # fields are not set yet, and self.data would land here again
        data = self.__dict__.get("data")
        if data is None or section not in data:
            raise AttributeError(section)
        return _namespace(data[section])

    def get(self, dotted: str) -> Any:
        node = self.data
        for part in dotted.split("."):
            node = node[part]
        return node

    def with_values(self, changes: dict[str, Any]) -> "Scenario":
        data = copy.deepcopy(self.data)
        for key, value in changes.items():
            _assign(data, key, value)
        return Scenario(self.name, self.program, data, self.source, self.overrides)


def _namespace(node):
    if isinstance(node, dict):
        return SimpleNamespace(**{k: _namespace(v) for k, v in node.items()})
    return node


def _read_toml(path: Path) -> dict:
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise ScenarioError(f"scenario file not found: {path}") from None
    except IsADirectoryError:
        raise ScenarioError(f"scenario path is a directory, not a TOML file: {path}") from None
    except tomllib.TOMLDecodeError as e:
        raise ScenarioError(f"{path}: bad TOML: {e}") from None
    except UnicodeDecodeError:
        raise ScenarioError(f"{path}: not a UTF-8 text file") from None


def shipped() -> list[str]:
    return sorted(p.stem for p in SCENARIO_DIR.glob("*.toml"))


def _resolve(name_or_path: str) -> Path:
    p = Path(name_or_path)
    if p.suffix == ".toml" or p.exists() or "/" in name_or_path:
        return p
    candidate = SCENARIO_DIR / f"{name_or_path}.toml"
    if not candidate.exists():
        raise ScenarioError(f"unknown scenario {name_or_path!r}: give a .toml path or one of {', '.join(shipped())}")
    return candidate


def _merge(base: dict, over: dict, schema: dict, prefix: str = "", root: dict | None = None) -> None:
    root = schema if root is None else root
    for key, value in over.items():
        path = f"{prefix}{key}"
        if key not in schema:
            allowed = ", ".join(sorted(schema)) or "none"
            raise ScenarioError(f"{path}: unknown key{_did_you_mean(path, keys(root))} (allowed here: {allowed})")
        if isinstance(schema[key], dict):
            if not isinstance(value, dict):
                raise ScenarioError(f"{path}: expected a table of keys, got {_kind(value)}")
            _merge(base[key], value, schema[key], path + ".", root)
        else:
            base[key] = _check(path, value, schema[key])


def _kind(v) -> str:
    return {bool: "a boolean", int: "an integer", float: "a number", str: "a string",
            list: "a list", dict: "a table"}.get(type(v), type(v).__name__)


def _check(path: str, value, template):
    if isinstance(template, bool):
        if not isinstance(value, bool):
            raise ScenarioError(f"{path}: expected true or false, got {_kind(value)} {value!r}")
        return value
    if isinstance(template, str):
        if not isinstance(value, str):
            raise ScenarioError(f"{path}: expected a string, got {_kind(value)} {value!r}")
        return value
    if isinstance(template, list):
        if not isinstance(value, list) or len(value) != len(template):
            raise ScenarioError(f"{path}: expected a list of {len(template)} numbers, got {_kind(value)} {value!r}")
        return [_number(f"{path}[{i}]", v, path, isinstance(template[i], int)) for i, v in enumerate(value)]
    return _number(path, value, path, isinstance(template, int))


def _number(label: str, value, rule_key: str, integer: bool):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ScenarioError(f"{label}: expected {'an integer' if integer else 'a number'}, got {_kind(value)} {value!r}")
    if integer and not isinstance(value, int):
        raise ScenarioError(f"{label}: expected an integer, got {value!r}")
    if not math.isfinite(value):
        raise ScenarioError(f"{label}: must be finite, got {value!r}")
    lo, hi = RULES.get(rule_key, (None, None))
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        lo_s = "-inf" if lo is None else f"{lo:g}"
        hi_s = "inf" if hi is None else f"{hi:g}"
        raise ScenarioError(f"{label}: {value!r} is out of range (allowed {lo_s} .. {hi_s})")
    return int(value) if integer else float(value)


def _assign(data: dict, dotted: str, value) -> None:
    parts = dotted.split(".")
    node = data
    for i, part in enumerate(parts[:-1]):
        if not isinstance(node.get(part), dict):
            raise ScenarioError(f"{'.'.join(parts[:i + 1])}: unknown section")
        node = node[part]
    if parts[-1] not in node or isinstance(node[parts[-1]], dict):
        raise ScenarioError(f"{dotted}: unknown key")
    node[parts[-1]] = value


def parse_override(text: str) -> tuple[str, Any]:
    """'guidance.hover_time_s=10' -> ('guidance.hover_time_s', 10); the value is TOML."""
    key, sep, raw = text.partition("=")
    key = key.strip()
    if not sep or not key:
        raise ScenarioError(f"override {text!r}: expected KEY=VALUE, e.g. guidance.hover_time_s=10")
    try:
        value = tomllib.loads(f"v = {raw.strip()}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw.strip()           # a bare word: let type checking name the problem
    return key, value


def _cross_checks(data: dict) -> None:
    e, g, v = data["engine"], data["guidance"], data["vehicle"]
    if e["thrust_min_n"] > e["thrust_max_n"]:
        raise ScenarioError(f"engine.thrust_min_n: {e['thrust_min_n']:g} exceeds engine.thrust_max_n {e['thrust_max_n']:g}")
    if v["propellant_kg"] >= v["mass_kg"]:
        raise ScenarioError(f"vehicle.propellant_kg: {v['propellant_kg']:g} must be less than vehicle.mass_kg {v['mass_kg']:g}")
    if data["orbit"]["apolune_alt_m"] < data["orbit"]["perilune_alt_m"]:
        raise ScenarioError("orbit.apolune_alt_m: must be at least orbit.perilune_alt_m")
    inc, lat = data["orbit"]["inclination_deg"], data["site"]["lat_deg"]
    if abs(math.cos(math.radians(inc))) > math.cos(math.radians(lat)):
        raise ScenarioError(f"orbit.inclination_deg: no orbit of inclination {inc:g} deg passes over the site's "
                            f"latitude {lat:g} deg (it needs {abs(lat):g} .. {180.0 - abs(lat):g})")
    order = ["brake_alt_m", "approach_alt_m", "hover_alt_m", "avoid_alt_m", "final_alt_m", "cutoff_alt_m"]
    for hi, lo in zip(order, order[1:]):
        if g[lo] > g[hi]:
            raise ScenarioError(f"guidance.{lo}: {g[lo]:g} must not exceed guidance.{hi} {g[hi]:g} (phases run downward)")
    if g["law"] not in LAWS:
        raise ScenarioError(f"guidance.law: {g['law']!r} is not a law{_did_you_mean(g['law'], list(LAWS))} "
                            f"(allowed: {', '.join(LAWS)})")
    if g["pdg_point_deg"] > g["max_tilt_deg"]:
        raise ScenarioError(f"guidance.pdg_point_deg: {g['pdg_point_deg']:g} exceeds guidance.max_tilt_deg "
                            f"{g['max_tilt_deg']:g} (the plan would ask for tilts the vehicle may not fly)")
    f = data["faults"]
    if f["kind"] != "none":
        from gnc.core.faults import KINDS  # numba: only for a scenario that injects one
        if f["kind"] not in KINDS:
            raise ScenarioError(f"faults.kind: {f['kind']!r} is not a fault{_did_you_mean(f['kind'], list(KINDS))} "
                                f"(allowed: {', '.join(KINDS)})")
    for key in ("onset_s", "altimeter_bias_m", "velocimeter_bias_m_s", "imu_bias_step_m_s2", "thrust_shortfall"):
        if f[key][0] > f[key][1]:
            raise ScenarioError(f"faults.{key}: {f[key][0]:g} exceeds {f[key][1]:g} (a range: [low, high])")
    t, h = data["terrain"], data["hdu"]
    for lo, hi in (("crater_d_min_m", "crater_d_max_m"), ("crater_depth_min", "crater_depth_max"),
                   ("rock_d_min_m", "rock_d_max_m")):
        if t[lo] > t[hi]:
            raise ScenarioError(f"terrain.{lo}: {t[lo]:g} exceeds terrain.{hi} {t[hi]:g}")
    if (2.0 * t["half_width_m"] / t["resolution_m"] + 1.0) ** 2 > MAX_MAP_CELLS:
        raise ScenarioError(f"terrain.resolution_m: {t['resolution_m']:g} m over a {2 * t['half_width_m']:g} m map "
                            f"makes more than {MAX_MAP_CELLS:,} cells")
    if t["crater_d_max_m"] > t["regional_d_max_m"]:
        raise ScenarioError(f"terrain.crater_d_max_m: {t['crater_d_max_m']:g} exceeds terrain.regional_d_max_m "
                            f"{t['regional_d_max_m']:g} (the regional map carries the craters from one to the other)")
    along, res = t["regional_uprange_m"] + t["regional_downrange_m"], t["regional_resolution_m"]
    if (along / res + 1.0) * (2.0 * t["regional_half_width_m"] / res + 1.0) > MAX_MAP_CELLS:
        raise ScenarioError(f"terrain.regional_resolution_m: {t['regional_resolution_m']:g} m over a {along:g} x "
                            f"{2 * t['regional_half_width_m']:g} m map makes more than {MAX_MAP_CELLS:,} cells")
    if (h["map_size_m"] / h["cell_m"] + 1.0) ** 2 > MAX_MAP_CELLS:
        raise ScenarioError(f"hdu.cell_m: {h['cell_m']:g} m over a {h['map_size_m']:g} m map makes more than {MAX_MAP_CELLS:,} cells")
    if h["scan_duration_s"] > g["hover_time_s"]:
        raise ScenarioError(f"hdu.scan_duration_s: {h['scan_duration_s']:g} exceeds guidance.hover_time_s {g['hover_time_s']:g} "
                            "(the hover would end before the unit reports)")
    if h["footprint_radius_m"] < v["leg_radius_m"]:
        raise ScenarioError(f"hdu.footprint_radius_m: {h['footprint_radius_m']:g} is less than vehicle.leg_radius_m "
                            f"{v['leg_radius_m']:g} (the unit must judge the whole footprint)")


def _gravity_check(moon: dict) -> None:
    path, degree = moon["field_file"], moon["field_degree"]
    if not path:
        if degree:
            raise ScenarioError(f"moon.field_degree: {degree} with no moon.field_file to read it from")
        return
    if degree < 2:
        raise ScenarioError(f"moon.field_degree: {degree}: give the degree and order to fly from moon.field_file "
                            f"(2 .. {MAX_FIELD_DEGREE}; docs/gravity.md says what a degree costs)")
    from gnc.gravity_file import GravityFileError, read_cached  # numpy only; read once per process
    try:
        read_cached(path, degree)
    except FileNotFoundError:
        raise ScenarioError(f"moon.field_file: no such file: {path}") from None
    except IsADirectoryError:
        raise ScenarioError(f"moon.field_file: {path} is a directory, not a gravity field file") from None
    except GravityFileError as e:
        raise ScenarioError(f"moon.field_file: {e}") from None


def _chain(path: Path, seen: tuple[Path, ...] = ()) -> list[tuple[Path, dict]]:
    """(path, table) of a scenario file and of each base under it, the file first.
    A base path is relative to the file that names it."""
    if path.resolve() in seen:
        raise ScenarioError(f"base: {path} is its own base (through the chain of bases)")
    raw = _read_toml(path)
    base = raw.pop("base", None)
    if base is None:
        return [(path, raw)]
    if not isinstance(base, str):
        raise ScenarioError(f"base: expected a shipped scenario name or a .toml path, got {_kind(base)} {base!r}")
    local = path.parent / base
    try:
        return [(path, raw)] + _chain(_resolve(str(local) if local.suffix == ".toml" or "/" in base else base),
                                      seen + (path.resolve(),))
    except ScenarioError as e:
        raise ScenarioError(str(e) if str(e).startswith("base: ") else f"base: {e}") from None


def load(name_or_path: str = "descent", overrides: list[str] | None = None) -> Scenario:
    """Load, merge over the chain of bases, apply overrides, validate.  Raises ScenarioError."""
    path = _resolve(name_or_path)
    chain = _chain(path)
    declared = [(p, t["program"]) for p, t in chain if "program" in t]
    program = declared[0][1] if declared else chain[-1][0].stem
    if not isinstance(program, str) or program not in NAMES:
        raise ScenarioError(f"program: {program!r} is not a flight program (allowed: {', '.join(NAMES)})")
    for p, other in declared[1:]:
        if other != program:
            raise ScenarioError(f"base: {p} has program {other!r}, not {program!r}")
    schema = _read_toml(SCENARIO_DIR / f"{program}.toml")
    data = copy.deepcopy(schema)
    for p, table in reversed(chain):
        _merge(data, table, schema)
        _anchor_paths(data, table, p.parent)
    for text in overrides or []:
        key, value = parse_override(text)
        _assign(data, key, _check(key, value, _template(schema, key)))
        if key in PATH_KEYS and value:
            _assign(data, key, os.path.abspath(os.path.expanduser(value)))
    return _checked(Scenario(path.stem, program, data, name_or_path, tuple(overrides or ())))


def input_files(sc: Scenario) -> dict[str, str]:
    """The files sc reads, by key (PATH_KEYS that are set)."""
    found = {}
    for dotted in PATH_KEYS:
        section, key = dotted.split(".")
        value = sc.data.get(section, {}).get(key)
        if value:
            found[dotted] = value
    return found


def _anchor_paths(data: dict, table: dict, folder: Path) -> None:
    """The PATH_KEYS table sets, made absolute from the folder of its file."""
    for dotted in PATH_KEYS:
        section, key = dotted.split(".")
        value = table.get(section, {}).get(key) if isinstance(table.get(section), dict) else None
        if value:
            data[section][key] = os.path.abspath(folder / os.path.expanduser(value))


def from_data(name: str, data: dict, source: str = "", overrides: tuple[str, ...] = ()) -> Scenario:
    """A scenario from its resolved keys (as a run records them, gnc.output), checked as load checks a file."""
    program = data.get("program")
    if not isinstance(program, str) or program not in NAMES:
        raise ScenarioError(f"program: {program!r} is not a flight program (allowed: {', '.join(NAMES)})")
    schema = _read_toml(SCENARIO_DIR / f"{program}.toml")
    resolved = copy.deepcopy(schema)
    _merge(resolved, data, schema)
    missing = sorted(set(_leaves(schema)) - set(_leaves(data)))
    if missing:
        raise ScenarioError(f"{missing[0]}: missing (a resolved scenario has every key of the {program} scenario)")
    return _checked(Scenario(name, program, resolved, source, tuple(overrides)))


def _leaves(table: dict) -> list[str]:
    return [k for k in keys(table) if not isinstance(_at(table, k), dict)]


def _checked(sc: Scenario) -> Scenario:
    """sc, after the checks across keys."""
    program, data = sc.program, sc.data
    if "moon" in data:
        _gravity_check(data["moon"])
    if program == "descent":
        _cross_checks(data)
        if data["terrain"]["dem_file"] and data["terrain"]["enabled"]:
            from gnc import terrain_file  # reads the file: only for a scenario naming one
            site = data["site"]
            problem = terrain_file.site_problem(data["terrain"]["dem_file"], site["lat_deg"], site["lon_deg"],
                                                data["moon"]["radius_m"], site["elevation_m"])
            if problem is not None:
                raise ScenarioError(f"terrain.dem_file: {problem}")
    elif (problem := orbit_cross_check(program, data)) is not None:
        raise ScenarioError(problem)
    return sc


def keys(schema: dict, prefix: str = "") -> list[str]:
    """Every dotted key of a scenario table, sections first-level included."""
    out = []
    for k, v in schema.items():
        out.append(prefix + k)
        if isinstance(v, dict):
            out += keys(v, f"{prefix}{k}.")
    return out


def _did_you_mean(key: str, known: list[str]) -> str:
    close = difflib.get_close_matches(key, known, n=1)
    return f"; did you mean {close[0]}?" if close else ""


def _template(schema: dict, dotted: str):
    """The shipped value of the key an override sets, or a ScenarioError saying why it sets none."""
    if dotted == "program":
        raise ScenarioError("program: cannot be overridden (the program is the scenario's; run another scenario)")
    node, parts = schema, dotted.split(".")
    for i, part in enumerate(parts):
        here = ".".join(parts[:i])
        if isinstance(node, list):
            raise ScenarioError(f"{dotted}: {here} is a list of {len(node)}, set whole: "
                                f"--set '{here}=[{', '.join(repr(v) for v in node)}]'")
        if not isinstance(node, dict):
            raise ScenarioError(f"{dotted}: {here} is {_kind(node)}, not a table")
        if part not in node:
            raise ScenarioError(f"{dotted}: unknown key{_did_you_mean(dotted, _leaves(schema))} "
                                "(see `gnc scenario --doc` for the keys)")
        node = node[part]
    if isinstance(node, dict):
        raise ScenarioError(f"{dotted}: a table of keys; set one of them, e.g. {dotted}.{next(iter(node))}")
    return node


def _at(schema: dict, dotted: str):
    for part in dotted.split("."):
        schema = schema[part]
    return schema
