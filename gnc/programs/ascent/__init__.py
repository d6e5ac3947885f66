"""Ascent: lift-off from the lander on the 3000 N engine into the insertion orbit."""
from gnc.programs.program import Program

PROGRAM = Program("ascent", "lift-off from the pad into lunar orbit", success="inserted")
