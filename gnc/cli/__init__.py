"""The `gnc` command line.

Each subcommand is an add_<name>(subparsers) function that registers its parser and
sets `func`; SUBCOMMANDS lists them in --help order.  main() dispatches and turns
bad input (ScenarioError, UsageError, argparse errors) into one line on stderr and
exit status 2, never a traceback.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tomllib
from fractions import Fraction
from pathlib import Path

from gnc.cli.board import add_parser as add_board
from gnc.cli.common import (
    EXIT_BAD_INPUT,
    EXIT_INTERRUPTED,
    EXIT_NOT_LANDED,
    EXIT_OK,
    EXIT_TERMINATED,
    MAX_SEED,
    Parser,
    UsageError,
    fly_into,
    junit_report,
    min_success_arg,
    prepare_junit,
    prepare_out_dir,
    require_build,
    say_compiling,
    seed_arg,
)
from gnc.cli.compile import add_parser as add_compile
from gnc.cli.hil import add_parser as add_hil
from gnc.cli.progress import progress
from gnc.interrupt import Terminated, sigterm_as_interrupt
from gnc.programs import NAMES as PROGRAMS
from gnc.runfolder import TELEMETRY_GLOB, run_folder
from gnc.scenario import RULES, SCENARIO_DIR, ScenarioError, shipped

# ---------------------------------------------------------------- gnc run

RUN_EPILOG = """\
examples:
  gnc run descent                                   outputs in runs/descent-seed0/
  gnc run descent --seed 7 --out /tmp/d7
  gnc run descent --set guidance.hover_time_s=20 --set 'engine.misalignment_deg=[0.1, 0.0]'
  gnc run my_landing.toml                           a file with base = "descent" and your changes

outputs (files of the same names in DIR are replaced):
  summary.json    outcome, duration, propellant, touchdown figures, phases, seed, scenario
  telemetry.arrow one column per quantity, one row per flight-software step, streamed as the
                  vehicle flies (Arrow IPC, a batch per 1000 rows): pd.read_feather(path),
                  pl.read_ipc(path); Ctrl-C, SIGTERM or a kill -9 leave what was flown in
                  .DIR.partial-PID beside DIR (gnc.telemetry.read(path) reads it; docs/reproducibility.md)
  *.png           altitude, speeds, throttle, attitude, ground_track, propellant, nav_error
  report.html     the page to read: outcome, each limit (value, limit, margin, pass/fail),
                  phases, the plots embedded; self-contained, opens offline in any browser

junit (--junit PATH, for a CI's test reporter; docs/junit.md):
  one testsuite per program (the mission: one per leg and one for its outcome), a testcase
  per limit the program judges, named after its scenario key (touchdown.max_vertical_m_s),
  with value, limit, unit and margin; an `outcome` case fails when the program did not
  succeed.  A limit never judged (no touchdown, interrupted) is an error, never a pass.
  PATH is written atomically once the flight starts, also on Ctrl-C or SIGTERM (its cases then
  say so); input refused before the flight (exit 2) writes nothing.
  gnc run descent --junit reports/descent.xml

exit status: 0 landed, 1 the run completed but did not land within the [touchdown]
limits (all outputs are still written), 2 bad input, 130 interrupted, 143 terminated.
"""


def add_run(sub) -> None:
    p = sub.add_parser(
        "run", help="fly one scenario and write summary, telemetry and plots",
        description="Fly one scenario in closed loop (truth -> sensors -> flight software -> "
                    "vehicle), print a report and write the outputs to a directory.",
        epilog=RUN_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("scenario", metavar="SCENARIO",
                   help=f"a shipped scenario ({', '.join(shipped())}) or the path of a .toml file")
    p.add_argument("--out", metavar="DIR", type=Path,
                   help="output directory, created if missing (default: runs/<scenario>-seed<N>)")
    p.add_argument("--seed", type=seed_arg, default=0, metavar="N",
                   help=f"seed of every random draw (sensor noise, biases, terrain), 0 .. {MAX_SEED}; "
                        "the same seed replays the same run (default: 0)")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override one scenario key, VALUE in TOML syntax; repeatable. "
                        "Keys and ranges: gnc scenario --doc")
    p.add_argument("--disperse", action="store_true",
                   help="also draw the vehicle and initial-state dispersions of [dispersions] from the "
                        "seed, as the Monte Carlo does (default directory gets a -dispersed suffix)")
    p.add_argument("--fsw", choices=("numba", "c", "c-float"), default="numba",
                   help="flight-software build to fly: the numba reference, or the C flight build (csrc/) "
                        "with double or float arithmetic (default: numba)")
    p.add_argument("--no-plots", action="store_true", help="skip the PNG plots (removes stale ones in DIR)")
    p.add_argument("-q", "--quiet", action="store_true",
                   help="no progress bar and no report: only errors; the exit status tells the outcome")
    p.add_argument("--junit", metavar="PATH", type=Path,
                   help="also write the judged limits as JUnit XML to PATH, outside DIR (see below)")
    p.set_defaults(func=cmd_run)


def cmd_run(args) -> int:
    from gnc import junit, programs
    from gnc.scenario import load

    sigterm_as_interrupt()
    sc = load(args.scenario, args.overrides)
    program = programs.get(sc.program)
    out = args.out or Path("runs") / f"{sc.name}-seed{args.seed}{'-dispersed' if args.disperse else ''}"
    prepare_out_dir(out)
    prepare_junit(args.junit, out)
    require_build(args.fsw)
    compiling = say_compiling(sys.stderr, program, args.fsw, args.quiet)
    from gnc.plotworkers import PlotWorkers

    # forked before numba is imported: the plots' worker gets ready while this process flies
    plots = False if args.no_plots else PlotWorkers(program, sc, args.seed)
    try:
        from gnc.output import finish_run  # after the checks: the run imports numba

        props = {"fsw": args.fsw, "run_dir": str(out)}
        with junit_report(args.junit, f"gnc run {sc.name}",
                          lambda why: junit.unjudged_suites(sc, why, properties=props)) as report:
            bar = progress(sys.stderr, sc.name, compiling, args.quiet)
            result, written = fly_into(out, lambda telemetry: program.run(
                sc, seed=args.seed, disperse=args.disperse, fsw=args.fsw, progress=bar, telemetry=telemetry),
                lambda result, folder: finish_run(result, folder, plots, provenance={"fsw": args.fsw}), bar)
            report.set(junit.run_suites(result, report.elapsed(), props))
    finally:
        if plots:
            plots.close()
    if not args.quiet:
        print(program.report(result.summary, sc))
        print(f"\noutputs in {out}{os.sep}: {' '.join(p.name for p in written.values())}")
    return EXIT_OK if program.succeeded(result.summary) else EXIT_NOT_LANDED


# ---------------------------------------------------------------- gnc rerun

RERUN_EPILOG = """\
examples:
  gnc rerun runs/descent-seed0                      outputs in runs/descent-seed0-rerun/
  gnc rerun runs/descent-seed0 --out /tmp/again

A run folder's run.json holds what reproduces its run: the resolved scenario (every key
after the bases and the --set overrides), the seed, --disperse, the flight-software build and
the versions it was flown with.  The rerun flies the resolved scenario (not the scenario
file, which may have changed since), writes a run folder as gnc run does, and says whether
summary.json and the telemetry (telemetry.arrow; a mission's telemetry-PHASE.arrow) are the
same bytes as the original's.

exit status: as gnc run (0 landed, 1 not, 2 bad input, 130 interrupted).
"""


def add_rerun(sub) -> None:
    p = sub.add_parser(
        "rerun", help="fly a run folder's run again from its run.json",
        description="Fly again the run recorded in DIR/run.json and compare the outputs with DIR's.",
        epilog=RERUN_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("run_dir", metavar="DIR", type=Path, help="a folder written by gnc run")
    p.add_argument("--out", metavar="DIR2", type=Path, help="output directory (default: DIR-rerun)")
    p.add_argument("--no-plots", action="store_true", help="skip the PNG plots")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar and no report: only errors")
    p.set_defaults(func=cmd_rerun)


def cmd_rerun(args) -> int:
    from gnc import programs
    from gnc.scenario import from_data

    record = _run_record(args.run_dir)
    sc = from_data(record["scenario"], record["resolved"], record.get("source", ""), tuple(record.get("overrides", ())))
    program = programs.get(sc.program)
    out = args.out or args.run_dir.with_name(args.run_dir.name + "-rerun")
    prepare_out_dir(out)
    require_build(record["fsw"])
    compiling = say_compiling(sys.stderr, program, record["fsw"], args.quiet)
    from gnc.output import SUMMARY, build, finish_run, inputs, versions  # after the checks: numba

    changed = [f"{k} {record['versions'].get(k)} -> {v}" for k, v in versions().items()
               if k != "git_dirty" and record.get("versions", {}).get(k) != v]
    if build(record["fsw"]) != record.get("build"):
        changed.append(f"the {record['fsw']} library was rebuilt")
    changed += [f"{key} {v['path']} changed since" for key, v in inputs(sc).items()
                if record.get("inputs", {}).get(key, {}).get("sha256") != v["sha256"]]
    if changed and not args.quiet:
        print(f"gnc rerun: flown before with other versions ({'; '.join(changed)}): the bits may differ",
              file=sys.stderr)
    bar = progress(sys.stderr, sc.name, compiling, args.quiet)
    result, written = fly_into(out, lambda telemetry: program.run(
        sc, seed=record["seed"], disperse=record["disperse"], fsw=record["fsw"], progress=bar, telemetry=telemetry),
        lambda result, folder: finish_run(result, folder, not args.no_plots,
                                          provenance={"fsw": record["fsw"], "rerun_of": str(args.run_dir)}), bar)
    if not args.quiet:
        print(program.report(result.summary, sc))
        print(f"\noutputs in {out}{os.sep}: {' '.join(p.name for p in written.values())}")
        for name in (SUMMARY, *sorted(p.name for p in out.glob(TELEMETRY_GLOB))):
            before, after = args.run_dir / name, out / name
            same = before.exists() and before.read_bytes() == after.read_bytes()
            print(f"{name}: {'the same bytes as' if same else 'DIFFERS from'} {before}")
    return EXIT_OK if program.succeeded(result.summary) else EXIT_NOT_LANDED


def _run_record(run_dir: Path) -> dict:
    """DIR/run.json of a gnc run folder, or a UsageError saying why there is none to fly."""
    from gnc.output import RUN, RUN_FORMAT

    path = run_dir / RUN
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"{run_dir}: no {RUN} (not a run folder, or written before runs recorded it)") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise UsageError(f"{path}: unreadable ({e})") from None
    if not isinstance(record, dict) or not isinstance(record.get("resolved"), dict):
        raise UsageError(f"{path}: not a run record (no resolved scenario)")
    if record.get("format", 0) > RUN_FORMAT:
        raise UsageError(f"{path}: format {record['format']} is newer than this gnc reads ({RUN_FORMAT}): upgrade")
    if record.get("kind") != "run":
        raise UsageError(f"{path}: a {record.get('kind')} folder; gnc rerun flies the folders of gnc run")
    for key, kind in (("scenario", str), ("seed", int), ("disperse", bool), ("fsw", str)):
        if not isinstance(record.get(key), kind):
            raise UsageError(f"{path}: {key} missing or not {kind.__name__}")
    return record


# ---------------------------------------------------------------- gnc scenario

SCENARIO_EPILOG = """\
examples:
  gnc scenario                      list the shipped scenarios
  gnc scenario descent > mine.toml  a copy to edit (or start a file with base = "descent")
  gnc scenario --doc                every key: default, allowed values, meaning (docs/scenario.md)
"""


def add_scenario(sub) -> None:
    p = sub.add_parser(
        "scenario", help="list or print the shipped scenarios, or the key reference",
        description="Without NAME, list the shipped scenarios; with NAME, print its TOML. "
                    "--doc prints the reference of every key instead.",
        epilog=SCENARIO_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("name", nargs="?", metavar="NAME", help="a shipped scenario")
    p.add_argument("--doc", action="store_true",
                   help="print the key reference (Markdown, the text of docs/scenario.md)")
    p.set_defaults(func=cmd_scenario)


def cmd_scenario(args) -> int:
    names = shipped()
    if args.name is not None and args.name not in names:
        raise ScenarioError(f"unknown scenario {args.name!r}: shipped scenarios are {', '.join(names)}")
    if args.doc:
        sys.stdout.write(scenario_reference([args.name] if args.name else names))
    elif args.name:
        sys.stdout.write((SCENARIO_DIR / f"{args.name}.toml").read_text(encoding="utf-8"))
    else:
        for name in names:
            print(f"{name:<12}{_first_sentence(_parse_commented(SCENARIO_DIR / f'{name}.toml')[0])}")
    return EXIT_OK


DOC_INTRO = """\
# Scenario reference

<!-- Generated by `gnc scenario --doc > docs/scenario.md`; tests/test_cli.py checks that it is current. -->

A scenario is a TOML file describing one flight: simulation rates, the Moon, the landing
site, the initial orbit, the vehicle, its sensors, the flight software's settings, the
touchdown limits and the Monte Carlo dispersions.  Run a shipped one by name, or a file
of your own:

    gnc run descent
    gnc run my_landing.toml

Your file names its `base` (a shipped scenario or the path of another file) and sets
only the keys it changes:

    base = "descent"
    [guidance]
    hover_time_s = 12.0

Any key can also be overridden on the command line, after the file; the value is TOML:

    gnc run descent --set guidance.hover_time_s=12 --set moon.j2_on=true \\
        --set 'engine.misalignment_deg=[0.1, 0.0]'

Rules: every key must exist in the shipped scenario of its program (the tables below) and
keep its type (an integer is accepted where a number is expected) and list length; numbers
must be finite and inside the allowed range (for lists, each element).  Across keys:
`engine.thrust_min_n` <= `engine.thrust_max_n`, `vehicle.propellant_kg` < `vehicle.mass_kg`,
`orbit.apolune_alt_m` >= `orbit.perilune_alt_m`, and the guidance altitudes run downward:
`brake_alt_m` >= `approach_alt_m` >= `hover_alt_m` >= `avoid_alt_m` >= `final_alt_m` >=
`cutoff_alt_m`.  Telemetry streams to disk as the vehicle flies: memory does not grow
with `sim.max_duration_s`, and a descent or ascent ends at touchdown or insertion well
before 1e6 s; the disk takes 780 kB per 20 s of a 50 Hz descent.  A list is set whole
(`--set 'engine.misalignment_deg=[0.1, 0.0]'`), `program` not at all.  Anything else is
refused with one line naming the key, and the nearest known key when it looks mistyped
(exit status 2).  A key naming a file (`moon.field_file`, `terrain.dem_file`) takes a path
relative to the scenario file that sets it (to the working directory with `--set`), or an
absolute one; the file is checked at load.
"""


def scenario_reference(names: list[str]) -> str:
    """The key reference of these shipped scenarios as Markdown (docs/scenario.md)."""
    parts = [DOC_INTRO]
    for name in names:
        path = SCENARIO_DIR / f"{name}.toml"
        description, sections, keys = _parse_commented(path)
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
        parts.append(f"\n## {name}\n\n{_first_sentence(description)}\n")
        current = None
        for section, key, raw, note in keys:
            if section != current:
                current = section
                heading = f"`[{section}]`" if section else "top level"
                parts.append(f"\n### {heading}\n\n" + (f"{sections[section]}\n\n" if sections.get(section) else "")
                             + "| key | default | allowed | notes |\n| --- | --- | --- | --- |\n")
            dotted = f"{section}.{key}" if section else key
            value = _lookup(data, dotted)
            parts.append(f"| `{dotted}` | `{raw}` | {_allowed(dotted, value)} | {_cell(note)} |\n")
    return "".join(parts)


def _lookup(data: dict, dotted: str):
    for part in dotted.split("."):
        data = data[part]
    return data


def _allowed(dotted: str, value) -> str:
    if dotted == "program":
        return "one of " + ", ".join(f"`{p}`" for p in PROGRAMS)
    if isinstance(value, bool):
        return "`true` or `false`"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        kind = "integers" if all(isinstance(v, int) for v in value) else "numbers"
        return f"list of {len(value)} {kind}, each {_range(dotted)}"
    return f"{'integer' if isinstance(value, int) else 'number'} {_range(dotted)}"


def _range(dotted: str) -> str:
    lo, hi = RULES.get(dotted, (None, None))
    if lo is None and hi is None:
        return "(any finite)"
    if hi is None:
        return "> 0" if 0 < lo < 1e-9 else f">= {_num(lo)}"     # RULES writes "positive" as a tiny bound
    if lo is None:
        return f"<= {_num(hi)}"
    return f"{_num(lo)} .. {_num(hi)}"


def _num(x: float) -> str:
    return re.sub(r"e([+-])0*(\d)", lambda m: "e" + m.group(1).replace("+", "") + m.group(2), f"{x:g}")


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _first_sentence(text: str) -> str:
    return re.split(r"(?<=\.)\s", text, maxsplit=1)[0]


def _comment(line: str) -> tuple[str, str]:
    """Split a TOML line into (code, comment) at the first # outside a string."""
    quote = None
    for i, ch in enumerate(line):
        if quote:
            if ch == quote:
                quote = None
        elif ch in "\"'":
            quote = ch
        elif ch == "#":
            return line[:i].strip(), line[i + 1:].strip()
    return line.strip(), ""


def _parse_commented(path: Path) -> tuple[str, dict[str, str], list[tuple[str, str, str, str]]]:
    """(description, {section: note}, [(section, key, raw value, note)]) from a TOML file's text.

    Comments before the first key or header describe the file; comments above a section
    header or on its line describe the section; comments above a key or at the end of
    its line describe the key."""
    description, sections, keys = "", {}, []
    section, pending, in_array = "", [], False
    for line in path.read_text(encoding="utf-8").splitlines():
        code, comment = _comment(line)
        if in_array:                                   # continuation of a multi-line array
            s, key, raw, note = keys[-1]
            keys[-1] = (s, key, f"{raw} {code}".strip(), " ".join(filter(None, [note, comment])))
            in_array = not _balanced(keys[-1][2])
            continue
        if not code:
            pending += [comment] if comment else []
            continue
        if not keys and not sections:
            description, pending = " ".join(pending), []
        note = " ".join(pending + ([comment] if comment else []))
        pending = []
        header = re.fullmatch(r"\[\s*([^\[\]]+?)\s*\]", code)
        if header:
            section = header.group(1)
            sections[section] = note
            continue
        key, _, raw = (part.strip() for part in code.partition("="))
        keys.append((section, key, raw, note))
        in_array = not _balanced(raw)
    return description, sections, keys


def _balanced(raw: str) -> bool:
    return raw.count("[") == raw.count("]")


# ---------------------------------------------------------------- gnc montecarlo

MC_EPILOG = """\
examples:
  gnc montecarlo descent -n 200 --seed 1              200 dispersed runs on all local cores
  gnc montecarlo descent -n 8001 --scheduler tcp://10.0.0.5:8786   on a Dask cluster
  gnc montecarlo rendezvous -n 100                    ascent + rendezvous: capture rate, margins
  gnc run descent --seed 123456 --disperse            replay one run of a campaign by its seed
  gnc montecarlo descent -n 1000 --min-success 0.99 --junit reports/mc.xml   for a CI

outputs: montecarlo.json (statistics, every run's seed and outcome), report.html (the page to
read: success rate against --min-success, each limit over the runs, the plots embedded),
failed/SEED/ for the first --keep-failed runs that failed (each flown again with its telemetry,
a folder as `gnc run --seed SEED --disperse --no-plots` writes; `gnc rerun` on it draws the
plots); a
descent campaign also dispersion.png, touchdown_limits.png (each judged touchdown quantity,
propellant included, against its limit), sensitivity.png (each against every
dispersed input); a rendezvous campaign capture.png (the state at contact against the envelope),
insertion_propellant.png (ascent insertion errors, each vehicle's propellant) and sensitivity.png
(each against both vehicles' dispersed inputs).

--min-success FRACTION: the campaign's requirement, the fraction of runs that must succeed
(landed, captured); default 1: every run must succeed.
--junit PATH (for a CI's test reporter; docs/junit.md): one testsuite, a testcase
campaign.min_success (the success rate against FRACTION, with the count of each outcome as
properties) and one per limit of the program (touchdown.max_vertical_m_s, ...): held in at
least FRACTION of the runs, with the worst value, its seed and its margin.  An interrupted
campaign judges nothing: every case is an error.  Written atomically once the campaign starts.

exit status: 0 the success rate met --min-success, 1 it did not, 2 bad input,
130 interrupted by Ctrl-C or SIGTERM (montecarlo.json keeps the finished runs; no plots are
drawn, so the command ends within about a second: bench/interrupt_timing.py).  Killed outright
(kill -9), the runs that had ended are in .DIR.new-PID/runs.jsonl, a JSON line each
(docs/reproducibility.md).
"""


def add_montecarlo(sub) -> None:
    p = sub.add_parser(
        "montecarlo", help="fly many dispersed runs and report statistics",
        description="Fly N runs of a scenario with the dispersions of its [dispersions] section "
                    "(engine, mass, inertia, misalignment, centre of mass, PDI state) on top of "
                    "the knowledge errors and sensor noise of every run.  Each run has its own seed, "
                    "drawn from the campaign seed, and replays exactly with `gnc run --seed S --disperse`.",
        epilog=MC_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("scenario", metavar="SCENARIO", help="a shipped scenario or a .toml path")
    p.add_argument("-n", "--runs", type=int, default=200, metavar="N", help="number of runs (default: 200)")
    p.add_argument("--seed", type=seed_arg, default=0, metavar="S", help="campaign seed (default: 0)")
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 1, metavar="J",
                   help="parallel runs on this machine (default: all cores)")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="run on a Dask cluster at this scheduler address instead (needs dask.distributed)")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override one scenario key (TOML value); repeatable")
    p.add_argument("--out", metavar="DIR", type=Path,
                   help="output directory (default: runs/<scenario>-mc<N>-seed<S>)")
    p.add_argument("--fsw", choices=("numba", "c", "c-float"), default="numba",
                   help="flight-software build to fly: the numba reference or the C flight build (default: numba)")
    p.add_argument("--no-plots", action="store_true", help="skip the PNG plots")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar and no report")
    p.add_argument("--min-success", type=min_success_arg, default=Fraction(1), metavar="FRACTION",
                   help="fraction of runs that must succeed, 0 .. 1, for exit status 0 and a passing "
                        "campaign.min_success case (default: 1, every run)")
    p.add_argument("--junit", metavar="PATH", type=Path,
                   help="also write the campaign's requirements as JUnit XML to PATH, outside DIR (see below)")
    p.add_argument("--keep-failed", type=int, default=10, metavar="K",
                   help="fly the first K failed runs again with their telemetry into DIR/failed/SEED/, "
                        "each a gnc run folder (default: 10; 0 keeps none)")
    p.set_defaults(func=cmd_montecarlo)


def cmd_montecarlo(args) -> int:
    from gnc import junit, programs
    from gnc.scenario import load

    sigterm_as_interrupt()
    if args.runs < 1:
        raise UsageError(f"--runs: {args.runs} is out of range (allowed 1 .. )")
    if args.jobs < 1:
        raise UsageError(f"--jobs: {args.jobs} is out of range (allowed 1 .. )")
    if args.keep_failed < 0:
        raise UsageError(f"--keep-failed: {args.keep_failed} is out of range (allowed 0 .. )")
    sc = load(args.scenario, args.overrides)
    if not programs.get(sc.program).campaign:
        raise UsageError(f"{args.scenario}: program {sc.program!r} has no campaign; gnc montecarlo flies "
                         f"{' and '.join(programs.with_campaign())} scenarios")
    out = args.out or Path("runs") / f"{sc.name}-mc{args.runs}-seed{args.seed}"
    prepare_out_dir(out)
    prepare_junit(args.junit, out)
    require_build(args.fsw)
    compiling = say_compiling(sys.stderr, programs.get(sc.program), args.fsw, args.quiet)
    from gnc import montecarlo  # after the checks: it imports numba
    from gnc.output import RUN, write_json

    props = {"run_dir": str(out)}
    with junit_report(args.junit, f"gnc montecarlo {sc.name}",
                      lambda why: junit.unjudged_campaign(sc, why, properties=props)) as report:
        try:
            # run.json first and each run journalled as it ends: a kill keeps what was flown
            with run_folder(out, keep_partial=True) as folder:
                write_json(folder / RUN, montecarlo.record(sc, args.seed, args.runs, args.jobs, args.fsw))
                bar = progress(sys.stderr, sc.name, compiling, args.quiet)
                try:
                    with montecarlo.Journal(folder) as journal:
                        c = montecarlo.campaign(sc, args.runs, seed=args.seed, jobs=args.jobs,
                                                scheduler=args.scheduler, fsw=args.fsw, on_run=journal,
                                                progress=bar.count if bar is not None else None)
                except RuntimeError as e:
                    raise UsageError(str(e)) from None
                finally:
                    if bar is not None:
                        bar.close()
                failed = sum(r["outcome"] != c.program.success for r in c.runs)
                keeping_stopped = False
                if not c.interrupted and failed and args.keep_failed:
                    if not args.quiet:
                        print(f"{sc.name}: flying {min(failed, args.keep_failed)} of the {failed} failed runs again "
                              f"for their telemetry ({montecarlo.FAILED}/<seed>/)", file=sys.stderr)
                    try:
                        montecarlo.keep_failed(c, folder, args.keep_failed)
                    except KeyboardInterrupt:     # every run is flown: the campaign's results are written
                        keeping_stopped = True
                # interrupted: no plots, whose drawing (seconds) is what would keep Ctrl-C waiting
                written = [out / RUN] + [out / p.name for p in montecarlo.write_results(
                    c, folder, not (args.no_plots or c.interrupted or keeping_stopped), args.min_success)]
                written += [out / montecarlo.FAILED] if c.kept else []
        except OSError as e:
            raise UsageError(f"--out {out}: cannot write the outputs ({e.strerror or e})") from None
        report.set(junit.campaign_suites(c, args.min_success, props))
    if c.interrupted:
        print(f"\ngnc: interrupted: {len(c.runs)} of {c.requested} runs written to {out}{os.sep} "
              f"(montecarlo.json, report.html; no plots)", file=sys.stderr)
        return EXIT_INTERRUPTED
    if keeping_stopped:
        print(f"\ngnc: interrupted while keeping the failed runs: all {len(c.runs)} runs written to {out}{os.sep}, "
              f"{len(c.kept)} failed runs kept (montecarlo.json, report.html; no plots)", file=sys.stderr)
        return EXIT_INTERRUPTED
    met = c.success_fraction() >= args.min_success
    if not args.quiet:
        print(montecarlo.report(c))
        print(f"  required      {c.program.success} in >= {100 * float(args.min_success):.4g} % of runs "
              f"(--min-success {float(args.min_success):g}): {'met' if met else 'MISSED'}")
        print(f"\noutputs in {out}{os.sep}: {' '.join(p.name for p in written)}")
    return EXIT_OK if met else EXIT_NOT_LANDED


# ---------------------------------------------------------------- main

SUBCOMMANDS = (add_run, add_rerun, add_montecarlo, add_hil, add_board, add_scenario, add_compile)


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="gnc",
        description="Emulator of the guidance, navigation and control of a Chang'e-6 class "
                    "lunar lander: fly scenarios, run Monte Carlo campaigns and hardware-in-the-loop "
                    "sessions, inspect scenarios.",
        epilog="Run 'gnc COMMAND --help' for the options and examples of a command.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True, parser_class=Parser)
    for add in SUBCOMMANDS:
        add(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:                  # --help (0) or a usage error already printed (2)
        return e.code if isinstance(e.code, int) else EXIT_OK
    try:
        return args.func(args)
    except (ScenarioError, UsageError) as e:
        print(f"gnc: error: {e}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt as e:
        print(f"\ngnc: {'terminated' if isinstance(e, Terminated) else 'interrupted'}", file=sys.stderr)
        partial = getattr(e, "partial_run", None)
        if partial is not None:
            print(f"gnc: what was flown so far is in {partial}{os.sep} (a partial run: gnc leaves it "
                  f"for you to read or delete)", file=sys.stderr)
        return EXIT_TERMINATED if isinstance(e, Terminated) else EXIT_INTERRUPTED
    except BrokenPipeError:
        # the reader (e.g. `| head`) went away: stop quietly, and keep Python's
        # final flush of stdout from failing again
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK

