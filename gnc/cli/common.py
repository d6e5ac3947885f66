"""What every `gnc` subcommand shares: exit statuses, the usage error, the parser with
one-line errors, seed parsing, the cold-cache notice, the output-directory check, the --junit
file (check, and the report written whatever ends the command).  gnc.cli and
the hil subcommands (gnc.cli.hil, gnc.cli.board) import it; it imports neither, so the
command line has no import cycle."""
from __future__ import annotations

import argparse
import signal
import tempfile
from contextlib import contextmanager
from fractions import Fraction
from pathlib import Path

from gnc.runfolder import absolute, refusal, run_folder

EXIT_OK, EXIT_NOT_LANDED, EXIT_BAD_INPUT, EXIT_INTERRUPTED = 0, 1, 2, 130   # EXIT_OK: landed, for run
EXIT_TERMINATED = 128 + signal.SIGTERM
MAX_SEED = 2**32 - 1      # the core seeds numpy's legacy generator, which takes 32 bits


class UsageError(Exception):
    """Bad input found by the CLI itself; str(e) is the one line to show."""


class Parser(argparse.ArgumentParser):
    """argparse with one-line errors."""

    def error(self, message):
        # argparse prints the whole usage block; one line is easier to read and to grep
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def seed_arg(text: str) -> int:
    """argparse type of a --seed."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer 0 .. {MAX_SEED}, got {text!r}") from None
    if not 0 <= value <= MAX_SEED:
        raise argparse.ArgumentTypeError(f"{value} is out of range (allowed 0 .. {MAX_SEED})")
    return value


def min_success_arg(text: str) -> Fraction:
    """argparse type of --min-success: a fraction of the runs, 0 .. 1, kept exact (0.7 of 10 runs is 7)."""
    try:
        value = Fraction(text.strip())
    except (ValueError, ZeroDivisionError):
        raise argparse.ArgumentTypeError(f"expected a fraction of the runs 0 .. 1 (0.95 for 95 %), "
                                         f"got {text!r}") from None
    if not 0 <= value <= 1:
        hint = f" ({float(value):g} % is {float(value) / 100:g})" if 1 < value <= 100 else ""
        raise argparse.ArgumentTypeError(f"{text} is out of range: a fraction of the runs, 0 .. 1{hint}")
    return value


COMPILING = ("compiling the flight code for this machine, once (about a minute on 2 cores; "
             "`gnc compile` fills the cache ahead)")


def will_compile(program, fsw: str) -> bool:
    """Does flying program (a gnc.programs.Program) with build fsw compile its loops first?
    Numba-free: asked before numba is imported."""
    from gnc.core.cache_state import cached
    return not cached(program.flies, fsw)


def say_compiling(stream, program, fsw: str, quiet: bool) -> bool:
    """Say once, up front, that this command compiles first (a cold cache); off a terminal a
    plain line, on one the progress bar counts the seconds (gnc.cli.progress, compiling=True)."""
    if quiet or not will_compile(program, fsw):
        return False
    if not stream.isatty():
        stream.write(f"gnc: {COMPILING}\n")
        stream.flush()
    return True


def prepare_out_dir(out: Path) -> None:
    """Fail before a long run, not after it, if DIR cannot hold the outputs.  A run is written
    beside DIR and renamed to it (gnc.runfolder), so DIR's parent must be writable."""
    why = refusal(out)
    if why is not None:
        raise UsageError(f"--out {out}: {why}")
    parent = absolute(out).parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise UsageError(f"--out {out}: {parent} exists and is not a directory") from None
    except OSError as e:
        raise UsageError(f"--out {out}: cannot create {parent} ({e.strerror})") from None
    try:
        with tempfile.TemporaryFile(dir=parent):
            pass
    except OSError as e:
        raise UsageError(f"--out {out}: cannot write in {parent} ({e.strerror})") from None


def require_build(fsw: str) -> None:
    """Refuse, as bad input, a C flight build that is not installed."""
    from gnc.core.fsw_c import CBuildUnavailable, require  # imports numba: after the cheap checks
    try:
        require(fsw)
    except CBuildUnavailable as e:
        raise UsageError(str(e)) from None


def prepare_junit(path: Path | None, out: Path) -> None:
    """Fail before a long run, not after it, if --junit PATH cannot be written.  PATH must lie
    outside --out DIR: a run replaces its folder whole, and an interrupted run, which still
    writes PATH, would leave DIR holding a file that is not a run's."""
    if path is None:
        return
    target, folder = absolute(path), absolute(out)
    if target == folder or folder in target.parents:
        raise UsageError(f"--junit {path}: inside --out {out}, which a run replaces whole; "
                         f"write it beside, e.g. --junit {out}.xml")
    if target.is_dir():
        raise UsageError(f"--junit {path}: is a directory; give the path of the XML file")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=target.parent):
            pass
    except FileExistsError:
        raise UsageError(f"--junit {path}: {target.parent} exists and is not a directory") from None
    except OSError as e:
        raise UsageError(f"--junit {path}: cannot write in {target.parent} ({e.strerror})") from None


class _NoReport:
    """What junit_report yields without --junit: set() does nothing."""

    def set(self, suites) -> None:
        pass

    def elapsed(self) -> float:
        return 0.0


@contextmanager
def junit_report(path: Path | None, title: str, unjudged):
    """gnc.junit.Report on PATH (or nothing without --junit); a file that cannot be written
    is bad input, as an unwritable --out is."""
    if path is None:
        yield _NoReport()
        return
    from gnc.junit import Report, WriteError
    try:
        with Report(path, title, unjudged) as report:
            yield report
    except WriteError as e:
        raise UsageError(str(e)) from None


def fly_into(out: Path, fly, finish, bar=None):
    """Fly into the run folder out: fly(recorder) flies with its telemetry streamed into the
    folder's temporary name (a gnc.telemetry.Recorder), finish(result, folder) -> {label: path}
    writes the rest (gnc.output.finish_run), then the folder takes its name; bar (a
    gnc.cli.progress display, or None) says so while the outputs are written, and is closed.  Ctrl-C or
    SIGTERM keeps the telemetry flown so far in .NAME.partial-PID beside out
    (gnc.runfolder; gnc.cli.main says where).  Returns (result, {label: path under out})."""
    from gnc.telemetry import Recorder  # pyarrow: after the checks

    try:
        with run_folder(out, keep_partial=True) as folder:
            recorder = Recorder(folder)
            try:
                result = fly(recorder)
            finally:
                recorder.close()
            if bar is not None:
                bar(1.0, "writing the outputs")
            written = finish(result, folder)
    except OSError as e:
        raise UsageError(f"--out {out}: cannot write the outputs ({e.strerror or e})") from None
    finally:
        if bar is not None:
            bar.close()
    return result, {label: out / path.name for label, path in written.items()}
