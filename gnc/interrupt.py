"""SIGTERM (kill, systemd, a CI timeout) taken as Ctrl-C: raised where KeyboardInterrupt is,
so a run, a campaign and a HIL session end on it as they end on Ctrl-C (`gnc run` and
`gnc hil` then exit 143, not 130, and say "terminated")."""
from __future__ import annotations

import signal
import threading
from contextlib import contextmanager


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where Ctrl-C raises KeyboardInterrupt, so both take one path."""


def sigterm_as_interrupt() -> None:
    """Handle SIGTERM as Ctrl-C from here on (the main thread's handler)."""
    def raise_terminated(signum, frame):
        raise Terminated()
    signal.signal(signal.SIGTERM, raise_terminated)


def reason(e: KeyboardInterrupt) -> str:
    """How a HIL session names its end: "terminated" or "interrupted"."""
    return "terminated" if isinstance(e, Terminated) else "interrupted"


@contextmanager
def held():
    """SIGINT and SIGTERM held until the block ends, then acted on: a telemetry chunk is written
    and counted as one step (gnc.flight), never half.  Only the main thread's signals are held
    (Python's handlers run there)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    before = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, before)
