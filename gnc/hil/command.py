"""Actuator frames checked on arrival, before the vehicle model flies them.

A CRC only says the bytes arrived as sent; a board can still send nonsense (a corrupted
flight software, a stuck loop): NaN or a thrust far past the engine, a time tag that
answers another frame.  fault() names what is wrong with a frame, or returns None.

The estimates (nav_*) are reported, not flown: NaN there is a flight software saying it
has no estimate yet (the orbiter-returner's relative navigation before the ground's go),
so only an infinity is wrong; every other field must be finite.
"""
from __future__ import annotations

import numpy as np

from gnc import wire
from gnc.core.layout import AF_PHASE, AF_RCS_ON, AF_T, AF_THRUST_CMD, CF_DT, CF_THRUST_MAX, SF_T
from gnc.frames import schema

# the config travels as f32: the engine limit the board holds is rounded to 2^-24 relative
F32_SLACK = 2.0 ** -23
RCS_TICK = 1e-5           # s, the wire's resolution of rcs_on
N_RCS = next(f.n for f in schema()["actuator"].fields if f.name == "rcs_on")
PHASES = frozenset(schema().enums["phases"].values())
NAMES = schema()["actuator"].column_names()
ESTIMATE = np.array([name.startswith("nav_") for name in NAMES])


def fault(af: np.ndarray, sf: np.ndarray, cfg: np.ndarray) -> str | None:
    """What is wrong with actuator frame af answering sensor frame sf under config cfg, or None."""
    bad = np.where(ESTIMATE, np.isinf(af), ~np.isfinite(af))
    if bad.any():
        return f"{', '.join(NAMES[i] for i in np.flatnonzero(bad))} not finite"
    # a float board holds t in float32, whose ulp passes a millisecond after 2^13 s (a rendezvous)
    slack_ms = max(1, int(np.ceil(abs(sf[SF_T]) * 2 * F32_SLACK * 1e3)))
    if abs(wire.time_to_ms(af[AF_T]) - wire.time_to_ms(sf[SF_T])) > slack_ms:
        return f"time tag {af[AF_T]:.3f} s answers no frame of this step (its sensor frame's is {sf[SF_T]:.3f} s)"
    thrust, limit = af[AF_THRUST_CMD], cfg[CF_THRUST_MAX] * (1.0 + F32_SLACK)
    if not 0.0 <= thrust <= limit:
        return f"thrust_cmd {thrust:g} N outside the engine's 0 .. {cfg[CF_THRUST_MAX]:g} N"
    rcs = af[AF_RCS_ON:AF_RCS_ON + N_RCS]
    if rcs.min() < 0.0 or rcs.max() > cfg[CF_DT] + RCS_TICK:
        return f"rcs_on {rcs.max():g} s beyond the {cfg[CF_DT]:g} s step"
    if int(af[AF_PHASE]) not in PHASES:
        return f"phase {int(af[AF_PHASE])} is no flight phase"
    return None

