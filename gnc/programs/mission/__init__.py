"""The whole mission: descent, surface stay, ascent, rendezvous and capture."""
from gnc.programs.program import Program

PROGRAM = Program("mission", "descent, surface stay, ascent and rendezvous to capture", success="captured",
                  loops=("descent", "ascent", "rendezvous"))
