"""An injected fault in a run's summary (docs/faults.md; bench/fault_campaign.py tabulates them).

A run says what was injected (kind, onset, size, axis) and what the flight software
did: the steps after onset whose health word carried the bits that show that kind
(gnc.core.faults.FLAG_MASK) and the first of them, when it isolated the fault (the first
step after onset with a bit of gnc.core.faults.ISOLATE_MASK: an altimeter step taken off its
ranges, a velocimeter beam put out of the filter, guidance flying on the estimated thrust),
and whether it flew through (landed) or was lost.  The descent has no abort mode: it always continues.

Whether a flag was the fault's doing is a comparison: the same seed flown without the
fault flies the same noise (the fault draws from its own stream), so a fault is
*detected* when its run raised more of its flags after onset than its nominal twin did
in the same window (bench/fault_campaign.py flies both).
"""
from __future__ import annotations

import numpy as np

from gnc.core import faults as F
from gnc.frames import health_names

UNITS = {"altimeter_bias": "m", "velocimeter_bias": "m/s", "imu_bias_step": "m/s^2", "thrust_shortfall": "of thrust"}


def fault_summary(ft: np.ndarray, outcome: str) -> dict | None:
    """The summary's "fault" entry of a run whose plant carried ft (None: no fault)."""
    kind = F.KINDS[int(ft[F.FT_KIND])]
    if kind == "none":
        return None
    first = float(ft[F.FT_FIRST_FLAG])
    isolated = float(ft[F.FT_FIRST_ISOLATE])
    return {"kind": kind, "onset_s": float(ft[F.FT_T_ON]), "end_s": float(ft[F.FT_T_OFF]),
            "size": float(ft[F.FT_SIZE]), "unit": UNITS.get(kind, ""),
            "axis": int(ft[F.FT_AXIS]) if kind in ("velocimeter_dropout", "velocimeter_bias", "imu_bias_step") else None,
            "flags": health_names(int(ft[F.FT_FLAG_MASK])),
            "flagged_steps": int(ft[F.FT_FLAGGED]), "first_flag_s": first if first >= 0.0 else None,
            "isolation": health_names(int(ft[F.FT_ISOLATE_MASK])),
            "isolated_s": isolated if isolated >= 0.0 else None,
            "response": "flown through" if outcome == "landed" else "lost"}
