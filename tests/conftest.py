"""Fixtures the firmware tests share (tests/test_firmware_*.py).  tests/test_hil.py has its own autouse
`deadline`, which takes precedence over this one in its module and in test_hil_noise."""
import signal

import pytest
from firmware_boards import need

from gnc.hil.emulate import EmulatedBoard


@pytest.fixture
def deadline(request):
    """deadline(s): fail a test that hangs instead of hanging the suite."""
    def arm(seconds: int) -> None:
        def expired(signum, frame):
            raise TimeoutError(f"{request.node.name} ran past its {seconds} s deadline")
        signal.signal(signal.SIGALRM, expired)
        signal.alarm(seconds)

    yield arm
    signal.alarm(0)
    signal.signal(signal.SIGALRM, signal.SIG_DFL)


@pytest.fixture
def avr():
    need("avr")
    with EmulatedBoard("avr") as board:
        yield board
