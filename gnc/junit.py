"""A run's or a campaign's judged limits as JUnit XML, for the test reporters of users' CI
(Jenkins, GitLab, GitHub actions): `--junit PATH` on gnc run, gnc hil and gnc montecarlo.

The cases come from the summary the program wrote (summary.json, montecarlo.json) and the
scenario's limits, compared as the program's judge compares them (the capture's verdict is
the mechanism's own, summary capture.refused_for): a case fails when the judge failed it.
Every limit is a testcase named after its scenario key (`touchdown.max_vertical_m_s`), with
its value, limit, unit and margin (distance to the limit in the value's unit, positive
inside) as `name = value` lines of its system-out and in the failure message.  The file is
the schema pytest writes (junit_family xunit2, its default, which has no testcase
properties): tests/junit_xunit2.xsd.  Each suite also has an `outcome` case
that fails exactly when the program's outcome is not its success, so a suite passes only
when the program succeeded.

A limit never judged (no touchdown, no insertion, no contact, a mission leg not flown, an
aborted HIL session, an interrupted command) is an <error> saying why, never a pass.  The
case names of a program are the same whatever happened, so CI history lines up run to run.

    <testsuites name="gnc run descent" tests= failures= errors= time=>
      <testsuite name="descent" tests= failures= errors= skipped="0" time= timestamp=>
        <properties><property name="seed" value="0"/> ...</properties>
        <testcase classname="descent" name="touchdown.max_vertical_m_s" time="0">
          <failure type="limit" message="vertical speed 2.4 m/s > limit 0.1 m/s (margin -2.3 m/s)">...</failure>
          <system-out>value = 2.4 \n limit = <= 0.1 \n unit = m/s \n margin = -2.3 ...</system-out>

Standard library and the program registry only (no numba): the CLI checks --junit first.
"""
from __future__ import annotations

import os
import signal
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import datetime, timezone
from fractions import Fraction
from pathlib import Path
from typing import Callable

from gnc import programs  # the registry imports no numba

# (summary key, label, unit, scenario limit key): the descent's judge (gnc.programs.descent.run.judge)
# fails a touchdown when the value is above the limit
TOUCHDOWN = (
    ("vertical_speed_mps", "vertical speed", "m/s", "touchdown.max_vertical_m_s"),
    ("horizontal_speed_mps", "horizontal speed", "m/s", "touchdown.max_horizontal_m_s"),
    ("tilt_deg", "tilt", "deg", "touchdown.max_tilt_deg"),
    ("rate_dps", "body rate", "deg/s", "touchdown.max_rate_deg_s"),
    ("slope_deg", "ground slope", "deg", "touchdown.max_slope_deg"),
    ("max_rock_m", "tallest rock", "m", "touchdown.max_rock_m"),
)
TIPPED = "touchdown.not_tipped"       # the judge's one limit without a scenario key
# (insertion error key, label, unit, scenario limit key): the ascent fails |error| above the limit
INSERTION = (
    ("a_m", "semi-major axis error", "m", "target.max_sma_error_m"),
    ("i_deg", "inclination error", "deg", "target.max_inc_error_deg"),
)
# (capture key, label, unit, scenario limit key, envelope key, margin key, refusal name, bound):
# the verdict is the capture mechanism's (summary capture.refused_for); bound "max" or "min"
CAPTURE = (
    ("lateral_m", "lateral offset", "m", "capture.max_lateral_m", "max_lateral_m", "lateral",
     "lateral offset", "max"),
    ("closing_mps", "closing speed", "m/s", "capture.min_closing_m_s", ("closing_mps", 0), "closing",
     "closing too slow", "min"),
    ("closing_mps", "closing speed", "m/s", "capture.max_closing_m_s", ("closing_mps", 1), "closing",
     "closing too fast", "max"),
    ("lateral_rate_mps", "lateral speed", "m/s", "capture.max_lateral_rate_m_s", "max_lateral_rate_mps",
     "lateral_rate", "lateral speed", "max"),
    ("attitude_deg", "relative attitude", "deg", "capture.max_attitude_deg", "max_attitude_deg", "attitude",
     "relative attitude", "max"),
    ("rate_deg_s", "relative rate", "deg/s", "capture.max_rate_deg_s", "max_rate_deg_s", "rate",
     "relative rate", "max"),
)
LEGS = ("descent", "ascent", "rendezvous")        # the mission's, in flight order


@dataclass
class Case:
    name: str
    properties: dict[str, str] = field(default_factory=dict)
    failure: tuple[str, str] | None = None      # (type, message)
    error: tuple[str, str] | None = None


@dataclass
class Suite:
    name: str
    cases: list[Case]
    properties: dict[str, str] = field(default_factory=dict)
    time_s: float = 0.0


def num(x) -> str:
    return "n/a" if x is None else f"{x:.6g}"


# ---------------------------------------------------------------- one run

def _limit(name: str, label: str, unit: str, value: float, bound: str, limit: float, passed: bool,
           **extra: str) -> Case:
    """A judged limit: passed is the program's verdict; margin is the distance to the limit,
    positive inside."""
    margin = limit - value if bound == "max" else value - limit
    sign = "<=" if bound == "max" else ">="
    props = {"value": num(value), "limit": f"{sign} {num(limit)}", "unit": unit, "margin": num(margin), **extra}
    case = Case(name, props)
    if not passed:
        beyond = ">" if bound == "max" else "<"
        case.failure = ("limit", f"{label} {num(value)} {unit} {beyond} limit {num(limit)} {unit} "
                                 f"(margin {num(margin)} {unit})")
    return case


def _unjudged(name: str, why: str, limit: str | None = None) -> Case:
    return Case(name, {} if limit is None else {"limit": limit}, error=("not_judged", f"not judged: {why}"))


def _outcome(s: dict, success: str, halt: str | None) -> Case:
    case = Case("outcome", {"outcome": s["outcome"] if s else "none", "expected": success})
    if halt is not None:
        case.error = ("not_judged", halt)
    elif s["outcome"] != success:
        case.failure = (s["outcome"], f"{s['outcome']}, not {success}: " + "; ".join(s.get("failures") or ["-"]))
    return case


def descent_cases(s: dict | None, sc, halt: str | None = None) -> list[Case]:
    """The outcome and every [touchdown] limit of a descent summary s flown with scenario sc;
    halt: why the leg never reached its judging point (every case an error)."""
    cases = [_outcome(s, _success("descent"), halt)]
    td = None if s is None else s.get("touchdown")
    why = halt or ("; ".join(s["failures"]) if td is None else None)
    for key, label, unit, limit_key in TOUCHDOWN:
        limit = None if sc is None else sc.get(limit_key)
        if why is not None:
            cases.append(_unjudged(limit_key, why, None if limit is None else f"<= {num(limit)}"))
        else:
            cases.append(_limit(limit_key, label, unit, td[key], "max", limit, not td[key] > limit))
    if why is not None:
        cases.append(_unjudged(TIPPED, why))
    else:
        case = Case(TIPPED, {"tipped": _text(bool(td.get("tipped")))})
        if td.get("tipped"):
            case.failure = ("limit", "tipped over on the ground it touched")
        cases.append(case)
    return cases


def ascent_cases(s: dict | None, sc, halt: str | None = None) -> list[Case]:
    """The outcome and the [target] insertion limits of an ascent summary (judged only when
    the ascent reached an insertion: inserted or off_target)."""
    cases = [_outcome(s, _success("ascent"), halt)]
    why = halt or (None if s["outcome"] in ("inserted", "off_target") else
                   f"no insertion ({s['outcome']}: {'; '.join(s['failures'])})")
    for key, label, unit, limit_key in INSERTION:
        limit = None if sc is None else sc.get(limit_key)
        if why is not None:
            cases.append(_unjudged(limit_key, why, None if limit is None else f"<= {num(limit)}"))
        else:
            error = abs(s["insertion"]["errors"][key])
            cases.append(_limit(limit_key, f"|{label}|", unit, error, "max", limit, not error > limit))
    return cases


def rendezvous_cases(s: dict | None, sc=None, halt: str | None = None) -> list[Case]:
    """The outcome and the [capture] envelope of a rendezvous summary, each limit failed
    exactly when the capture mechanism refused for it."""
    cases = [_outcome(s, _success("rendezvous"), halt)]
    cap = None if s is None else s.get("capture")
    why = halt or ("; ".join(s["failures"]) if cap is None else None)
    for key, label, unit, limit_key, env_key, margin_key, refusal, bound in CAPTURE:
        if why is not None:
            cases.append(_unjudged(limit_key, why))
            continue
        env = cap["envelope"]
        limit = env[env_key[0]][env_key[1]] if isinstance(env_key, tuple) else env[env_key]
        cases.append(_limit(limit_key, label, unit, cap[key], bound, limit, refusal not in cap["refused_for"],
                            margin_fraction=num(cap["margins"][margin_key])))
    return cases


BUILDERS: dict[str, Callable] = {"descent": descent_cases, "ascent": ascent_cases, "rendezvous": rendezvous_cases}


def _abort(summary: dict) -> str | None:
    hil = summary.get("hil") or {}
    if summary.get("outcome") == "aborted":
        return f"HIL session aborted: {hil.get('abort_reason') or '; '.join(summary.get('failures', []))}"
    return None


def _suite(name: str, cases: list[Case], props: dict, time_s: float = 0.0) -> Suite:
    return Suite(name, cases, {k: _text(v) for k, v in props.items() if v is not None}, time_s)


def _text(v) -> str:
    return str(v).lower() if isinstance(v, bool) else str(v)     # XML and JSON spell true, not True


def run_suites(result, time_s: float = 0.0, properties: dict | None = None) -> list[Suite]:
    """The suites of one flown run (a program's result: .scenario, .summary, and the mission's
    .phases): one per program, the mission one per leg and one for its outcome."""
    sc, s = result.scenario, result.summary
    props = {"program": sc.program, "scenario": sc.name, "seed": s.get("seed"), "dispersed": s.get("dispersed"),
             "overrides": " ".join(sc.overrides) or None, "outcome": s["outcome"], **(properties or {})}
    halt = _abort(s)
    if sc.program != "mission":
        build = BUILDERS.get(sc.program)
        if build is None:       # a program this module does not know yet: its outcome at least
            return [_suite(sc.name, [_outcome(s, _success(sc.program), halt)], props, time_s)]
        return [_suite(sc.name, build(s, sc, halt), props, time_s)]
    phases = getattr(result, "phases", {})
    flown = [leg for leg in LEGS if s.get(leg)]
    suites = []
    for leg in LEGS:
        leg_s = s.get(leg)
        leg_sc = phases[leg].scenario if leg in phases else None
        if leg_s is None:
            why = halt or f"the leg was not flown (the mission ended {s['outcome']})"
        else:
            why = halt if halt and leg == flown[-1] else None    # the leg the session was flying
        leg_props = {**props, "scenario": leg_sc.name if leg_sc else None,
                     "outcome": leg_s["outcome"] if leg_s else "not_flown"}
        suites.append(_suite(f"{sc.name}.{leg}", BUILDERS[leg](leg_s, leg_sc, why), leg_props,
                             (s.get("wall_s") or {}).get(leg, 0.0)))
    # the legs carry the time: reporters add up the suites'
    suites.append(_suite(sc.name, [_outcome(s, _success("mission"), halt)], props))
    return suites


def _success(program: str) -> str:
    return programs.get(program).success


def unjudged_suites(sc, why: str, time_s: float = 0.0, properties: dict | None = None) -> list[Suite]:
    """The suites of a run of scenario sc that ended before its judging point (interrupted,
    no board answered, crashed): every case an error saying why."""
    props = {"program": sc.program, "scenario": sc.name, "outcome": "not_judged", **(properties or {})}
    if sc.program == "mission":
        suites = [_suite(f"{sc.name}.{leg}", BUILDERS[leg](None, None, why), props) for leg in LEGS]
        return suites + [_suite(sc.name, [_outcome(None, _success("mission"), why)], props, time_s)]
    build = BUILDERS.get(sc.program)
    cases = build(None, sc, why) if build else [_outcome(None, _success(sc.program), why)]
    return [_suite(sc.name, cases, props, time_s)]


# ---------------------------------------------------------------- a campaign

def _within_descent(run: dict, limit_key: str, limit: float | None):
    """(value or None when not judged, within?) of one campaign run against one limit."""
    td = run.get("touchdown")
    if td is None:
        return None, False
    if limit_key == TIPPED:
        return float(bool(td.get("tipped"))), not td.get("tipped")
    key = next(k for k, _, _, lk in TOUCHDOWN if lk == limit_key)
    return td[key], not td[key] > limit


def campaign_suites(c, min_success: Fraction, properties: dict | None = None) -> list[Suite]:
    """The suite of a campaign (gnc.montecarlo.Campaign): the success rate against
    min_success, and each limit held in at least min_success of the runs (a run that never
    reached its judging point does not hold it).  A landed or captured run holds every
    limit, so the limits pass whenever the success rate does.  An interrupted campaign
    judges nothing: every case an error."""
    sc, program = c.scenario, c.scenario.program
    runs, success = c.runs, _success(program)
    n = len(runs)
    outcomes: dict[str, int] = {}
    for r in runs:
        outcomes[r["outcome"]] = outcomes.get(r["outcome"], 0) + 1
    props = {"program": program, "scenario": sc.name, "campaign_seed": c.seed, "runs": n,
             "runs_requested": c.requested, "min_success": num(float(min_success)), "fsw": c.fsw,
             "overrides": " ".join(sc.overrides) or None, **{f"outcome.{k}": v for k, v in sorted(outcomes.items())},
             **(properties or {})}
    if c.interrupted:
        why = f"the campaign was interrupted after {n} of {c.requested} runs"
        return unjudged_campaign(sc, why, c.wall_s, props)
    good, rate = outcomes.get(success, 0), c.success_fraction()
    case = Case("campaign.min_success", {"value": num(float(rate)), "limit": f">= {num(float(min_success))}",
                                         "unit": "fraction of runs", "margin": num(float(rate - min_success)),
                                         "runs": str(n),
                                         **{f"outcome.{k}": str(v) for k, v in sorted(outcomes.items())}})
    if rate < min_success:
        failed = [str(r["seed"]) for r in runs if r["outcome"] != success]
        case.failure = ("limit", f"{success} in {good} of {n} runs = {100 * float(rate):.1f} % < "
                                 f"{100 * float(min_success):.4g} % required (--min-success); failed run seeds: "
                                 f"{', '.join(failed[:20])}{' ...' if len(failed) > 20 else ''}")
    cases = [case] + [_held(runs, min_success, *limit) for limit in _campaign_limits(program, sc)]
    return [_suite(f"{sc.name}.campaign", cases, props, c.wall_s)]


def _held(runs: list[dict], min_success: Fraction, name: str, label: str, unit: str, bound: str,
          limit: float | None, judged) -> Case:
    """The case of one limit over a campaign's runs: held in at least min_success of them,
    with the worst value, its seed and its margin."""
    n = len(runs)
    values, beyond, unjudged = [], [], 0
    for r in runs:
        value, ok = judged(r, name, limit)
        if value is None:
            unjudged += 1
            continue
        values.append((value, r["seed"]))
        if not ok:
            beyond.append(r["seed"])
    within = n - len(beyond) - unjudged
    worst = (max(values) if bound == "max" else min(values)) if values else None
    props = {"runs_within": str(within), "runs_beyond": str(len(beyond)), "runs_not_judged": str(unjudged),
             "fraction_within": num(within / n), "unit": unit}
    if limit is not None:
        props["limit"] = f"{'<=' if bound == 'max' else '>='} {num(limit)}"
    if worst is not None:
        props["worst"], props["worst_seed"] = num(worst[0]), str(worst[1])
        if limit is not None:
            props["margin"] = num(limit - worst[0] if bound == "max" else worst[0] - limit)
    case = Case(name, props)
    if Fraction(within, n) < min_success:
        parts = [f"{label} held in {within} of {n} runs = {100 * within / n:.1f} % < "
                 f"{100 * float(min_success):.4g} % required"]
        if beyond:
            parts.append(f"beyond the limit at seeds {', '.join(map(str, beyond[:20]))}"
                         + (f" (worst {num(worst[0])} {unit}, margin {props['margin']} {unit})"
                            if limit is not None else ""))
        if unjudged:
            parts.append(f"{unjudged} runs never reached the judging point")
        case.failure = ("limit", "; ".join(parts))
    return case


def _campaign_limits(program: str, sc):
    """(case name, label, unit, bound, limit, judged(run, name, limit) -> (value, within)) of a
    campaign's program."""
    if program == "descent":
        out = [(lk, label, unit, "max", sc.get(lk), _within_descent) for _, label, unit, lk in TOUCHDOWN]
        return out + [(TIPPED, "upright", "tipped runs", "max", None, _within_descent)]
    if program == "rendezvous":
        out = []
        for key, label, unit, limit_key, _, _, refusal, bound in CAPTURE:
            def judged(run, name, limit, key=key, refusal=refusal):
                cap = run.get("capture")
                return (None, False) if cap is None else (cap[key], refusal not in cap["refused_for"])
            out.append((limit_key, label, unit, bound, sc.get(limit_key), judged))
        return out
    return []


def unjudged_campaign(sc, why: str, time_s: float = 0.0, properties: dict | None = None) -> list[Suite]:
    """A campaign that judged nothing (interrupted, failed to start): every case an error."""
    names = ["campaign.min_success"] + [name for name, *_ in _campaign_limits(sc.program, sc)]
    props = {"program": sc.program, "scenario": sc.name, **(properties or {})}
    return [_suite(f"{sc.name}.campaign", [_unjudged(name, why) for name in names], props, time_s)]


# ---------------------------------------------------------------- the file

def to_xml(title: str, suites: list[Suite], timestamp: str | None = None, time_s: float | None = None) -> bytes:
    """The JUnit XML document of these suites (the schema Jenkins, GitLab and GitHub's
    reporters read); time_s: the command's, default the suites' sum."""
    root = ET.Element("testsuites", name=title)
    totals = {"tests": 0, "failures": 0, "errors": 0}
    total_time = 0.0
    for s in suites:
        failures = sum(c.failure is not None for c in s.cases)
        errors = sum(c.error is not None for c in s.cases)
        el = ET.SubElement(root, "testsuite", name=s.name, tests=str(len(s.cases)), failures=str(failures),
                           errors=str(errors), skipped="0", time=f"{s.time_s:.3f}")
        if timestamp:
            el.set("timestamp", timestamp)
        _properties(el, s.properties)
        for c in s.cases:
            ce = ET.SubElement(el, "testcase", classname=s.name, name=c.name, time="0")
            for tag, what in (("error", c.error), ("failure", c.failure)):      # the schema's order
                if what is not None:
                    fe = ET.SubElement(ce, tag, type=what[0], message=what[1])
                    fe.text = what[1]
            if c.properties:
                # the schema has no testcase properties: a case's numbers are its output, a line each
                ET.SubElement(ce, "system-out").text = "".join(f"{k} = {v}\n" for k, v in c.properties.items())
        totals["tests"] += len(s.cases)
        totals["failures"] += failures
        totals["errors"] += errors
        total_time += s.time_s
    for k, v in totals.items():
        root.set(k, str(v))
    root.set("time", f"{total_time if time_s is None else time_s:.3f}")
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


def _properties(parent: ET.Element, props: dict[str, str]) -> None:
    if props:
        pe = ET.SubElement(parent, "properties")
        for k, v in props.items():
            ET.SubElement(pe, "property", name=k, value=str(v))


def write(path: Path, data: bytes) -> None:
    """path replaced atomically: a temporary file beside it, renamed over it.  Ctrl-C and
    SIGTERM wait until the file is whole (they act right after), so a CI timeout never
    leaves a previous run's file standing for this one."""
    path = Path(path)
    mask = getattr(signal, "pthread_sigmask", None)           # POSIX; elsewhere the write is unguarded
    old = mask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM}) if mask else None
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    finally:
        if mask:
            mask(signal.SIG_SETMASK, old)


class Report:
    """The JUnit file of one command, written once when the command ends, whatever ends it:

        with Report(path, "gnc run descent", lambda why: unjudged_suites(sc, why)) as report:
            ...fly, write the outputs...
            report.set(run_suites(result))

    Leaving the block before set() (Ctrl-C, SIGTERM, an error) writes unjudged(why) instead,
    why naming what ended the command; the exception goes on."""

    def __init__(self, path: Path, title: str, unjudged: Callable[[str], list[Suite]]):
        self.path, self.title, self.unjudged = Path(path), title, unjudged
        self.suites: list[Suite] | None = None
        self.timestamp = datetime.now(timezone.utc).isoformat(timespec="seconds")
        self.t0 = time.perf_counter()

    def elapsed(self) -> float:
        return time.perf_counter() - self.t0

    def set(self, suites: list[Suite]) -> None:
        self.suites = suites

    def __enter__(self) -> "Report":
        return self

    def __exit__(self, exc_type, exc, tb) -> bool:
        suites = self.suites
        if suites is None:
            suites = self.unjudged(_why(exc) if exc is not None else "the command ended before its judging point")
        try:
            write(self.path, to_xml(self.title, suites, self.timestamp, self.elapsed()))
        except OSError as e:
            message = f"--junit {self.path}: cannot write ({e.strerror or e})"
            if exc is None:
                raise WriteError(message) from None
            print(f"gnc: error: {message}", file=sys.stderr)     # the command's own error goes on
        return False


class WriteError(Exception):
    """The JUnit file could not be written; str(e) is the one line to show."""


def _why(exc: BaseException) -> str:
    from gnc.interrupt import Terminated
    if isinstance(exc, Terminated):
        return "terminated (SIGTERM)"
    if isinstance(exc, KeyboardInterrupt):
        return "interrupted (Ctrl-C)"
    return f"{type(exc).__name__}: {exc}"
