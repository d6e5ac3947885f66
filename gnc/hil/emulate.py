"""Emulated boards: the firmware of csrc/firmware/<target> built by its Makefile and run
in an emulator with its UART on a pseudo-terminal, which the HIL session opens with
pyserial like any board.

    avr      ATmega2560 (Arduino Mega 2560) at 16 MHz in simavr, through the small host
             program csrc/firmware/avr/simavr_host.c (cycle-accurate: step_cycles are
             real AVR cycles)
    stm32f4  STM32F405 (netduinoplus2) in qemu-system-arm; QEMU has no DWT, so the
             firmware counts SysTick ticks at QEMU's 168 MHz and says so in its hello.
    mps2-an500  Arm MPS2 with the AN500 image (Cortex-M7, double-precision FPU) in
             qemu-system-arm, the flight software built in double; SysTick at 25 MHz.
    microbit BBC micro:bit v1 (nRF51822, Cortex-M0 at 16 MHz, no FPU) in qemu-system-arm,
             the flight software in soft float; the nRF51's TIMER0 at 16 MHz counts steps
             (the chip has no SysTick, the M0 no cycle counter).
    sifive_e SiFive HiFive1 Rev B (FE310-G002, RV32IMAC, no FPU) in qemu-system-riscv32
             (-M sifive_e,revb=true), the flight software in soft float; mcycle counts the
             steps, which QEMU runs at 1 GHz of virtual time under -icount (the firmware
             measures the rate against the CLINT at boot and its hello says it).
On the QEMU boards with icount=N each guest instruction takes 2^N ns of virtual time,
so a step's time divided by icount_insn_seconds(N) is its exact instruction count.

Emulators run the firmware as fast as the host allows, several times the board's speed.
realtime=True paces them to the wall clock, so a real-time session sees the board's own
speed (its step times and overruns are what the desk's board would show): simavr_host
--realtime sleeps whenever the simulated time runs ahead of the wall clock (cycle-accurate:
the AVR's real speed); QEMU runs with -icount shift=S,sleep=on,align=on, each instruction
2^S ns of virtual time (the target's realtime_shift by default: a speed, not a cycle
model), delayed when its clock runs ahead of the host's; a guest that has fallen behind still
runs each step as fast as the host allows, so read its board step, not the host's margins
(docs/firmware.md).  `gnc hil --emulate BOARD --mode realtime` paces.

`gnc board emulate`, `gnc hil --emulate` and the tests use EmulatedBoard:

    with EmulatedBoard("avr") as board:        # builds if needed, starts, waits for the port
        run_session(sc, SerialTransport(board.port, board.baud))

A missing tool raises EmulatorUnavailable, one line naming the Debian package.
"""
from __future__ import annotations

import ctypes
import fcntl
import functools
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

FIRMWARE = Path(__file__).resolve().parents[2] / "csrc" / "firmware"
BOOT_TIMEOUT_S = 60.0         # for an emulator that never prints its port, not a speed limit (a busy machine)
MONITOR_TIMEOUT_S = 30.0      # for a QEMU monitor that never answers, not a speed limit
PR_SET_PDEATHSIG = 1           # linux/prctl.h
QEMU_ARM = ("qemu-system-arm", "qemu-system-arm")
ARM_GCC = (("make", "make"), ("arm-none-eabi-gcc", "gcc-arm-none-eabi"),
           ("/usr/lib/arm-none-eabi/newlib", "libnewlib-arm-none-eabi"))
RISCV_GCC = (("make", "make"), ("riscv64-unknown-elf-gcc", "gcc-riscv64-unknown-elf"),
             ("/usr/lib/picolibc/riscv64-unknown-elf", "picolibc-riscv64-unknown-elf"),
             ("qemu-system-riscv32", "qemu-system-misc"))


def icount_insn_seconds(shift: int) -> float:
    """Virtual seconds per guest instruction under qemu -icount shift=N, whatever clock
    the board's step counter runs at."""
    return 2.0 ** shift * 1e-9


class EmulatorUnavailable(RuntimeError):
    """A tool the emulated board needs is missing, or the build failed; str() is one line."""


@dataclass(frozen=True)
class Target:
    name: str
    folder: str
    describe: str
    board: str                      # the Makefile's MCU or BOARD the emulator runs
    baud: int                       # default build: what the emulator runs fastest with
    tools: tuple[tuple[str, str], ...]      # (command or file, Debian package)
    emulator: str                   # simavr, or the qemu-system-* that runs board as its -M machine
    # paced QEMU (realtime): -icount shift, 2^shift ns per guest instruction, the power of two
    # nearest the board's rate at about one instruction per cycle; None: simavr paces by cycles
    realtime_shift: int | None = None
    machine: str = ""               # QEMU's -M when it is more than board (machine options)

    def firmware(self, baud: int) -> Path:
        return FIRMWARE / self.folder / "build" / f"{self.board}-{baud}" / "firmware.elf"


TARGETS = {
    # simavr models the baud rate in simulated time: 1 Mbaud (exact at 16 MHz) keeps a
    # step's 283 bytes at 2.8 ms instead of 24.6 ms.
    "avr": Target("avr", "avr", "ATmega2560 (Arduino Mega 2560), 16 MHz, in simavr", "atmega2560", 1_000_000,
                  (("make", "make"), ("gcc", "gcc"), ("avr-gcc", "gcc-avr"),
                   ("/usr/lib/avr/include/avr/io.h", "avr-libc"), ("/usr/include/simavr/sim_avr.h", "libsimavr-dev")),
                  "simavr"),
    # QEMU does not model the baud rate.
    "stm32f4": Target("stm32f4", "stm32f4", "STM32F405 (netduinoplus2), Cortex-M4F, in QEMU", "netduinoplus2",
                      115_200, (*ARM_GCC, QEMU_ARM), "qemu-system-arm", 3),       # 168 MHz: 8 ns
    "mps2-an500": Target("mps2-an500", "mps2_an500", "Arm MPS2 AN500, Cortex-M7 with a double FPU, flight "
                         "software in double, in QEMU", "mps2-an500", 115_200, (*ARM_GCC, QEMU_ARM),
                         "qemu-system-arm", 5),                                          # 25 MHz: 32 ns
    "microbit": Target("microbit", "microbit", "BBC micro:bit v1 (nRF51822), Cortex-M0 at 16 MHz without an FPU, "
                       "flight software in soft float, in QEMU", "microbit", 115_200, (*ARM_GCC, QEMU_ARM),
                       "qemu-system-arm", 6),                                            # 16 MHz: 64 ns
    # revb=true: the mask ROM jumps to 0x20010000, where the Rev B's bootloader jumps too
    "sifive_e": Target("sifive_e", "sifive_e", "SiFive HiFive1 Rev B (FE310-G002), RV32IMAC at 16 MHz without an "
                       "FPU, flight software in soft float, in QEMU", "sifive_e", 115_200, RISCV_GCC,
                       "qemu-system-riscv32", 6, "sifive_e,revb=true"),                  # 16 MHz: 64 ns
}


def qemu_targets() -> tuple[str, ...]:
    """The targets QEMU runs (the ones with -icount)."""
    return tuple(name for name, t in TARGETS.items() if t.emulator.startswith("qemu"))


def missing(target: str) -> str | None:
    """One line naming what target lacks on this machine, or None."""
    absent = [pkg for tool, pkg in TARGETS[target].tools
              if not (Path(tool).exists() if tool.startswith("/") else shutil.which(tool))]
    if not absent:
        return None
    return (f"the emulated {target} board needs Debian packages that are not installed: {' '.join(absent)} "
            f"(apt-get install --no-install-recommends {' '.join(absent)})")


def build(target: str, baud: int | None = None) -> Path:
    """make the firmware (and for avr the simavr host); returns the ELF."""
    t = TARGETS[target]
    why = missing(target)
    if why:
        raise EmulatorUnavailable(why)
    baud = baud or t.baud
    goals = ["all", "emulator"] if target == "avr" else ["all"]
    folder = FIRMWARE / t.folder
    (folder / "build").mkdir(exist_ok=True)
    # one make per folder at a time: two test workers building the same ELF would interleave its objects
    with open(folder / "build" / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        p = subprocess.run(["make", "-s", "-C", str(folder), f"BAUD={baud}", *goals], capture_output=True, text=True)
    if p.returncode:
        tail = (p.stderr or p.stdout).strip().splitlines()[-1:] or ["(no output)"]
        raise EmulatorUnavailable(f"building the {target} firmware failed: {tail[0]}")
    return t.firmware(baud)


def die_with_parent(parent: int) -> None:
    """In the child before exec (Linux): the kernel kills it when the host's thread that
    started it ends, whatever ends it (SIGKILL included), so no emulator outlives its host."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG)")
    if os.getppid() != parent:           # the host died before the prctl: nobody to signal it
        os._exit(1)


class EmulatedBoard:
    """One emulator process with the firmware; .port is its pty.  Faults for tests and
    demos: reset() (the reset button), freeze()/thaw() (a hung board), kill() (the
    board and its port vanish)."""

    def __init__(self, target: str, baud: int | None = None, icount: int | None = None, realtime: bool = False):
        if target not in TARGETS:
            raise ValueError(f"unknown board {target!r}: one of {', '.join(TARGETS)}")
        if icount is not None and not TARGETS[target].emulator.startswith("qemu"):
            raise ValueError(f"icount applies to the QEMU boards only: {', '.join(qemu_targets())}")
        if realtime and icount is None:
            icount = TARGETS[target].realtime_shift
        self.target, self.icount, self.realtime = target, icount, realtime
        self.baud = baud or TARGETS[target].baud
        self.describe = TARGETS[target].describe
        self.proc: subprocess.Popen | None = None
        self.port = ""
        self._tmp = tempfile.TemporaryDirectory(prefix=f"gnc-{target}-")
        self._monitor = os.path.join(self._tmp.name, "monitor.sock")

    def _command(self, elf: Path) -> list[str]:
        if self.target == "avr":
            return [str(FIRMWARE / "avr" / "build" / "simavr_host"), *(["--realtime"] if self.realtime else []),
                    str(elf), "atmega2560", "16000000"]
        t = TARGETS[self.target]
        cmd = [t.emulator, "-M", t.machine or t.board, "-display", "none", "-nic", "none", "-serial", "pty",
               "-monitor", f"unix:{self._monitor},server=on,wait=off", "-kernel", str(elf)]
        if self.icount is None:
            return cmd
        # align=on: QEMU sleeps whenever the virtual clock runs ahead of the host's
        return cmd + ["-icount", f"shift={self.icount}" + (",sleep=on,align=on" if self.realtime else "")]

    def start(self, elf: Path | None = None) -> "EmulatedBoard":
        """Build the target's firmware and run it, or run elf (built elsewhere, e.g. the
        Arduino sketch) on this target's emulator."""
        if elf is None:
            elf = build(self.target, self.baud)
        elif self.target == "avr":
            build(self.target, self.baud)        # the simavr host
        self.proc = subprocess.Popen(self._command(elf), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, start_new_session=True,
                                     preexec_fn=functools.partial(die_with_parent, os.getpid())
                                     if sys.platform == "linux" else None)
        self.port = self._await_port()
        return self

    def _await_port(self) -> str:
        """The pty path the emulator prints: simavr_host "PTY /dev/pts/N", QEMU
        "char device redirected to /dev/pts/N (label serial0)"."""
        end, text = time.monotonic() + BOOT_TIMEOUT_S, b""
        pattern = re.compile(rb"(?:PTY |redirected to )(/dev/\S+)")
        while not (m := pattern.search(text)):
            left = end - time.monotonic()
            if left <= 0 or not select.select([self.proc.stdout], [], [], left)[0]:
                self.close()
                raise EmulatorUnavailable(f"the {self.target} emulator printed no port within {BOOT_TIMEOUT_S:g} s")
            chunk = os.read(self.proc.stdout.fileno(), 4096)
            if not chunk:
                code = self.proc.wait()
                self.close()
                last = text.decode(errors="replace").strip().splitlines()[-1:] or [""]
                raise EmulatorUnavailable(f"the {self.target} emulator exited ({code}) before its port: {last[0]}")
            text += chunk
        return m.group(1).decode()

    def _signal(self, sig: int) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, sig)

    def reset(self) -> None:
        """Reset the MCU, as its reset pin does: the firmware reboots and says hello."""
        if self.target == "avr":
            self._signal(signal.SIGUSR1)
            return
        with socket.socket(socket.AF_UNIX) as s:
            s.settimeout(MONITOR_TIMEOUT_S)
            s.connect(self._monitor)
            s.sendall(b"system_reset\n")
            # the monitor prompts on connect and again once it has run the command: closing
            # the socket before that may lose the command when a busy machine holds QEMU back
            seen = b""
            while seen.count(b"(qemu)") < 2:
                chunk = s.recv(4096)
                if not chunk:
                    raise EmulatorUnavailable("the QEMU monitor closed before it ran system_reset")
                seen += chunk

    def freeze(self) -> None:
        self._signal(signal.SIGSTOP)

    def thaw(self) -> None:
        self._signal(signal.SIGCONT)

    def kill(self) -> None:
        self._signal(signal.SIGKILL)
        if self.proc is not None:
            self.proc.wait()

    def close(self) -> None:
        if self.proc is not None:
            self._signal(signal.SIGCONT)
            self._signal(signal.SIGTERM)
            try:
                self.proc.wait(3)
            except subprocess.TimeoutExpired:
                self.kill()
            self.proc.stdout.close()
            self.proc = None
        self._tmp.cleanup()

    def __enter__(self) -> "EmulatedBoard":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()
