"""Rendezvous: the ascent, then the far range planned by the ground and the orbiter-returner's
close range to capture."""
from gnc.programs.program import Program

PROGRAM = Program("rendezvous", "ascent, then far-range phasing and close range to capture",
                  success="captured", campaign=True, loops=("ascent", "rendezvous"))
