"""The `gnc` command line: one-line errors with exit status 2 for every kind of bad
input, and a real run and campaign writing their outputs."""
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from pngs import PNG_MAGIC, blank_png_bytes

from gnc.cli import main, scenario_reference
from gnc.scenario import shipped
from gnc.telemetry import Columns

ROOT = Path(__file__).resolve().parent.parent


def _bad(capsys, argv, *must_contain):
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    for text in must_contain:
        assert text in lines[0], lines[0]
    return lines[0]


def _write(tmp_path, text, name="s.toml"):
    p = tmp_path / name
    p.write_text(text)
    return str(p)


def test_unknown_key_in_a_file(tmp_path, capsys):
    f = _write(tmp_path, 'base = "descent"\n[guidance]\nhover_tme_s = 3\n')
    _bad(capsys, ["run", f, "--out", str(tmp_path / "o")], "guidance.hover_tme_s", "unknown key", "hover_time_s")


def test_unknown_key_on_the_command_line(tmp_path, capsys):
    _bad(capsys, ["run", "descent", "--set", "engine.thrust=5", "--out", str(tmp_path)], "engine.thrust", "unknown key")


# every command loads its scenario through gnc.scenario.load: each bad --set is one line there
SET_COMMANDS = [["run"], ["montecarlo", "-n", "2"], ["hil", "--stub"]]


@pytest.mark.parametrize("command", SET_COMMANDS, ids=lambda c: c[0])
@pytest.mark.parametrize("override, must", [
    ("guidance.hover_time_s.x=1", ["guidance.hover_time_s", "is a number, not a table"]),
    ("engine.misalignment_deg.0=1", ["engine.misalignment_deg", "a list", "engine.misalignment_deg=["]),
    ("guidance=1", ["guidance", "a table of keys", "e.g. guidance."]),
    ("guidance.hover_tme_s=3", ["guidance.hover_tme_s", "unknown key", "did you mean guidance.hover_time_s"]),
    ("guidanse.hover_time_s=3", ["guidanse.hover_time_s", "did you mean guidance.hover_time_s"]),
    ("program=ascent", ["program", "cannot be overridden"]),
])
def test_no_set_path_or_value_gives_a_traceback(tmp_path, capsys, command, override, must):
    _bad(capsys, command + ["descent", "--set", override, "--out", str(tmp_path / "o")], *must)


def test_did_you_mean_in_a_file_too(tmp_path, capsys):
    f = _write(tmp_path, 'base = "descent"\n[guidance]\nhover_tme_s = 3\n')
    _bad(capsys, ["run", f, "--out", str(tmp_path / "o")], "did you mean guidance.hover_time_s")


def test_wrong_type(tmp_path, capsys):
    f = _write(tmp_path, 'base = "descent"\n[engine]\nthrust_max_n = "lots"\n')
    _bad(capsys, ["run", f, "--out", str(tmp_path / "o")], "engine.thrust_max_n", "expected a number", "string")


def test_out_of_range_value(tmp_path, capsys):
    _bad(capsys, ["run", "descent", "--set", "sensors.camera.dropout=1.5", "--out", str(tmp_path)],
         "sensors.camera.dropout", "out of range", "0 .. 1")


def test_inconsistent_values(tmp_path, capsys):
    _bad(capsys, ["run", "descent", "--set", "engine.thrust_min_n=9000", "--out", str(tmp_path)],
         "engine.thrust_min_n", "engine.thrust_max_n")


def test_missing_file(tmp_path, capsys):
    _bad(capsys, ["run", str(tmp_path / "nope.toml")], "not found", "nope.toml")


def test_bad_toml(tmp_path, capsys):
    f = _write(tmp_path, 'base = "descent"\n[guidance\nhover_time_s = 3\n')
    _bad(capsys, ["run", f, "--out", str(tmp_path / "o")], "bad TOML")


def test_unknown_base(tmp_path, capsys):
    f = _write(tmp_path, 'base = "mars"\n')
    _bad(capsys, ["run", f, "--out", str(tmp_path / "o")], "base", "mars")


def test_a_base_chain_of_files_merges_in_order(tmp_path):
    from gnc.scenario import load
    _write(tmp_path, 'base = "rough"\n[guidance]\nhover_time_s = 9.0\n', "parent.toml")
    child = _write(tmp_path, 'base = "parent.toml"\n[guidance]\navoid_time_s = 31.0\n', "child.toml")
    sc = load(child)
    assert sc.program == "descent"
    assert sc.guidance.hover_time_s == 9.0 and sc.guidance.avoid_time_s == 31.0
    assert sc.terrain.rock_abundance == load("rough").terrain.rock_abundance


def test_a_base_loop_is_refused(tmp_path, capsys):
    _write(tmp_path, 'base = "b.toml"\n', "a.toml")
    b = _write(tmp_path, 'base = "a.toml"\n', "b.toml")
    _bad(capsys, ["run", b, "--out", str(tmp_path / "o")], "base")


def test_bad_seed(capsys):
    _bad(capsys, ["run", "descent", "--seed", "-3"], "--seed")


def test_unwritable_output_directory(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    _bad(capsys, ["run", "descent", "--out", str(blocker / "sub")], "--out")


def test_errors_are_one_line_from_a_new_process_too(tmp_path):
    p = subprocess.run([sys.executable, "-m", "gnc.cli", "run", "descent", "--set", "guidance.hover_time_s=-1",
                        "--out", str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert p.returncode == 2
    assert p.stderr.count("\n") == 1 and "guidance.hover_time_s" in p.stderr and "Traceback" not in p.stderr


def test_run_writes_summary_telemetry_and_plots(tmp_path, capsys):
    out = tmp_path / "run"
    code = main(["run", "descent", "--seed", "1", "--out", str(out)])
    printed = capsys.readouterr().out
    summary = json.loads((out / "summary.json").read_text())
    assert code == (0 if summary["outcome"] == "landed" else 1)
    for key in ("outcome", "duration_s", "propellant_used_kg", "touchdown", "phases", "seed", "scenario"):
        assert key in summary
    for key in ("vertical_speed_mps", "horizontal_speed_mps", "tilt_deg", "rate_dps", "distance_to_target_m",
                "lat_deg", "lon_deg"):
        assert key in summary["touchdown"]
    assert all({"name", "start_s", "end_s"} <= set(p) for p in summary["phases"])
    assert summary["seed"] == 1 and summary["scenario"] == "descent"
    tel = Columns(out / "telemetry.arrow")
    columns = list(tel)
    assert {"t", "alt", "af.thrust_cmd", "af.nav_pos[0]", "sf.alt_range", "nav_sig_pos_u"} <= set(columns)
    assert len({len(tel[c]) for c in columns}) == 1 and len(tel["t"]) > 1000     # 50 Hz over >= 12 min: ~44,000
    for name in ("altitude", "speeds", "throttle", "attitude", "ground_track", "propellant", "nav_error"):
        data = (out / f"{name}.png").read_bytes()
        assert data.startswith(PNG_MAGIC) and len(data) > 2 * blank_png_bytes(data), name
    assert summary["outcome"].upper() in printed


@pytest.mark.parametrize("processes", ["2", "1"])
def test_run_draws_the_same_plots_in_workers_and_in_process(tmp_path, processes):
    """The console command as typed, its plots drawn by two worker processes (gnc.plotworkers)
    or in its own: every PNG in the folder when it returns, each a drawn figure, listed in
    the program's order."""
    out = tmp_path / "run"
    p = subprocess.run([sys.executable, "-m", "gnc.cli", "run", "descent", "--out", str(out)],
                       capture_output=True, text=True, timeout=600, env={**os.environ, "GNC_PLOT_PROCESSES": processes})
    assert p.returncode == 0, p.stderr
    names = ["altitude", "speeds", "throttle", "attitude", "ground_track", "propellant", "nav_error",
             "regional_map", "safety_map"]
    listed = p.stdout.strip().splitlines()[-1].split(": ", 1)[1].split()
    assert listed == ["telemetry.arrow", *(f"{n}.png" for n in names), "run.json", "report.html", "summary.json"]
    assert sorted(f.name for f in out.iterdir()) == sorted(listed)
    for name in names:
        data = (out / f"{name}.png").read_bytes()
        assert data.startswith(PNG_MAGIC) and len(data) > 2 * blank_png_bytes(data), name
    assert not list(tmp_path.glob(".run.*"))                    # no temporary folder left beside it


def test_montecarlo_writes_statistics_and_plots(tmp_path, capsys):
    out = tmp_path / "mc"
    code = main(["montecarlo", "descent", "-n", "6", "--seed", "3", "--jobs", "2", "--out", str(out)])
    doc = json.loads((out / "montecarlo.json").read_text())
    assert doc["statistics"]["runs"] == 6 and len(doc["runs"]) == 6
    assert code == (0 if doc["statistics"]["landed"] == 6 else 1)
    assert len({r["seed"] for r in doc["runs"]}) == 6
    for name in ("dispersion", "touchdown_limits", "sensitivity"):
        data = (out / f"{name}.png").read_bytes()
        assert data.startswith(PNG_MAGIC) and len(data) > 2 * blank_png_bytes(data), name
    assert (out / "report.html").read_text().count('<img src="data:image/png;base64,') == 3
    assert "landed" in capsys.readouterr().out


def test_montecarlo_keeps_the_first_failed_runs_with_the_telemetry_gnc_run_writes(tmp_path, capsys):
    """A campaign flies without telemetry; the first --keep-failed runs that fail are flown again
    into failed/SEED/, and each is the folder `gnc run --seed SEED --disperse` writes: the same
    telemetry bytes and the campaign's own outcome and propellant.  A vertical-speed limit under
    every touchdown's (~2.5 m/s) makes all 3 runs fail."""
    out, limit = tmp_path / "mc", "touchdown.max_vertical_m_s=1.0"
    code = main(["montecarlo", "descent", "-n", "3", "--seed", "5", "--jobs", "2", "--set", limit,
                 "--keep-failed", "2", "--no-plots", "--out", str(out)])
    assert code == 1
    doc = json.loads((out / "montecarlo.json").read_text())
    failed = [r for r in doc["runs"] if r["outcome"] != "landed"]
    assert len(failed) == 3
    assert doc["failed_kept"] == [r["seed"] for r in failed[:2]]
    assert sorted(p.name for p in (out / "failed").iterdir()) == sorted(str(r["seed"]) for r in failed[:2])
    for r in failed[:2]:
        kept = out / "failed" / str(r["seed"])
        s = json.loads((kept / "summary.json").read_text())
        assert (s["outcome"], s["propellant_used_kg"]) == (r["outcome"], r["propellant_used_kg"])
        record = json.loads((kept / "run.json").read_text())
        assert (record["seed"], record["disperse"]) == (r["seed"], True)
    page = (out / "report.html").read_text()
    assert all(f'href="failed/{r["seed"]}/report.html"' in page for r in failed[:2])
    assert f'href="failed/{failed[2]["seed"]}/' not in page
    alone = tmp_path / "alone"
    seed = failed[0]["seed"]
    main(["run", "descent", "--seed", str(seed), "--disperse", "--set", limit, "--no-plots", "-q", "--out", str(alone)])
    assert (alone / "telemetry.arrow").read_bytes() == (out / "failed" / str(seed) / "telemetry.arrow").read_bytes()
    capsys.readouterr()
    _bad(capsys, ["montecarlo", "descent", "--keep-failed", "-1", "--out", str(tmp_path / "x")], "--keep-failed")


def test_scenario_prints_a_shipped_file_and_refuses_others(capsys):
    assert main(["scenario", "descent"]) == 0
    assert capsys.readouterr().out == (ROOT / "gnc" / "scenarios" / "descent.toml").read_text()
    _bad(capsys, ["scenario", "mars"], "mars", "descent")


def test_scenario_doc_is_current():
    assert (ROOT / "docs" / "scenario.md").read_text() == scenario_reference(shipped()), \
        "docs/scenario.md is stale: gnc scenario --doc > docs/scenario.md"


@pytest.mark.parametrize("argv", [["--help"], ["run", "--help"], ["montecarlo", "--help"], ["hil", "--help"],
                                  ["scenario", "--help"]])
def test_help_explains(argv, capsys):
    assert main(argv) == 0
    assert "usage:" in capsys.readouterr().out


@pytest.mark.parametrize("name", ["descent", "ascent", "rendezvous", "mission"])
def test_a_scenario_pickles_as_a_dask_worker_receives_it(name):
    import pickle

    from gnc.scenario import load
    sc = load(name, ["sim.fsw_rate_hz=50"] if name == "descent" else [])
    back = pickle.loads(pickle.dumps(sc))
    assert back == sc and back.data == sc.data
    section = next(k for k, v in sc.data.items() if isinstance(v, dict))
    assert vars(getattr(back, section)) == vars(getattr(sc, section))
    with pytest.raises(AttributeError):
        back.no_such_section


def test_montecarlo_refuses_a_program_without_a_campaign(capsys):
    from gnc import programs
    refused = [n for n in programs.NAMES if not programs.get(n).campaign]
    assert refused, "every program has a campaign: this test has nothing left to check"
    for name in refused:
        _bad(capsys, ["montecarlo", name, "-n", "2"], name, "no campaign")


def test_every_program_of_the_registry_has_its_parts_and_a_shipped_scenario():
    from gnc import programs
    from gnc.scenario import load
    for name in programs.NAMES:
        p = programs.get(name)
        assert load(name).program == name
        assert callable(p.part("run").run) and callable(p.part("report").report) and callable(p.part("plots").plot)
        assert p.plot_names and len(set(p.plot_names)) == len(p.plot_names)
        if p.campaign:
            assert all(callable(getattr(p.part("campaign"), f)) for f in ("fly_one", "statistics", "report", "plots"))
    with pytest.raises(ValueError, match="not a flight program"):
        programs.get("abort")


@pytest.mark.parametrize("name", ["descent", "ascent"])
def test_progress_is_reported_and_changes_nothing(name):
    from gnc import programs
    from gnc.scenario import load
    sc, p = load(name), programs.get(name)
    seen = []
    with_bar = p.run(sc, seed=2, progress=lambda x, status: seen.append((x, status)))
    without = p.run(sc, seed=2)
    fractions = [x for x, _ in seen]
    assert len(seen) >= 2 and fractions == sorted(fractions) and 0.0 < fractions[-1] <= 1.0
    assert all("altitude" in status for _, status in seen)
    assert json.dumps(with_bar.summary, sort_keys=True) == json.dumps(without.summary, sort_keys=True)
    assert all(np.array_equal(with_bar.telemetry[c], without.telemetry[c], equal_nan=True) for c in without.telemetry)
