"""--junit: the limits a run or a campaign judged, as JUnit XML read back the way a CI's test
reporter reads it (xml.etree).  Every check goes through the real `gnc` command; a limit is
forced to fail by a scenario override, a run is kept from its judging point by a short
`sim.max_duration_s` (no touchdown: cheap, and never judged)."""
import json
import os
import signal
import subprocess
import sys
import xml.etree.ElementTree as ET
from fractions import Fraction
from pathlib import Path

import pytest
import xmlschema
from junitparser import Error, Failure, JUnitXml, TestCase
from test_run_folder import SIGNAL_IN_CAMPAIGN

from gnc import junit
from gnc.cli import main
from gnc.montecarlo import Campaign
from gnc.scenario import load

ROOT = Path(__file__).resolve().parent.parent
SHORT = ["--set", "sim.max_duration_s=4"]        # ends 4 s after powered descent initiation
QUIET = ["--no-plots", "-q"]
DESCENT_CASES = 1 + len(junit.TOUCHDOWN) + 1        # outcome, each [touchdown] limit, not tipped
XUNIT2 = xmlschema.XMLSchema(str(Path(__file__).with_name("junit_xunit2.xsd")))


def read(path: Path) -> tuple[ET.Element, dict]:
    """(testsuites root, {suite: {case: (properties, "pass"|"failure"|"error", message)}}), the
    file first validated against the schema pytest writes and read by junitparser, which must
    see the same cases and verdicts."""
    XUNIT2.validate(str(path))
    root = ET.parse(path).getroot()
    assert root.tag == "testsuites"
    suites = {}
    for s in root.findall("testsuite"):
        cases = {}
        for c in s.findall("testcase"):
            verdict = [(e.tag, e.get("message")) for e in c if e.tag in ("failure", "error")]
            assert len(verdict) <= 1, verdict
            out = "".join(e.text or "" for e in c.findall("system-out"))
            props = dict(line.split(" = ", 1) for line in out.splitlines())
            cases[c.get("name")] = (props, *(verdict[0] if verdict else ("pass", None)))
        # the counts a reporter shows are those of the cases
        assert int(s.get("tests")) == len(cases)
        assert int(s.get("failures")) == sum(v[1] == "failure" for v in cases.values())
        assert int(s.get("errors")) == sum(v[1] == "error" for v in cases.values())
        suites[s.get("name")] = cases
    for key in ("tests", "failures", "errors"):
        assert int(root.get(key)) == sum(int(s.get(key)) for s in root.findall("testsuite"))
    parsed = {suite.name: {case.name: _verdict(case) for case in suite} for suite in JUnitXml.fromfile(str(path))}
    assert parsed == {name: {case: (v[1], v[2]) for case, v in cases.items()} for name, cases in suites.items()}
    return root, suites


def _verdict(case: TestCase) -> tuple[str, str | None]:
    """junitparser's view of a case: ("pass", None) or (its result's tag, message)."""
    if not case.result:
        return "pass", None
    [result] = case.result
    return {Failure: "failure", Error: "error"}.get(type(result), type(result).__name__), result.message


def _bad(capsys, argv, *must_contain) -> str:
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    for text in must_contain:
        assert text in lines[0], lines[0]
    return lines[0]


PYTEST_SAMPLE = """
import pytest

@pytest.fixture(scope="session", autouse=True)
def build(record_testsuite_property):
    record_testsuite_property("build", "numba")

def test_passes():
    print("value = 1")

def test_fails():
    assert 1 == 2

@pytest.fixture
def broken():
    raise RuntimeError("setup broke")

def test_errors(broken):
    pass

def test_skips():
    pytest.skip("not here")
"""


def _pytest_junit(tmp_path, extra: str, family: str) -> Path:
    """pytest's own JUnit XML of PYTEST_SAMPLE + extra, written with junit_family=family."""
    (tmp_path / "pytest.ini").write_text("[pytest]\n")          # not this project's options
    (tmp_path / "test_sample.py").write_text(PYTEST_SAMPLE + extra)
    xml = tmp_path / f"{family}.xml"
    subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist", "-c",
                    str(tmp_path / "pytest.ini"), "-o", f"junit_family={family}", "-o", "junit_logging=system-out",
                    f"--junitxml={xml}", str(tmp_path / "test_sample.py")], cwd=tmp_path, capture_output=True,
                   timeout=120)
    assert xml.exists()
    return xml


def test_the_schema_is_the_one_pytest_writes(tmp_path):
    """Calibration of tests/junit_xunit2.xsd: pytest's own file (a pass, a failure, an error,
    a skip, a suite property, captured output) is valid; a testcase property, which pytest's
    documentation says breaks the schema, is not, nor is the xunit1 family's file and line."""
    own = _pytest_junit(tmp_path, "", "xunit2")
    XUNIT2.validate(str(own))
    cases = {c.name: _verdict(c) for suite in JUnitXml.fromfile(str(own)) for c in suite}
    assert {k: v[0] for k, v in cases.items()} == {"test_passes": "pass", "test_fails": "failure",
                                                   "test_errors": "error", "test_skips": "Skipped"}
    with_property = _pytest_junit(tmp_path, "\ndef test_records(record_property):\n"
                                            "    record_property('value', 2.4)\n", "xunit2")
    assert not XUNIT2.is_valid(str(with_property))
    assert not XUNIT2.is_valid(str(_pytest_junit(tmp_path, "", "xunit1")))


def test_every_limit_of_the_shipped_scenarios_is_a_case():
    """A limit added to a scenario must reach the XML: the tables cover each section's keys."""
    assert {k for _, _, _, k in junit.TOUCHDOWN} == {f"touchdown.{k}" for k in load("descent").data["touchdown"]}
    assert {k for _, _, _, k in junit.INSERTION} == {f"target.{k}" for k in load("ascent").data["target"]
                                                     if k.startswith("max_")}
    assert {c[3] for c in junit.CAPTURE} == {f"capture.{k}" for k in load("rendezvous").data["capture"]}


def test_a_run_reports_each_limit_with_its_value_limit_and_margin(tmp_path):
    """A vertical speed limit of 0.1 m/s cannot be met: that case fails with its numbers, the
    others are judged as the program judged them, and `outcome` fails with the program's reasons."""
    out, xml = tmp_path / "run", tmp_path / "descent.xml"
    code = main(["run", "descent", "--out", str(out), "--junit", str(xml), "--set", "touchdown.max_vertical_m_s=0.1",
                 *QUIET])
    summary = json.loads((out / "summary.json").read_text())
    assert code == 1 and summary["outcome"] == "crashed"
    root, suites = read(xml)
    assert root.get("name") == "gnc run descent" and list(suites) == ["descent"]
    cases = suites["descent"]
    assert len(cases) == DESCENT_CASES
    td = summary["touchdown"]

    props, verdict, message = cases["touchdown.max_vertical_m_s"]
    value = td["vertical_speed_mps"]
    assert verdict == "failure"
    assert float(props["value"]) == pytest.approx(value, rel=1e-5) and props["limit"] == "<= 0.1"
    assert props["unit"] == "m/s" and float(props["margin"]) == pytest.approx(0.1 - value, rel=1e-5)
    assert "vertical speed" in message and "limit 0.1 m/s" in message and props["margin"] in message

    props, verdict, message = cases["touchdown.max_horizontal_m_s"]
    assert verdict == "pass" and message is None
    assert float(props["margin"]) == pytest.approx(0.5 - td["horizontal_speed_mps"], rel=1e-5)
    assert float(props["margin"]) > 0

    for key, _, _, limit_key in junit.TOUCHDOWN:          # each verdict is the judge's comparison
        props, verdict, _ = cases[limit_key]
        limit = load("descent").get(limit_key) if limit_key != "touchdown.max_vertical_m_s" else 0.1
        assert verdict == ("failure" if td[key] > limit else "pass"), limit_key
    _, verdict, message = cases["outcome"]
    assert verdict == "failure" and all(f in message for f in summary["failures"])


def test_a_run_without_a_touchdown_is_never_a_pass(tmp_path):
    xml = tmp_path / "short.xml"
    assert main(["run", "descent", "--out", str(tmp_path / "run"), "--junit", str(xml), *SHORT, *QUIET]) == 1
    _, suites = read(xml)
    cases = suites["descent"]
    assert cases["outcome"][1] == "failure" and "no_touchdown" in cases["outcome"][2]
    unjudged = {name: v for name, v in cases.items() if name != "outcome"}
    assert len(unjudged) == DESCENT_CASES - 1
    assert all(v[1] == "error" and "not judged" in v[2] and "foot pad" in v[2] for v in unjudged.values())


def test_the_mission_has_a_suite_per_leg_and_the_legs_not_flown_are_errors(tmp_path):
    short = tmp_path / "short_descent.toml"
    short.write_text('base = "descent"\n[sim]\nmax_duration_s = 4.0\n')
    xml = tmp_path / "mission.xml"
    code = main(["run", "mission", "--set", f'phases.descent="{short}"', "--out", str(tmp_path / "m"),
                 "--junit", str(xml), *QUIET])
    assert code == 1
    _, suites = read(xml)
    assert list(suites) == ["mission.descent", "mission.ascent", "mission.rendezvous", "mission"]
    assert suites["mission.descent"]["outcome"][1] == "failure"
    assert len(suites["mission.ascent"]) == 1 + len(junit.INSERTION)
    assert len(suites["mission.rendezvous"]) == 1 + len(junit.CAPTURE)
    for leg in ("mission.ascent", "mission.rendezvous"):
        assert all(v[1] == "error" and "not flown" in v[2] for v in suites[leg].values()), leg
    assert suites["mission"]["outcome"][1] == "failure" and "descent_failed" in suites["mission"]["outcome"][2]


def test_an_aborted_hil_session_gets_its_file_saying_aborted(tmp_path):
    """A board that goes silent ends the session (exit 3): every case is an error naming why."""
    xml = tmp_path / "hil.xml"
    code = main(["hil", "--stub", "descent", "--fault", "silent-after=50", "--silence-s", "0.5",
                 "--out", str(tmp_path / "hil"), "--junit", str(xml), *QUIET])
    assert code == 3
    root, suites = read(xml)
    assert root.get("name") == "gnc hil descent"
    cases = suites["descent"]
    assert len(cases) == DESCENT_CASES
    assert all(v[1] == "error" and "aborted" in v[2] and "silent" in v[2] for v in cases.values())


# gnc in a process that SIGTERMs itself (a CI timeout) as its flight starts
TERM_IN_FLIGHT = """
import os, subprocess, sys, time
import gnc.flight
real = gnc.flight.Flight.until
def until(self, *a, **k):
    subprocess.run(["kill", "-TERM", str(os.getpid())], check=True)
    time.sleep(5)   # the handler raises here, at the latest
    return real(self, *a, **k)
gnc.flight.Flight.until = until
from gnc.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_a_terminated_run_replaces_a_previous_file_with_one_saying_so(tmp_path):
    """A CI timeout must not leave the last run's passing file standing for this one."""
    xml = tmp_path / "reports" / "descent.xml"
    xml.parent.mkdir()
    xml.write_text("<testsuites tests='1' failures='0' errors='0'/>")
    p = subprocess.run([sys.executable, "-c", TERM_IN_FLIGHT, "run", "descent", "--out", str(tmp_path / "run"),
                        "--junit", str(xml), *QUIET], env=dict(os.environ, PYTHONPATH=str(ROOT)),
                       capture_output=True, text=True, timeout=600)
    assert p.returncode == 143 and "gnc: terminated" in p.stderr and "Traceback" not in p.stderr, p.stderr
    assert not (tmp_path / "run").exists()                  # as before --junit: no run folder
    _, suites = read(xml)
    assert len(suites["descent"]) == DESCENT_CASES
    assert all(v[1] == "error" and "terminated" in v[2] for v in suites["descent"].values())
    assert os.listdir(xml.parent) == [xml.name]              # no temporary file left beside it


def test_an_interrupted_campaign_judges_nothing(tmp_path):
    xml = tmp_path / "mc.xml"
    p = subprocess.run([sys.executable, "-c", SIGNAL_IN_CAMPAIGN, str(int(signal.SIGINT)), "montecarlo", "descent", "-n", "5000", "--jobs", "2",
                        "--out", str(tmp_path / "mc"), "--junit", str(xml), *SHORT, *QUIET],
                       env=dict(os.environ, PYTHONPATH=str(ROOT)), capture_output=True, text=True, timeout=600)
    assert p.returncode == 130 and "Traceback" not in p.stderr, p.stderr
    finished = len(json.loads((tmp_path / "mc" / "montecarlo.json").read_text())["runs"])
    _, suites = read(xml)
    cases = suites["descent.campaign"]
    assert len(cases) == 1 + len(junit.TOUCHDOWN) + 1
    assert all(v[1] == "error" and f"interrupted after {finished} of 5000 runs" in v[2] for v in cases.values())


def test_a_campaign_meets_its_threshold_or_fails_it(tmp_path):
    out, xml = tmp_path / "mc", tmp_path / "mc.xml"
    code = main(["montecarlo", "descent", "-n", "4", "--jobs", "2", "--min-success", "1.0", "--out", str(out),
                 "--junit", str(xml), *QUIET])
    doc = json.loads((out / "montecarlo.json").read_text())
    landed = doc["statistics"]["landed"]
    assert code == (0 if landed == 4 else 1)
    root, suites = read(xml)
    assert root.get("name") == "gnc montecarlo descent"
    cases = suites["descent.campaign"]
    assert len(cases) == 1 + len(junit.TOUCHDOWN) + 1
    props, verdict, _ = cases["campaign.min_success"]
    assert verdict == ("pass" if landed == 4 else "failure")
    assert Fraction(props["value"]) == Fraction(landed, 4) and props["limit"] == ">= 1"
    assert props.get("outcome.landed", "0") == str(landed)
    if landed == 4:                        # a landed run holds every limit
        assert all(v[1] == "pass" for v in cases.values())

    # the same runs against a vertical limit none of them met: each beyond it, the worst named
    sc = load("descent", ["touchdown.max_vertical_m_s=0.1"])
    c = Campaign(sc, 0, doc["runs"], 1.0, 2, requested=4)
    (suite,) = junit.campaign_suites(c, Fraction(1, 2))
    case = next(x for x in suite.cases if x.name == "touchdown.max_vertical_m_s")
    worst = max(doc["runs"], key=lambda r: r["touchdown"]["vertical_speed_mps"])
    assert case.failure is not None and case.properties["runs_beyond"] == "4"
    assert case.properties["worst_seed"] == str(worst["seed"])
    assert float(case.properties["margin"]) == pytest.approx(0.1 - worst["touchdown"]["vertical_speed_mps"], rel=1e-5)


@pytest.mark.parametrize("threshold, status, verdict", [("0.75", 1, "failure"), ("0", 0, "pass")])
def test_a_campaign_that_never_lands_fails_any_threshold_but_zero(tmp_path, threshold, status, verdict):
    xml = tmp_path / "mc.xml"
    code = main(["montecarlo", "descent", "-n", "4", "--jobs", "2", "--min-success", threshold,
                 "--out", str(tmp_path / "mc"), "--junit", str(xml), *SHORT, *QUIET])
    assert code == status
    _, suites = read(xml)
    props, got, message = suites["descent.campaign"]["campaign.min_success"]
    assert got == verdict and props["value"] == "0" and props["outcome.no_touchdown"] == "4"
    if verdict == "failure":
        assert "landed in 0 of 4 runs" in message and "75 % required" in message
        _, got, message = suites["descent.campaign"]["touchdown.max_vertical_m_s"]
        assert got == "failure" and "4 runs never reached the judging point" in message


@pytest.mark.parametrize("value, must", [
    ("1.5", "0 .. 1"), ("-0.1", "0 .. 1"), ("95", "95 % is 0.95"), ("abc", "expected a fraction"),
    ("nan", "expected a fraction"), ("", "expected a fraction"),
])
def test_a_bad_min_success_is_refused_in_one_line(tmp_path, capsys, value, must):
    xml = tmp_path / "mc.xml"
    _bad(capsys, ["montecarlo", "descent", "-n", "4", "--min-success", value, "--out", str(tmp_path / "mc"),
                  "--junit", str(xml)], "--min-success", must)
    assert not xml.exists()


@pytest.mark.parametrize("command", [["run"], ["montecarlo", "-n", "2"], ["hil", "--stub"]], ids=lambda c: c[0])
def test_a_junit_path_inside_the_run_folder_or_a_directory_is_refused(tmp_path, capsys, command):
    out = tmp_path / "run"
    _bad(capsys, [*command, "descent", "--out", str(out), "--junit", str(out / "r.xml")], "inside --out", "beside")
    _bad(capsys, [*command, "descent", "--out", str(out), "--junit", str(tmp_path)], "is a directory")
    assert not out.exists()


@pytest.mark.parametrize("argv", [["run", "--help"], ["montecarlo", "--help"], ["hil", "--help"]])
def test_help_explains_junit(argv, capsys):
    assert main(argv) == 0
    text = capsys.readouterr().out
    assert "--junit PATH" in text and "docs/junit.md" in text
    if argv[0] == "montecarlo":
        assert "--min-success FRACTION" in text and "default: 1, every run" in text
