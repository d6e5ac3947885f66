"""A serial port that runs a test's actions at chosen sensor frames: board faults
(freeze, reset, kill) injected at a known step of a session, whatever the board."""
from gnc import wire
from gnc.hil.transport import SerialTransport


class Scripted(SerialTransport):
    """Runs actions[n](self) just before the n-th sensor frame (counting from 1) goes out.
    A retransmission (the same seq again) is not a new frame, so a slow answer on a
    loaded machine does not move the fault to an earlier step."""

    def __init__(self, port: str, baud: int, actions: dict):
        super().__init__(port, baud)
        self.actions, self.sensor_frames, self._last_seq = dict(actions), 0, None
        self._decoder = wire.Decoder()

    def write(self, data: bytes) -> None:
        for msg in self._decoder.feed(data):
            if msg.kind == "sensor" and msg.seq != self._last_seq:
                self._last_seq = msg.seq
                self.sensor_frames += 1
                action = self.actions.pop(self.sensor_frames, None)
                if action is not None:
                    action(self)
        super().write(data)
