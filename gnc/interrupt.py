"""SIGTERM (kill, systemd, a CI timeout) taken as Ctrl-C: raised where KeyboardInterrupt is,
so a run, a campaign and a HIL session end on it as they end on Ctrl-C, told apart only by
their exit status (143 against 130) and their words."""
from __future__ import annotations

import signal


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where Ctrl-C raises KeyboardInterrupt, so both take one path."""


def sigterm_as_interrupt() -> None:
    """Handle SIGTERM as Ctrl-C from here on (the main thread's handler)."""
    def raise_terminated(signum, frame):
        raise Terminated()
    signal.signal(signal.SIGTERM, raise_terminated)


def reason(e: KeyboardInterrupt) -> str:
    """How a session or a campaign names its end: "terminated" or "interrupted"."""
    return "terminated" if isinstance(e, Terminated) else "interrupted"
