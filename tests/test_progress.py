"""Progress on every long command (gnc.cli.progress): a bar redrawn in place on a real
terminal (a pseudo-terminal), plain periodic lines off one, nothing with --quiet."""
import fcntl
import io
import os
import pty
import re
import select
import struct
import subprocess
import sys
import termios
import time

from gnc.cli.progress import COMPILING, PERIOD_ENV, Bar, Lines

RUN = ["run", "descent", "--no-plots"]


def _gnc(args, env=None, **kw):
    return subprocess.run([sys.executable, "-m", "gnc.cli", *args], capture_output=True, text=True, timeout=600,
                          env=dict(os.environ, **(env or {})), **kw)


def _percentages(text: str) -> list[int]:
    return [int(p) for p in re.findall(r"(\d+)%", text)]


def test_off_a_terminal_progress_is_plain_lines(tmp_path):
    # every progress a line (period 0): the fractions climb to 100 %, no carriage return
    p = _gnc([*RUN, "--out", str(tmp_path / "every")], {PERIOD_ENV: "0"})
    assert p.returncode == 0, p.stderr
    assert "\r" not in p.stderr
    lines = p.stderr.splitlines()
    assert len(lines) > 10 and all(line.startswith("descent: ") for line in lines), p.stderr
    pct = _percentages(p.stderr)
    assert pct == sorted(pct) and pct[-1] == 100, pct
    assert "writing the outputs" in lines[-1] and lines[-1].endswith(" s in all)"), lines[-1]
    # a period longer than the run: the first line and the last, nothing between
    p = _gnc([*RUN, "--out", str(tmp_path / "two")], {PERIOD_ENV: "1000"})
    assert p.returncode == 0 and len(p.stderr.splitlines()) == 2, p.stderr
    # --quiet: not a line
    p = _gnc([*RUN, "--quiet", "--out", str(tmp_path / "quiet")])
    assert p.returncode == 0 and p.stderr == "" and p.stdout == "", (p.stdout, p.stderr)


def test_a_campaign_counts_its_runs_in_lines(tmp_path):
    p = _gnc(["montecarlo", "descent", "-n", "3", "--no-plots", "--out", str(tmp_path / "mc")], {PERIOD_ENV: "0"})
    assert p.returncode in (0, 1), p.stderr
    counts = re.findall(r"descent: (\d+)/3 runs", p.stderr)
    assert counts[-1] == "3" and [int(c) for c in counts] == sorted(int(c) for c in counts), p.stderr


def test_on_a_terminal_one_bar_is_redrawn_in_place(tmp_path):
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))   # a fresh pty is 0 wide
    p = subprocess.Popen([sys.executable, "-m", "gnc.cli", *RUN, "--out", str(tmp_path / "tty")],
                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=slave)
    os.close(slave)
    seen = b""
    while True:
        ready, _, _ = select.select([master], [], [], 600)
        if not ready:
            break
        try:
            chunk = os.read(master, 65536)
        except OSError:          # EIO: the child closed its end
            break
        if not chunk:
            break
        seen += chunk
    os.close(master)
    out = p.stdout.read().decode()
    assert p.wait() == 0
    text = seen.decode()
    # redrawn with carriage returns on one line, never a new line; tqdm's bar, climbing to 100 %
    # (at least the first draw, the end and the clearing: tqdm skips redraws under 0.1 s apart)
    assert "\n" not in text.replace("\r\n", "") and text.count("\r") >= 3, repr(text[:400])
    assert "|" in text and "\u2588" in text, repr(text[:400])
    pct = _percentages(text)
    assert pct == sorted(pct) and pct[-1] == 100, pct
    # then cleared: the report on stdout is not glued to a bar
    assert text.rstrip(" ").endswith("\r"), repr(text[-200:])
    assert "outputs in" in out


def test_a_cold_start_counts_the_compiling_seconds_until_the_first_progress():
    stream = io.StringIO()
    lines = Lines(stream, "descent", compiling=True, period=0.05)
    deadline = time.monotonic() + 60
    while COMPILING not in stream.getvalue() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert stream.getvalue().startswith(f"descent: {COMPILING}: "), stream.getvalue()
    lines(0.5, "braking")
    time.sleep(0.2)                       # the ticker has stopped: no compiling line after the progress
    lines.close()
    after = stream.getvalue().split("50%")[1]
    assert COMPILING not in after, stream.getvalue()
    lines.status("late")                  # after close: nothing more
    assert stream.getvalue().endswith(" s in all)\n"), stream.getvalue()


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def test_the_bar_always_draws_its_end_however_soon_it_comes():
    """CI saw a bar end at 73 %: the flight's last chunks and "writing the outputs" came
    within tqdm's 0.1 s between redraws, so the end was never drawn, however long the
    outputs then took."""
    screen = _Terminal()
    bar = Bar(screen, "descent")
    bar(0.73, "altitude 4 m")
    bar(1.0, "writing the outputs")            # at once: well inside the 0.1 s
    assert "100%  writing the outputs" in screen.getvalue(), repr(screen.getvalue())
    bar.close()
