"""The choices and defaults of a HIL session that `gnc hil --help` shows: here, free of numpy
and numba, so that building the command line's parser imports none of the session's code
(gnc.hil.session and gnc.hil.board take them from here)."""

MODES = ("lockstep", "realtime")
ON_SILENCE = ("abort", "hold", "stub")
ON_RESET = ("resume", "abort")
ON_BAD = ("hold", "abort")
SILENT_PERIODS = 3            # real time: periods in a row with no fresh answer: the board is silent
SILENCE_S = 5.0               # lockstep: wall time with no fresh answer: the board is silent
HOLD_S = 2.0                  # default bound of --on-silence hold, mission seconds
# the faults a board (gnc.hil.board) can be told to play
FAULTS = ("silent-after", "garbage-every", "reset-after", "exit-after", "nan-after", "overthrust-after",
          "frozen-time-after", "replay-after")
