"""`gnc compile`: fill numba's cache with the flight code, so later commands start at once.

gnc.cli hooks this in with add_parser(subparsers).
"""
from __future__ import annotations

import argparse
import time

from gnc.cli.common import EXIT_OK, UsageError, require_build
from gnc.programs import NAMES

EPILOG = """\
examples:
  gnc compile                         every program's loop, the numba build
  gnc compile descent --fsw c         the descent flying the C build

In CI, keep the cache between jobs: point NUMBA_CACHE_DIR at a folder the CI saves, keyed
on the kernels' sources, and fill it once (docs/ci_cache.md):
  NUMBA_CACHE_DIR=$HOME/.cache/lunar-gnc-numba gnc compile
"""


def add_parser(sub) -> argparse.ArgumentParser:
    p = sub.add_parser("compile", help="compile the flight code into numba's cache, once",
                       description="Compile each program's closed loop (the vehicle model and the flight "
                                   "software, as `gnc run` flies them) into numba's cache, beside the package "
                                   "or under NUMBA_CACHE_DIR, so the next run, campaign or test starts in about "
                                   "a second.  Loops already cached for the present sources are skipped.",
                       epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("programs", nargs="*", metavar="PROGRAM",
                   help=f"programs whose loops to compile (default: all; any of {', '.join(NAMES)})")
    p.add_argument("--fsw", choices=("numba", "c", "c-float"), default="numba",
                   help="the flight-software build the loops fly (default numba)")
    p.set_defaults(func=cmd_compile)
    return p


def cmd_compile(args) -> int:
    from gnc import programs
    from gnc.core.cache_state import cached
    from gnc.scenario import load

    unknown = [p for p in args.programs if p not in NAMES]
    if unknown:
        raise UsageError(f"{unknown[0]!r} is not a flight program (any of {', '.join(NAMES)})")
    require_build(args.fsw)
    wanted = args.programs or list(NAMES)
    loops = list(dict.fromkeys(loop for name in wanted for loop in programs.get(name).flies))
    for name in loops:
        if cached((name,), args.fsw):
            print(f"{name}: cached")
            continue
        print(f"{name}: compiling ...", end="", flush=True)
        t0 = time.perf_counter()
        # one second of flight compiles the whole loop: numba compiles a kernel at its first call
        programs.get(name).run(load(name, ["sim.max_duration_s=1"]), fsw=args.fsw, tel_every=10 ** 9)
        print(f" {time.perf_counter() - t0:.0f} s")
    return EXIT_OK
