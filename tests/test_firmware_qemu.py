"""The Cortex-M4F, Cortex-M7, Cortex-M0 and RISC-V firmware in QEMU: lockstep descents, resets.
"""
import json
import re
import subprocess
import sys

import numpy as np
import pytest
from firmware_boards import (DESCENT_DEADLINE_S, M4F_SC, MISSION_DEADLINE_S, REPLY_WAIT_S, SHORT_DEADLINE_S, TIMEOUT_S,
                             ends_session, flight_software_columns, landed_like_gnc_run, need)
from scripted import Scripted

from gnc.core.pdg.solver import MAX_ITERS
from gnc.hil.board import Board
from gnc.hil.emulate import FIRMWARE, EmulatedBoard
from gnc.hil.link import round_trip_wire_time
from gnc.hil.session import GUARD_S, HandshakeError, run_session
from gnc.hil.transport import SerialTransport, StubTransport
from gnc.scenario import load


@pytest.mark.long
def test_emulated_cortex_m4f_flies_the_whole_mission_over_one_link(deadline, tmp_path):
    """`gnc hil --emulate stm32f4 mission`: the board is the lander-ascender's computer from
    the descent through the surface stay and the ascent to the capture, over one link.
    ~134,000 exchanges at QEMU's ~100-150 lockstep exchanges a second (its USART takes a
    byte per main-loop turn): longer than CI allows, so `python -m pytest -m long`."""
    need("stm32f4")
    deadline(MISSION_DEADLINE_S)
    p = subprocess.run([sys.executable, "-m", "gnc.cli", "hil", "--emulate", "stm32f4", "mission", "--out",
                        str(tmp_path), "--no-plots"], capture_output=True, text=True)
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-2000:]
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["outcome"] == "captured" and summary["failures"] == []
    assert summary["descent"]["outcome"] == "landed" and summary["ascent"]["outcome"] == "inserted"
    link = json.loads((tmp_path / "link.json").read_text())
    assert [ph["name"] for ph in link["phases"]] == ["descent", "ascent", "rendezvous"]
    assert [h["board"].split()[0] for h in link["handshakes"]] == ["netduinoplus2", "netduinoplus2"]
    assert any(e["event"] == "uplink" and e["flight"] == "rendezvous" for e in link["events"])
    assert link["frames"]["lost"] == link["frames"]["held_steps"] == 0
    assert {f"telemetry-{phase}.arrow" for phase in ("descent", "ascent", "rendezvous")} <= {
        p.name for p in tmp_path.iterdir()}
    print(f"\nemulated STM32F405, mission: {link['steps']} exchanges, "
          + ", ".join(f"{ph['name']} {ph['steps']}" for ph in link["phases"]))


def test_emulated_cortex_m4f_flies_the_descent_at_10_hz_and_lands(deadline):
    need("stm32f4")
    deadline(DESCENT_DEADLINE_S)
    with EmulatedBoard("stm32f4") as board:
        r = run_session(M4F_SC, SerialTransport(board.port, board.baud), timeout_s=TIMEOUT_S)
    landed_like_gnc_run(r.summary, M4F_SC)
    assert len(r.telemetry["t"]) == r.link["steps"] and r.link["frames"]["lost"] == r.link["frames"]["held_steps"] == 0
    hello = r.link["handshakes"][0]["board"]
    assert hello.startswith("netduinoplus2 f32")
    print(f"\nemulated STM32F405: {r.link['steps']} steps, round trip p50 "
          f"{r.link['round_trip_s']['p50'] * 1e3:.2f} ms")


# the STM32F405 build's room for the fuel-optimal law (csrc/firmware/stm32f4/Makefile PDG_N_MAX):
# its solver memory and everything else in the 128 KB SRAM, as QEMU's netduinoplus2 has no CCM
M4F_PDG_NODES = 21


@pytest.mark.long
@pytest.mark.parametrize("budget", [0, 6])
def test_emulated_cortex_m4f_flies_the_fuel_optimal_law_at_10_hz_and_lands(deadline, budget):
    """`gnc hil --emulate stm32f4 descent --set guidance.law=pdg`: the config carries the law
    and its settings (protocol 7), the board lays the law out in its static memory and steps
    it with fsw_step_pdg, solving on the board (the host steps no flight software over a
    link).  N = 21 nodes, the build's room; 10 Hz as the other M4F descents; with no planning
    budget (a final-time search in one step) and with 6 iterations a step (protocol 8: every
    step within ~12 M instructions, bench/pdg_board_steps.py).  ~3 minutes each on the 2-core
    machine (the flight ~105 s, and the in-process reference `gnc run` flies for the phases):
    `python -m pytest -m long`."""
    need("stm32f4")
    deadline(DESCENT_DEADLINE_S)
    sc = load("descent", ["sim.fsw_rate_hz=10", "guidance.law=pdg", f"guidance.pdg_nodes={M4F_PDG_NODES}",
                          f"guidance.pdg_step_iters={budget}"])
    with EmulatedBoard("stm32f4") as board:
        r = run_session(sc, SerialTransport(board.port, board.baud), timeout_s=TIMEOUT_S)
    landed_like_gnc_run(r.summary, sc)
    assert len(r.telemetry["t"]) == r.link["steps"] and r.link["frames"]["lost"] == r.link["frames"]["held_steps"] == 0
    assert r.link["handshakes"][0]["board"].startswith("netduinoplus2 f32")
    # the board's solver counters, from its actuator frames (protocol 9): it planned, and held its budget
    per_solve = MAX_ITERS + 1                 # a solve's most iterations, its start counted
    g = r.summary["guidance"]
    assert g["solves"] > 50 and g["iterations_max"] <= per_solve
    assert g["step_iterations_max"] == budget if budget else g["step_iterations_max"] > per_solve
    td = r.summary["touchdown"]
    print(f"\nemulated STM32F405, pdg N = {M4F_PDG_NODES}, budget {budget}: {r.link['steps']} steps, propellant "
          f"{r.summary['propellant_used_kg']:.1f} kg, touchdown {td['vertical_speed_mps']:.2f} m/s vertical, "
          f"{td['horizontal_speed_mps']:.2f} m/s horizontal; {g['solves']} solves, at most {g['step_iterations_max']} "
          "iterations a step")


def test_the_emulated_cortex_m4f_lays_the_fuel_optimal_law_out_at_its_room_and_steps_it(deadline):
    """CI's share of the long flight above: the board with room for the law accepts a config
    asking for it at its room (the law's layout and the solver's symbolic step run on the
    board before it answers `config ok`) and answers a descent step with it, not config_bad."""
    import time

    from gnc import wire
    from gnc.core import layout as L
    from gnc.hil.session import Link, handshake
    from gnc.programs.descent.assemble import assemble

    need("stm32f4")
    deadline(SHORT_DEADLINE_S)
    sc = load("descent", ["sim.fsw_rate_hz=10", "guidance.law=pdg", f"guidance.pdg_nodes={M4F_PDG_NODES}"])
    cfg = assemble(sc, seed=0).cfg
    with EmulatedBoard("stm32f4") as board:
        link = Link(SerialTransport(board.port, board.baud))
        handshake(link, cfg)                                  # HandshakeError on "config bad ..."
        sf = np.zeros(L.SF_LEN)
        sf[L.SF_CMD] = 1
        seq = link.next_seq()
        link.send(wire.encode_sensor(seq, sf))
        answer = link.receive(time.perf_counter() + REPLY_WAIT_S)
        link.transport.close()
    assert answer is not None and (answer.kind, answer.seq) == ("actuator", seq)
    assert not int(answer.payload[L.AF_HEALTH]) & L.HEALTH_CONFIG_BAD


@pytest.mark.parametrize("target, refusal", [("stm32f4", f"config bad pdg nodes 25 room 3..{M4F_PDG_NODES}' (this "
                                                         f"board holds {M4F_PDG_NODES} plan nodes at most: --set "
                                                         f"guidance.pdg_nodes={M4F_PDG_NODES})"),
                                             ("microbit", "config bad pdg no room (PDG_N_MAX 0)'")])
def test_an_emulated_board_without_room_refuses_the_fuel_optimal_law_in_one_line(deadline, target, refusal):
    """The scenario's 25 nodes need more than the STM32F405 build's room, and a board built
    without the law (16 KB of RAM) has none: each says so to the config, and the host raises
    it before flying anything, with the setting that fits where there is one."""
    need(target)
    deadline(SHORT_DEADLINE_S)
    sc = load("descent", ["sim.fsw_rate_hz=10", "guidance.law=pdg"])
    with EmulatedBoard(target) as board:
        with pytest.raises(HandshakeError, match=re.escape(f"refused the config: '{refusal}")):
            run_session(sc, SerialTransport(board.port, board.baud), timeout_s=TIMEOUT_S)


def test_emulated_cortex_m7_flies_the_descent_in_double_step_for_step_as_the_reference(deadline):
    """The M7 flies the double build on its FPU: with the portable math functions
    (csrc/pmath.c) and strict C99's unfused multiply-adds, every number it answers is the
    numba reference's behind the same codec (the stub board), step for step; only the
    board's own step time differs."""
    need("mps2-an500")
    deadline(DESCENT_DEADLINE_S)
    with EmulatedBoard("mps2-an500") as board:
        r = run_session(M4F_SC, SerialTransport(board.port, board.baud), timeout_s=TIMEOUT_S)
    landed_like_gnc_run(r.summary, M4F_SC)
    assert len(r.telemetry["t"]) == r.link["steps"] and r.link["frames"]["lost"] == r.link["frames"]["held_steps"] == 0
    assert r.link["board"]["name"].startswith("mps2-an500 f64") and r.link["board"]["real_size"] == 8
    reference = run_session(M4F_SC, StubTransport(Board("numba")), timeout_s=TIMEOUT_S).telemetry
    assert set(r.telemetry) == set(reference)
    for name in flight_software_columns(reference):
        np.testing.assert_array_equal(r.telemetry[name], reference[name], err_msg=name)
    assert r.link["board_counters"]["bad"] == r.link["board_counters"]["gaps"] == 0    # repeats: retries under load
    print(f"\nemulated Cortex-M7 (double): {r.link['steps']} steps as the reference's, round trip p50 "
          f"{r.link['round_trip_s']['p50'] * 1e3:.2f} ms")


@pytest.mark.parametrize("target, rate_hz, core", [("microbit", 10, "Cortex-M0"), ("sifive_e", 5, "RV32IMAC")],
                         ids=["cortex_m0", "risc_v"])
def test_a_board_without_an_fpu_flies_the_descent_and_lands(deadline, target, rate_hz, core):
    """The micro:bit's Cortex-M0 and the HiFive1 Rev B's RV32IMAC have no FPU (every float operation
    a libgcc call) and 16 KB of RAM for the whole flight software.  The RISC-V flies 5 Hz: QEMU's
    sifive_e UART takes one byte per main-loop turn, so a step costs the host several ms."""
    need(target)
    deadline(DESCENT_DEADLINE_S)
    sc = load("descent", [f"sim.fsw_rate_hz={rate_hz}"])
    with EmulatedBoard(target) as board:
        r = run_session(sc, SerialTransport(board.port, board.baud), timeout_s=TIMEOUT_S)
    landed_like_gnc_run(r.summary, sc)
    f = r.link["frames"]
    assert len(r.telemetry["t"]) == r.link["steps"] == f["on_time"] and f["lost"] == f["held_steps"] == 0
    assert r.link["board"]["name"] == f"{target} f32 reset:power-on" and r.link["board"]["real_size"] == 4
    print(f"\nemulated {core}: {r.link['steps']} steps, board step p50 "
          f"{r.link['board_step_s']['p50'] * 1e3:.2f} ms")


def test_a_paced_qemu_board_is_late_where_its_own_step_time_says_a_board_on_a_desk_would_be(deadline):
    """QEMU paced with -icount runs the guest's instructions at the board's rate, but it falls behind the
    host's clock and then answers as fast as the host allows (docs/firmware.md), so the host's round trip
    says nothing of the board's.  With board_baud (what `gnc hil --emulate microbit --mode realtime` sets) an
    answer counts from the send plus both frames' wire time plus the board's own step (its clock): at
    10 Hz the micro:bit's ~21 ms step and 115200 baud's ~26 ms of wire fit a 100 ms period; at 25 Hz
    (40 ms) almost none fit, and each that does not is late however soon the emulator sent it."""
    need("microbit")
    deadline(SHORT_DEADLINE_S)
    wire_s = round_trip_wire_time(115_200)
    for rate in (10, 25):
        sc = load("descent", [f"sim.fsw_rate_hz={rate}", "sim.max_duration_s=3"])
        with EmulatedBoard("microbit", realtime=True) as board:
            r = run_session(sc, SerialTransport(board.port, board.baud), mode="realtime", board_baud=board.baud)
        step, held = r.link_series["board_step"], r.link_series["held"]
        answered = np.isfinite(step)
        too_slow = answered & (step + wire_s > 1 / rate - GUARD_S)     # on a desk: past the deadline
        f = r.link["frames"]
        print(f"\npaced micro:bit at {rate} Hz: board step {np.nanmin(step) * 1e3:.1f}-{np.nanmax(step) * 1e3:.1f} ms,"
              f" wire {wire_s * 1e3:.1f} ms; on time {f['on_time']}, late {f['late']} ({f['late_by_board']} by the "
              f"board), {too_slow.sum()} steps too slow for the period")
        assert answered.sum() > 0.9 * r.link["steps"]
        assert (held[too_slow] == 1).all() and f["on_time"] <= (answered & ~too_slow).sum()
        if rate == 10:
            assert not too_slow.any() and f["late_by_board"] == 0
        else:
            assert too_slow.sum() > 0.9 * r.link["steps"] and f["late_by_board"] > 0


def test_emulated_risc_v_says_power_on_then_warm_across_a_reset_and_counts_virtual_time(deadline):
    """QEMU 7.2 keeps no reset cause for the FE310: the marker outside .bss tells the first
    start from a reset.  Under -icount its mcycle counts virtual nanoseconds, which the
    firmware measures against the CLINT at every start: the hello says 1 GHz."""
    need("sifive_e")
    deadline(SHORT_DEADLINE_S)
    with EmulatedBoard("sifive_e", icount=3) as board:
        r = run_session(M4F_SC, Scripted(board.port, board.baud, {150: lambda link: board.reset(),
                                                                  300: ends_session(board)}),
                        on_reset="resume", timeout_s=TIMEOUT_S)
    assert [e["event"] for e in r.link["events"]][:2] == ["board reset", "resumed"]
    assert [h["board"] for h in r.link["handshakes"]] == ["sifive_e f32 reset:power-on", "sifive_e f32 reset:warm"]
    assert r.link["board"]["clock_hz"] == 1_000_000_000            # the hello after the reset
    assert len(r.telemetry["t"]) >= 290


def test_the_risc_v_double_build_answers_with_the_references_numbers(deadline, tmp_path):
    """REAL=double on the FE310 (soft double: libgcc's __muldf3, ... and pmath.c): the first
    200 steps of the 10 Hz descent, every telemetry column but the step time, equal the stub
    board's running the numba reference, as the M7's double build does over a whole descent."""
    need("sifive_e")
    deadline(SHORT_DEADLINE_S)
    p = subprocess.run(["make", "-s", "-C", str(FIRMWARE / "sifive_e"), "REAL=double", f"BUILD={tmp_path}", "all"],
                       capture_output=True, text=True)
    assert p.returncode == 0, p.stderr[-2000:]
    board = EmulatedBoard("sifive_e").start(elf=tmp_path / "firmware.elf")
    try:
        r = run_session(M4F_SC, Scripted(board.port, board.baud, {200: ends_session(board)}), timeout_s=TIMEOUT_S)
    finally:
        board.close()
    assert r.link["board"]["name"] == "sifive_e f64 reset:power-on" and r.link["board"]["real_size"] == 8
    n = len(r.telemetry["t"])
    assert n >= 190
    reference = run_session(M4F_SC, StubTransport(Board("numba")), timeout_s=TIMEOUT_S).telemetry
    for name in flight_software_columns(reference):
        np.testing.assert_array_equal(r.telemetry[name], reference[name][:n], err_msg=name)
    assert r.link["board_counters"]["bad"] == r.link["board_counters"]["gaps"] == 0    # repeats: retries under load


@pytest.mark.parametrize("target, build", [("mps2-an500", "f64"), ("microbit", "f32")], ids=["cortex_m7", "cortex_m0"])
def test_an_emulated_cortex_m_says_power_on_then_warm_across_a_reset_and_is_resumed(deadline, target, build):
    """The M7's MPS2 keeps no reset cause, and QEMU does not model the nRF51's: a marker outside .bss
    tells the first start from a reset, and the session handshakes again and flies on."""
    need(target)
    deadline(SHORT_DEADLINE_S)
    with EmulatedBoard(target) as board:
        r = run_session(M4F_SC, Scripted(board.port, board.baud, {150: lambda link: board.reset(),
                                                                  300: ends_session(board)}),
                        on_reset="resume", timeout_s=TIMEOUT_S)
    assert [e["event"] for e in r.link["events"]][:2] == ["board reset", "resumed"]
    assert [h["board"] for h in r.link["handshakes"]] == [f"{target} {build} reset:power-on",
                                                          f"{target} {build} reset:warm"]
    assert len(r.telemetry["t"]) >= 290


@pytest.mark.parametrize("target", ["stm32f4", "mps2-an500", "microbit", "sifive_e"])
def test_configs_queued_behind_a_step_beyond_the_receive_ring_all_land(deadline, target):
    """A sensor frame and four configs behind it (2.7 KB, ten times the firmware's 256-byte
    ring) in one write, as a host's retries pile up while a board is busy or QEMU is not
    reading the pty.  QEMU hands the bytes over as fast as the receive interrupt takes them,
    so while the main loop steps they overran the ring; the board must hold the rest in its
    UART (QEMU then stops reading), answer the step, acknowledge all four configs and count
    nothing dropped.  Its count is since boot: the baseline is its answer to the step, read
    before the configs, as the host's LinkStats takes the first answer after a handshake.
    Under load the host's first reset can reach QEMU while the board boots, before its USART
    is enabled: QEMU drops the head and the board counts the tail (in 8 of 45 boots of this
    exchange, three at once beside two busy loops on 2 cores, always before the step), a
    count that is the boot's, not the burst's."""
    import time
    import zlib

    from gnc import wire
    from gnc.core import layout as L
    from gnc.hil.session import Link, handshake
    from gnc.programs.descent.assemble import assemble

    need(target)
    deadline(SHORT_DEADLINE_S)
    cfg = assemble(M4F_SC, seed=0).cfg
    with EmulatedBoard(target) as board:
        link = Link(SerialTransport(board.port, board.baud))
        handshake(link, cfg)
        sf = np.zeros(L.SF_LEN)
        sf[L.SF_CMD] = 1
        step = link.next_seq()
        seqs = [link.next_seq() for _ in range(4)]
        link.send(wire.encode_sensor(step, sf) + b"".join(wire.encode_config(seq, cfg) for seq in seqs))
        answers, end = {}, time.perf_counter() + REPLY_WAIT_S
        while len(answers) < 5 and (msg := link.receive(end)):
            answers[msg.seq] = msg
        link.send(wire.encode_sensor(link.next_seq(), sf))
        last = link.receive(time.perf_counter() + REPLY_WAIT_S)
        link.transport.close()
    assert answers[step].kind == "actuator"
    ok = f"config ok {zlib.crc32(wire.LAYOUTS['config'].pack(cfg)):08x}"
    assert [answers[seq].payload if seq in answers else None for seq in seqs] == [ok] * 4
    assert last.kind == "actuator" and last.payload[L.AF_BOARD_BAD] == answers[step].payload[L.AF_BOARD_BAD]
