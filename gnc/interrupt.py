"""SIGTERM (kill, systemd, a CI timeout) taken as Ctrl-C: raised where KeyboardInterrupt is,
so a run, a campaign and a HIL session end on it as they end on Ctrl-C (`gnc run` and
`gnc hil` then exit 143, not 130, and say "terminated")."""
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
    """How a HIL session names its end: "terminated" or "interrupted"."""
    return "terminated" if isinstance(e, Terminated) else "interrupted"
