"""Powered descent: from the perilune through braking, approach, hover with the hazard
scan, avoidance and slow descent to touchdown."""
from gnc.programs.program import Program

PROGRAM = Program("descent", "powered descent from the 15 km perilune to touchdown", success="landed",
                  campaign=True)
