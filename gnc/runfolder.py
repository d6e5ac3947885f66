"""A run's folder holds one run: written under a temporary name beside it and renamed
into place when complete, so a kill never leaves two runs mixed in one folder.

    with run_folder("runs/descent-seed0") as tmp:
        ...write every file into tmp...

On leaving the block without an exception: an existing run folder DIR is moved aside to
`.DIR.old-PID`, `.DIR.new-PID` is renamed to DIR, the old one is deleted.  A kill at each
moment leaves (docs/reproducibility.md, "Run folders"):

    while flying/writing DIR as it was (the previous run, or nothing); a partial .DIR.new-PID
                         holding the telemetry streamed so far (every whole chunk readable),
                         or a campaign's runs.jsonl (every run that had ended, a line each)
    between the renames  no DIR; the previous run whole in .DIR.old-PID, the new one whole in .DIR.new-PID
    after the renames    DIR the new run; the previous one in .DIR.old-PID until deleted

The next write to DIR deletes the leftovers of a process that is no longer running, except
what a partial run flew: a .DIR.new-PID holding a telemetry file or a campaign's journal is
renamed .DIR.partial-PID (said on stderr) and kept.  With keep_partial, Ctrl-C or SIGTERM in the
block (KeyboardInterrupt) renames the temporary folder .DIR.partial-PID too, and names it
on the exception (its partial_run).  gnc never deletes a .DIR.partial-PID: the user does.
Only a folder gnc wrote (it holds one of MARKERS) or an empty one is replaced: `--out ~`
must not delete a home directory.  Standard library only: the CLI checks --out before
importing numba.
"""
from __future__ import annotations

import os
import re
import shutil
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

# a folder holding one of these was written by gnc (a run, a HIL session, a campaign)
MARKERS = ("summary.json", "run.json", "montecarlo.json", "link.json")
TELEMETRY_GLOB = "telemetry*.arrow"      # gnc.telemetry's files
JOURNAL = "runs.jsonl"                   # a campaign's finished runs (gnc.montecarlo.Journal)
PARTIAL = (TELEMETRY_GLOB, JOURNAL)      # what a partial run or campaign keeps


def absolute(out_dir) -> Path:
    """out_dir made absolute and normalised: "." and "x/.." have no name to put a sibling beside."""
    return Path(os.path.abspath(out_dir))


def refusal(out_dir) -> str | None:
    """Why out_dir cannot be replaced by a run folder (one line, to follow its name), or None."""
    out = absolute(out_dir)
    if out.parent == out:
        return "is a file system root"
    if not out.exists():
        return None
    if not out.is_dir():
        return "exists and is not a directory"
    if out == Path.cwd():
        return "is the current directory, which the run would replace"
    entries = [p.name for p in out.iterdir()]
    if entries and not any(m in entries for m in MARKERS):
        shown = ", ".join(sorted(entries)[:3]) + (", ..." if len(entries) > 3 else "")
        return f"holds files that are not a run's ({shown}); a run replaces its folder whole: give a new or empty one"
    return None


@contextmanager
def run_folder(out_dir, keep_partial: bool = False) -> Iterator[Path]:
    """Yield an empty temporary folder beside out_dir that replaces it whole when the block
    completes (and is deleted when it raises; with keep_partial, a KeyboardInterrupt keeps it
    as .NAME.partial-PID when it holds telemetry or a journal, named by the exception's partial_run).
    Raises OSError, also for a folder that refusal() refuses."""
    out = absolute(out_dir)
    why = refusal(out)
    if why is not None:
        raise NotADirectoryError(f"{out_dir}: {why}")
    out.parent.mkdir(parents=True, exist_ok=True)
    _remove_leftovers(out)
    new, old = (out.with_name(f".{out.name}.{kind}-{os.getpid()}") for kind in ("new", "old"))
    shutil.rmtree(new, ignore_errors=True)
    new.mkdir()
    try:
        yield new
    except KeyboardInterrupt as e:
        if keep_partial and _holds_partial(new):
            e.partial_run = _keep(new, out)
        else:
            shutil.rmtree(new, ignore_errors=True)
        raise
    except BaseException:
        shutil.rmtree(new, ignore_errors=True)
        raise
    if out.exists():
        os.rename(out, old)
        os.rename(new, out)
        shutil.rmtree(old)
    else:
        os.rename(new, out)


def _remove_leftovers(out: Path) -> None:
    """Delete .NAME.new-PID / .NAME.old-PID of processes that no longer run (a kill mid-write),
    but keep a .NAME.new-PID holding telemetry as .NAME.partial-PID, and say so."""
    pattern = re.compile(rf"\.{re.escape(out.name)}\.(new|old)-(\d+)")
    for p in sorted(out.parent.iterdir()):
        m = pattern.fullmatch(p.name)
        if not m or int(m.group(2)) == os.getpid() or _alive(int(m.group(2))):
            continue
        if m.group(1) == "new" and _holds_partial(p):
            kept = _keep(p, out, int(m.group(2)))
            print(f"gnc: kept what a run killed while writing {out} had flown: {kept}{os.sep}", file=sys.stderr)
        else:
            shutil.rmtree(p, ignore_errors=True)


def _holds_partial(folder: Path) -> bool:
    return any(any(folder.glob(pattern)) for pattern in PARTIAL)


def partial_name(out: Path, pid: int) -> Path:
    return out.with_name(f".{out.name}.partial-{pid}")


def _keep(folder: Path, out: Path, pid: int | None = None) -> Path:
    """folder renamed .NAME.partial-PID (-PID.2, ... when a process of the same id left one)."""
    target = base = partial_name(out, os.getpid() if pid is None else pid)
    n = 1
    while target.exists():
        n += 1
        target = base.with_name(f"{base.name}.{n}")
    os.rename(folder, target)
    return target


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True             # another user's process
    return True
