"""`gnc hil`: fly a scenario with the flight software at the other end of a serial link
(a board, an emulated board) or on the in-process stub; `gnc hil ports` lists ports.

gnc.cli hooks this in with add_parser(subparsers); `python -m gnc.cli hil ARGS` is `gnc hil ARGS`
without the entry point.
"""
from __future__ import annotations

import argparse
import math
import os
import sys
from pathlib import Path

EXIT_OK, EXIT_NOT_LANDED, EXIT_BAD_INPUT, EXIT_LINK, EXIT_INTERRUPTED, EXIT_TERMINATED = 0, 1, 2, 3, 130, 143
DEFAULT_BAUD = 115200
MIN_BAUD, MAX_BAUD = 1200, 12_000_000    # what UARTs and USB bridges offer; below it a frame takes seconds
EMULATED_TIMEOUT_MS = 2000.0

HIL_EPILOG = """\
examples:
  gnc hil ports                                      serial ports pyserial sees
  gnc hil --port /dev/ttyACM0 --baud 921600 descent  a board on USB, lockstep
  gnc hil --port /dev/pts/5 --mode realtime descent  an emulated board (simavr, QEMU, python -m gnc.hil.board --pty)
  gnc hil --port socket://localhost:5555 descent     a board behind TCP (QEMU -serial tcp:...,nodelay=on)
  gnc hil --emulate avr descent                      the firmware on an emulated ATmega2560 (simavr)
  gnc hil --emulate stm32f4 descent                  the firmware on an emulated Cortex-M4F (QEMU)
  gnc hil --emulate stm32f4 mission                  descent, ascent and rendezvous over one link
  gnc hil --emulate mps2-an500 descent               a Cortex-M7 (QEMU), its flight software in double
  gnc hil --emulate microbit descent                 a Cortex-M0 without an FPU (QEMU's BBC micro:bit)
  gnc hil --emulate sifive_e descent                 a RISC-V RV32IMAC without an FPU (QEMU's HiFive1 Rev B)
  gnc hil --emulate avr --mode realtime --set sim.fsw_rate_hz=10 descent
                                                     real time on the AVR at the rate it sustains
  gnc hil --stub ascent                              any program: ascent, rendezvous, mission
  gnc hil --stub descent                             no board: the flight software in this process
  gnc hil --stub --mode realtime --baud 115200 --latency-ms 1 --jitter-ms 2 descent
  gnc hil --stub --fault silent-after=500 --on-silence hold descent
  gnc hil --stub --byte-errors 1e-3 descent          a noisy UART: each byte corrupted with probability 1e-3
  gnc hil --emulate avr --silence-s 30 descent       lockstep: wait up to 30 s for a slow board

modes: lockstep waits for every answer (as fast as the board allows); realtime sends a
sensor frame every period (sleep, then spin to the tick) and holds the last command
when an answer is late.  With --emulate, realtime paces the emulated board to the wall
clock, so it runs at the board's own speed, not the several times faster the host allows:
simavr cycle by cycle; QEMU with -icount align, which holds its clock back only when ahead,
so the host also takes each of its answers no sooner than the board's own step time (its
clock, in the answer) and the frames' wire time allow: an answer the board's step makes miss
its period is late, as on a desk (docs/firmware.md).

programs: the board flies the scenario's program (descent, ascent); in a rendezvous the
orbiter-returner's rendezvous program, the ascender's flying in this process after an
in-process ascent; in the mission the lander-ascender's computer throughout: the descent,
the ascent (configured afresh after the surface stay) and the ascender through the
rendezvous (its state going on from the ascent), the orbiter-returner in this process.

outputs (in DIR, default runs/<scenario>-hil-seed<N>): the files of `gnc run`
(summary.json, telemetry.arrow streamed as the session flies, *.png, report.html) plus link.json (link statistics
and events, in total and per flight), link.arrow (per exchange: step, flight, round trip, board step
time, period, held flags) and link.png; report.html shows the link report too.

junit (--junit PATH, for a CI's test reporter; docs/junit.md): the testsuites of `gnc run`
(a case per judged limit, an `outcome` case; the mission one suite per leg).  An aborted
session (link fault, Ctrl-C, SIGTERM) or a board that never answered gets its file too,
every case not judged an error naming why.  Written atomically, outside DIR.

exit status: 0 success (landed, inserted, captured), 1 the program's failure (not landed
within the [touchdown] limits, off target, no capture), 2 bad input,
3 link failure (port cannot be opened, no board answers, or the session was aborted by
a link fault: the outputs up to that point are written), 130 interrupted (Ctrl-C),
143 terminated (SIGTERM); interrupted or terminated, the outputs so far are written too.
See docs/hil.md for the protocol session, baud rates, latency timers and fault policies.
"""


def add_parser(sub) -> argparse.ArgumentParser:
    """Register `hil` on gnc's subparsers; sets func=main."""
    from gnc.cli.common import MAX_SEED, seed_arg
    from gnc.hil.emulate import TARGETS
    from gnc.hil.options import FAULTS, HOLD_S, MODES, ON_BAD, ON_RESET, ON_SILENCE, SILENCE_S, SILENT_PERIODS
    from gnc.scenario import shipped

    p = sub.add_parser(
        "hil", help="fly a scenario with the flight software on a board over a serial link (or a stub)",
        description="Hardware in the loop: this host flies the vehicle model and sends a sensor frame "
                    "every flight-software step; the flight software answers with an actuator frame from "
                    "a board on a serial port, or from the in-process stub.  'gnc hil ports' lists ports.",
        epilog=HIL_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("target", metavar="SCENARIO",
                   help=f"a scenario: shipped ({', '.join(shipped())}) or a .toml file; or 'ports'")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--port", metavar="URL",
                       help="serial port or pyserial URL: /dev/ttyACM0, COM3, /dev/pts/N, socket://host:port, "
                            "rfc2217://host:port")
    where.add_argument("--stub", action="store_true", help="no board: run the flight software in this process "
                                                           "behind an emulated link")
    where.add_argument("--emulate", choices=tuple(TARGETS), metavar="BOARD",
                       help="build the firmware, start an emulated board (avr: ATmega2560 in simavr, "
                            "stm32f4: Cortex-M4F in QEMU, mps2-an500: Cortex-M7 in QEMU, double build, "
                            "microbit: Cortex-M0 in QEMU, sifive_e: RISC-V RV32IMAC in QEMU), "
                            "fly the session on its port, stop it")
    p.add_argument("--baud", type=int, metavar="B",
                   help=f"baud rate (serial default {DEFAULT_BAUD}; with --stub it sets the emulated wire time, "
                        "default none)")
    p.add_argument("--mode", choices=MODES, default="lockstep", help="default: lockstep")
    p.add_argument("--on-silence", choices=ON_SILENCE, default="abort",
                   help=f"when the board is silent (real time: nothing for {SILENT_PERIODS} periods; lockstep: "
                        "nothing for --silence-s): abort the session, hold the last command (up to --hold-s), "
                        "or fail over to the in-process stub (default: abort)")
    p.add_argument("--hold-s", type=float, default=HOLD_S, metavar="S",
                   help=f"longest hold of --on-silence hold and --on-bad-command hold, mission seconds "
                        f"(default {HOLD_S:g})")
    p.add_argument("--on-reset", choices=ON_RESET, default="resume",
                   help="when the board resets mid-session: handshake again and resume from the current "
                        "state, or abort (default: resume)")
    p.add_argument("--on-bad-command", dest="on_bad", choices=ON_BAD, default="hold",
                   help="when an answer is no command (not finite, past the engine's thrust, another step's "
                        "time tag): fly the last good command instead (up to --hold-s in a row), or abort "
                        "(default: hold)")
    p.add_argument("--timeout-ms", type=float, metavar="MS",
                   help="lockstep: ask again every MS without an answer (default: one period plus the wire "
                        f"time of both frames at --baud; {EMULATED_TIMEOUT_MS:g} with --emulate)")
    p.add_argument("--silence-s", type=float, metavar="S",
                   help="lockstep: the board is silent after S seconds of wall time with no fresh answer from "
                        f"it (default: {SILENCE_S:g}, or {SILENT_PERIODS} timeouts if longer); a busy "
                        "machine or an emulator answers late, not never")
    p.add_argument("--no-low-latency", action="store_true",
                   help="do not ask the serial driver for its low-latency mode")
    stub = p.add_argument_group("stub link (--stub only)")
    stub.add_argument("--latency-ms", type=float, default=0.0, metavar="MS", help="added one-way latency")
    stub.add_argument("--jitter-ms", type=float, default=0.0, metavar="MS",
                      help="added one-way delay, uniform from 0 to MS")
    stub.add_argument("--drop", type=float, default=0.0, metavar="P", help="probability a message is lost")
    stub.add_argument("--corrupt", type=float, default=0.0, metavar="P",
                      help="probability a message has a flipped bit")
    stub.add_argument("--byte-errors", type=float, default=0.0, metavar="RATE",
                      help="probability each byte is corrupted, per direction, 0 .. 0.1 (a UART's noise; for a "
                           "pty: python -m gnc.hil.noise)")
    stub.add_argument("--fault", action="append", default=[], metavar="NAME=N",
                      help=f"board fault: {', '.join(f + '=N' for f in FAULTS)} (repeatable)")
    p.add_argument("--fsw", default="numba", metavar="BUILD",
                   help="flight-software build of the stub, of the fail-over board and of the vehicles flown "
                        "in this process (a rendezvous' other vehicle): numba, c or c-float "
                        "(C builds where installed; default: numba). The stub runs the C build's HIL protocol "
                        "whatever the build")
    p.add_argument("--out", metavar="DIR", type=Path,
                   help="output directory, created if missing (default: runs/<scenario>-hil-seed<N>)")
    p.add_argument("--seed", type=seed_arg, default=0, metavar="N",
                   help=f"seed of every random draw, 0 .. {MAX_SEED} (default: 0)")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override one scenario key, VALUE in TOML syntax; repeatable")
    p.add_argument("--no-plots", action="store_true", help="skip the PNG plots")
    p.add_argument("-q", "--quiet", action="store_true", help="no status line and no report: only errors")
    p.add_argument("--junit", metavar="PATH", type=Path,
                   help="also write the judged limits as JUnit XML to PATH, outside DIR (see below)")
    p.set_defaults(func=main)
    return p


def main(args) -> int:
    from gnc.cli.common import UsageError
    from gnc.scenario import ScenarioError

    try:
        if args.target == "ports":
            return _ports()
        return _session(args)
    except (ScenarioError, UsageError) as e:
        print(f"gnc: error: {e}", file=sys.stderr)
        return EXIT_BAD_INPUT


def _ports() -> int:
    from gnc.hil.transport import list_ports

    ports = list_ports()
    if not ports:
        print("no serial ports found (boards on USB appear as /dev/ttyACM* or /dev/ttyUSB*; "
              "emulators print the pty they create)")
    for p in ports:
        timer = f"  FTDI latency timer {p['latency_timer_ms']} ms" if p["latency_timer_ms"] is not None else ""
        print(f"{p['device']:<20}{p['description']}  [{p['hwid']}]{timer}")
    return EXIT_OK


def _link_options_ok(args) -> None:
    from gnc.cli.common import UsageError
    from gnc.hil.noise import MAX_BYTE_ERRORS
    from gnc.hil.options import SILENT_PERIODS

    if not (args.port or args.stub or args.emulate):
        raise UsageError("give --port URL (a board), --emulate BOARD (an emulated board) or --stub (no board)")
    if not args.stub:
        used = [f"--{name.replace('_', '-')}" for name in ("latency_ms", "jitter_ms", "drop", "corrupt", "byte_errors")
                if getattr(args, name)] + (["--fault"] if args.fault else [])
        if used:
            raise UsageError(f"{', '.join(used)} only apply to --stub")
    for name in ("latency_ms", "jitter_ms", "hold_s"):
        value = getattr(args, name)
        if not value >= 0.0:
            raise UsageError(f"--{name.replace('_', '-')} must be >= 0, not {value:g}")
    for name in ("timeout_ms", "silence_s"):
        value = getattr(args, name)
        if value is not None and not 0.0 < value < math.inf:
            raise UsageError(f"--{name.replace('_', '-')} must be a positive number, not {value:g}")
    if args.mode == "realtime" and args.silence_s is not None:
        raise UsageError(f"--silence-s is for lockstep; real time declares silence after {SILENT_PERIODS} periods")
    for name in ("drop", "corrupt"):
        if not 0.0 <= getattr(args, name) <= 1.0:
            raise UsageError(f"--{name} is a probability, 0 .. 1")
    if not 0.0 <= args.byte_errors <= MAX_BYTE_ERRORS:
        raise UsageError(f"--byte-errors is a probability per byte, 0 .. {MAX_BYTE_ERRORS:g}, not {args.byte_errors:g}")
    if args.baud is not None and not MIN_BAUD <= args.baud <= MAX_BAUD:
        raise UsageError(f"--baud {args.baud} is out of range (allowed {MIN_BAUD} .. {MAX_BAUD:,})")


def _status_text(s: dict) -> str:
    """A HIL session's status (gnc.hil.session's status dict) as one line."""
    rtt = f"{s['rtt_ms']:.2f} ms" if s["rtt_ms"] == s["rtt_ms"] else "-"
    return (f"{s['flight']} t {s['t']:9,.1f} s  {s['phase']:<18} | rtt {rtt}  lost {s['lost']}  "
            f"bad {s['corrupted']}  late {s['late']}  held {s['held']}  link {s['link']}")


def _session(args) -> int:
    from gnc import junit
    from gnc.cli.common import UsageError, junit_report, prepare_junit, prepare_out_dir
    from gnc.interrupt import sigterm_as_interrupt
    from gnc.scenario import load

    _link_options_ok(args)
    sigterm_as_interrupt()
    sc = load(args.target, args.overrides)
    out = args.out or Path("runs") / f"{sc.name}-hil-seed{args.seed}"
    prepare_out_dir(out)
    prepare_junit(args.junit, out)

    from gnc.core.fsw_c import CBuildUnavailable  # after the checks: these import numba and matplotlib
    from gnc.hil.board import Board, Faults

    try:
        faults = Faults.parse(args.fault, args.seed)
    except ValueError as e:
        raise UsageError(f"--fault: {e}") from None
    try:
        board = Board(args.fsw, faults)         # the stub's, and the check of --fsw for a fail-over
    except (ValueError, CBuildUnavailable) as e:
        raise UsageError(f"--fsw: {e}") from None
    props = {"fsw": args.fsw, "run_dir": str(out), "hil": args.port or ("stub" if args.stub else args.emulate)}
    with junit_report(args.junit, f"gnc hil {sc.name}",
                      lambda why: junit.unjudged_suites(sc, why, properties=props)) as report:
        return _connect(args, sc, out, board, report, props)


def _connect(args, sc, out, board, report, props) -> int:
    """Open the link (a board, an emulated board, the stub) and fly the session over it."""
    from gnc import junit
    from gnc.hil.transport import SerialTransport, StubTransport, TransportError

    emulated = None
    try:
        if args.stub:
            transport = StubTransport(board, args.baud, args.latency_ms / 1e3, args.jitter_ms / 1e3,
                                      args.drop, args.corrupt, args.seed, args.byte_errors)
        elif args.emulate:
            emulated = _start_emulator(args)
            transport = SerialTransport(emulated.port, emulated.baud, not args.no_low_latency)
        else:
            transport = SerialTransport(args.port, args.baud or DEFAULT_BAUD, not args.no_low_latency)
        return _fly(args, sc, out, transport, report, props)
    except TransportError as e:
        print(f"gnc hil: error: {e}", file=sys.stderr)
        report.set(junit.unjudged_suites(sc, f"link failure: {e}", report.elapsed(), props))
        return EXIT_LINK
    finally:
        if emulated is not None:
            emulated.close()


def _start_emulator(args):
    from gnc.cli.common import UsageError
    from gnc.hil.emulate import EmulatedBoard, EmulatorUnavailable

    # a real-time session against a board running at several times its speed would say nothing
    # of the real board's timing: paced to the wall clock, it runs at the board's own speed
    board = EmulatedBoard(args.emulate, args.baud, realtime=args.mode == "realtime")
    if not args.quiet:
        print(f"starting the emulated {args.emulate} board: {board.describe}, {board.baud} baud"
              + (", paced to the wall clock" if board.realtime else ""), file=sys.stderr)
    try:
        board.start()
    except EmulatorUnavailable as e:
        raise UsageError(str(e)) from None
    if not args.quiet:
        print(f"emulated {args.emulate} board on {board.port}, process {board.proc.pid}", file=sys.stderr)
    return board


def _board_baud(args) -> int | None:
    """A paced QEMU board runs at about the board's speed but with no cycle model, behind a pty with
    no wire: in real time the host takes each answer at the board's own step time and its baud's
    wire time (gnc.hil.session's board_baud)."""
    if args.mode != "realtime" or not args.emulate:
        return None
    from gnc.hil.emulate import TARGETS
    target = TARGETS[args.emulate]
    return (args.baud or target.baud) if target.realtime_shift is not None else None


def _fly(args, sc, out, transport, report, props) -> int:
    from gnc import junit, programs
    from gnc.cli.common import fly_into
    from gnc.hil.board import Board
    from gnc.hil.link import write_link
    from gnc.hil.link_report import format_report
    from gnc.hil.session import HandshakeError, run_session
    from gnc.hil.transport import StubTransport, TransportError
    from gnc.output import finish_run

    timeout_ms = args.timeout_ms
    if timeout_ms is None and args.emulate:
        timeout_ms = EMULATED_TIMEOUT_MS    # an emulator shares this machine's cores: slow is not silent
    from gnc.cli.progress import progress

    bar = progress(sys.stderr, f"hil {sc.name}", quiet=args.quiet)

    def finish(result, folder):
        # the link files go into the run's folder, which replaces DIR whole when complete
        flown = len(next(iter(result.telemetry.values()), ()))     # the first flight's rows: one column read
        plots = not args.no_plots and flown > 1
        return finish_run(result.result, folder, plots, provenance={"kind": "hil", "fsw": args.fsw},
                          extra=lambda folder: write_link(result.link, result.link_series, folder, plots))

    try:
        # the telemetry streams into the run's folder as the session flies
        result, written = fly_into(out, lambda telemetry: run_session(
            sc, transport, args.seed, fsw=args.fsw, mode=args.mode, on_silence=args.on_silence,
            on_reset=args.on_reset, on_bad=args.on_bad, hold_s=args.hold_s,
            timeout_s=None if timeout_ms is None else timeout_ms / 1e3, silence_s=args.silence_s,
            status=None if bar is None else lambda s: bar.status(_status_text(s)),
            stub=lambda: StubTransport(Board(args.fsw)), board_baud=_board_baud(args), telemetry=telemetry),
            finish, bar)
    except (HandshakeError, TransportError) as e:
        print(f"gnc hil: error: {e}", file=sys.stderr)
        report.set(junit.unjudged_suites(sc, f"link failure: {e}", report.elapsed(), props))
        return EXIT_LINK
    report.set(junit.run_suites(result.result, report.elapsed(), props))
    if not args.quiet:
        print(programs.get(sc.program).report(result.summary, sc))
        print()
        print(format_report(result.link))
        print(f"\noutputs in {out}{os.sep}: {' '.join(p.name for p in written.values())}")
    outcome = result.summary["outcome"]
    if outcome == "aborted":
        reason = result.summary["hil"]["abort_reason"]
        print(f"gnc hil: error: {reason}", file=sys.stderr)
        return {"interrupted": EXIT_INTERRUPTED, "terminated": EXIT_TERMINATED}.get(reason, EXIT_LINK)
    return EXIT_OK if programs.get(sc.program).succeeded(result.summary) else EXIT_NOT_LANDED
