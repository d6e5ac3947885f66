"""The whole mission from the package's default scenario: descent, surface stay, ascent
from where the lander came to rest, rendezvous and capture; its outputs; and the
validation of the new scenarios."""
import json

import numpy as np
import pytest

from gnc import output, programs, scenario
from gnc.programs.mission.run import run
from gnc.scenario import ScenarioError
from gnc.telemetry import Columns

PROGRESS = []


@pytest.fixture(scope="module")
def mission():
    return run(scenario.load("mission"), seed=0, progress=lambda x, status: PROGRESS.append((x, status)))


def test_progress_goes_through_every_phase_in_order(mission):
    fractions = [x for x, _ in PROGRESS]
    assert fractions == sorted(fractions) and 0.0 <= fractions[0] < 1 / 3 and 2 / 3 <= fractions[-1] <= 1.0
    phases = [status.split(":")[0] for _, status in PROGRESS]
    assert list(dict.fromkeys(phases)) == ["descent", "ascent", "rendezvous"], phases


def test_mission_completes_end_to_end(mission):
    s = mission.summary
    print(f"\n  [mission] {s['outcome']}; timeline (h from PDI) {s['timeline_h']}; wall {mission.wall_s}")
    assert s["outcome"] == "captured", s["failures"]
    for phase in ("descent", "surface", "ascent", "rendezvous"):
        assert s[phase] is not None
    t = s["timeline_h"]
    assert t["touchdown"] < t["liftoff"] < t["insertion"] < t["handover"] < t["capture"]
    assert set(s["propellant_kg"]) == {"lander", "ascender", "orbiter_returner"}


def test_ascent_starts_where_the_lander_came_to_rest(mission):
    s = mission.summary
    td, surface, site = s["descent"]["touchdown"], s["surface"], s["ascent"]["site"]
    assert site["lat_deg"] == pytest.approx(td["lat_deg"], abs=1e-9)
    assert site["lon_deg"] == pytest.approx(td["lon_deg"], abs=1e-9)
    assert site["elevation_m"] == pytest.approx(surface["ground_elevation_m"], abs=1e-6)
    # the surface attitude is the last telemetry row's, at most one flight-software step before
    # first contact: the body turns at most the touchdown rate limit times that step, 0.04 deg
    # (seeds 0-19 both ways: 0.0096 deg at worst; python bench/test_bounds.py mission)
    d = scenario.load(mission.scenario.phases.descent)
    turn = d.touchdown.max_rate_deg_s / d.sim.fsw_rate_hz
    assert surface["tilt_deg"] == pytest.approx(td["tilt_deg"], abs=turn)


def test_mission_outputs_are_written(mission, tmp_path):
    written = output.write_run(mission, tmp_path)
    for name in ("summary", "telemetry-descent", "telemetry-ascent", "telemetry-rendezvous", "ascent_profile",
                 "relative_trajectory", "range", "altitude", "mission_timeline"):
        assert written[name].exists(), name
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["rendezvous"]["capture"]["lateral_m"] == mission.summary["rendezvous"]["capture"]["lateral_m"]
    for phase, column in (("descent", "alt"), ("ascent", "alt"), ("rendezvous", "range")):
        tel = Columns(tmp_path / f"telemetry-{phase}.arrow")
        assert np.array_equal(tel[column], mission.telemetry[f"{phase}.{column}"], equal_nan=True), phase
    assert "CAPTURED" in programs.get("mission").report(mission.summary, mission.scenario)


def test_the_timeline_tiles_each_vehicles_time_and_burns_while_phasing(mission):
    from gnc.programs.mission.plots import lanes

    t = mission.summary["timeline_h"]
    segments, burns, end = lanes(mission.summary)
    assert list(segments) == ["lander", "ascender", "orbiter-returner"]
    starts = {"lander": 0.0, "ascender": t["touchdown"], "orbiter-returner": 0.0}
    for lane, spans in segments.items():
        # each vehicle's spans follow one another without gap or overlap, to the clock's end
        assert spans[0][0] == starts[lane] and spans[-1][1] == end, lane
        assert all(a[1] == b[0] for a, b in zip(spans, spans[1:])), lane
    # the ascender's four burns, in order, after insertion and before the hand-over
    assert [name for _, name, _ in burns] == ["B1", "B2", "B3", "B4"]
    times = [t_h for t_h, _, _ in burns]
    assert t["insertion"] < times[0] and times == sorted(times) and times[-1] < t["handover"]


@pytest.mark.parametrize("name, override, message", [
    ("ascent", "target.apolune_alt_m=10000.0", "target.apolune_alt_m"),
    ("rendezvous", "capture.min_closing_m_s=0.3", "capture.min_closing_m_s"),
    ("rendezvous", "guidance.hold_m=[100.0, 200.0]", "guidance.hold_m"),
    ("rendezvous", "sensors.radar.dropout=1.5", "sensors.radar.dropout"),
    ("mission", "surface.stay_s=-1.0", "surface.stay_s"),
])
def test_bad_scenario_values_are_refused_with_the_key(name, override, message):
    with pytest.raises(ScenarioError, match=message.replace(".", r"\.").replace("[", r"\[")):
        scenario.load(name, [override])


def test_a_mission_whose_lander_and_orbiter_fly_different_planes_is_refused(tmp_path):
    """One orbit from descent to capture (#17): the lander comes down from the orbiter's."""
    (tmp_path / "d.toml").write_text('base = "descent"\n[orbit]\ninclination_deg = 120.0\n')
    (tmp_path / "m.toml").write_text(f'base = "mission"\n[phases]\ndescent = "{tmp_path / "d.toml"}"\n')
    with pytest.raises(ScenarioError, match=r"orbit\.inclination_deg 120 differs .* target\.inclination_deg 137"):
        run(scenario.load(str(tmp_path / "m.toml")))
