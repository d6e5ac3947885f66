"""Fuel-optimal powered-descent guidance by lossless convexification (issue #15): the
problem's SOCP in a fixed layout (problem.py) and an interior-point solver written for it
(solver.py).  docs/guidance_pdg.md."""
