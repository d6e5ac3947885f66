"""The link report of a HIL session as text, from the dict gnc.hil.link records (link.json):
printed after a session and shown in its report.html.  Apart from gnc.hil.link, which
writes the run's outputs, so that the page can read it without importing them."""
from __future__ import annotations

LINK_JSON = "link.json"
REFERENCE_BAUDS = (115200, 921600)      # the wire-time limit is given at these rates


def _board_line(board: dict, frames: dict) -> str:
    """The board's counters beside the host's: where a lockstep retransmission's frame was lost."""
    line = (f"board      counted: undecodable {board['bad']}, gaps {board['gaps']} (the host moved past a frame it "
            f"never got), repeats {board['repeats']} (a frame it had answered, asked again)")
    retried = frames["retransmitted"]
    if retried:
        line += (f"; of the host's {retried} retransmissions, {board['repeats']} followed an answer lost or late on "
                 f"the way down and {max(retried - board['repeats'], 0)} a sensor frame lost on the way up")
    return line


def _by_board(frames: dict) -> str:
    n = frames.get("late_by_board", 0)      # absent from link.json written before it was counted
    return f" ({n} by the board's own step time)" if n else ""


def format_report(link: dict) -> str:
    """The link report printed after a session."""
    def ms(d, key="p50"):
        return "-" if not d else f"{d[key] * 1e3:.3f}"

    f = link["frames"]
    b = link["board"] or {}
    rates = ", ".join(f"{ph['name']} {1.0 / ph['period_s']:g} Hz" for ph in link["phases"])
    lines = [f"link       {link['mode']}, {rates}, {link['steps']} exchanges, board {b.get('name', '?')}"]
    for tr in link["transports"]:
        lines.append(f"           {tr.get('describe', tr.get('transport'))}")
    lines += [f"frames     sent {f['sent']} (retransmitted {f['retransmitted']}), received {f['received']}: "
              f"on time {f['on_time']}, late {f['late']}{_by_board(f)}, lost {f['lost']}, corrupted {f['corrupted']}, "
              f"duplicate {f['duplicate']}, stray {f['stray']}; held steps {f['held_steps']}; "
              f"garbled before a hello {f['garbled_before_hello']}",
              _board_line(link["board_counters"], f),
              f"{'':<22}{'p50 ms':>10}{'p99 ms':>10}{'max ms':>10}"]
    several = len(link["phases"]) > 1
    for part in link["phases"] if several else [link]:
        if several:
            pf = part["frames"]
            lines.append(f"  {part['name']}: {part['steps']} exchanges, on time {pf['on_time']}, late {pf['late']}, "
                         f"lost {pf['lost']}, held {pf['held_steps']}, retransmitted {pf['retransmitted']}")
        for label, key in (("round trip", "round_trip_s"), ("board step", "board_step_s"),
                           ("loop period", "loop_period_s"), ("period jitter", "period_jitter_s"),
                           ("send late", "send_late_s")):
            d = part[key]
            if d is None and key in ("period_jitter_s", "send_late_s"):    # lockstep: no schedule to miss
                continue
            lines.append(f"  {label:<20}{ms(d):>10}{ms(d, 'p99'):>10}{ms(d, 'max'):>10}")
    limit = link["wire_time_limit"]
    session = limit.get("session_baud")
    limits = [f"{limit['round_trip_s'][str(b)] * 1e3:.2f} ms at {b} baud" + (" (this link)" if b == session else "")
              for b in REFERENCE_BAUDS]
    if session and session not in REFERENCE_BAUDS:
        limits.insert(0, f"{limit['round_trip_s']['session'] * 1e3:.2f} ms at {session:g} baud (this link)")
    lines.append(f"wire time  {limit['sensor_bytes']} + {limit['actuator_bytes']} bytes a step: {', '.join(limits)}")
    noise = link.get("noise")
    if noise:
        w, rate = noise["waits"], noise["board_to_host_message_error_rate"]
        line = (f"noise      {noise['classification']}: waits answered {w['answered']}, missed with garbage heard "
                f"(noisy) {w['noisy']}, missed in silence (empty) {w['empty']}; board->host message error rate "
                + ("-" if rate is None else f"{rate:.3g}"))
        for inj in noise["injected"]:
            up, down = inj["host_to_board"], inj["board_to_host"]
            line += (f"; injected byte error rate {inj['rate']:g}: host->board {up['corrupted_bytes']} of "
                     f"{up['bytes']} bytes, board->host {down['corrupted_bytes']} of {down['bytes']}")
        lines.append(line)
    if link["margin_s"]:
        lines.append(f"timing     overruns {link['overruns']}, slips {link['slips']}, "
                     f"smallest margin {link['margin_s']['min'] * 1e3:.3f} ms")
    for e in link["events"]:
        where = f"{e['flight']} " if several and e.get("flight") else ""
        lines.append(f"event      {where}step {e['step']} (t {e['t']:.2f} s): {e['event']}: {e['detail']}")
    return "\n".join(lines)
