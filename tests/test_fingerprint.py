"""tools/fingerprint.py: --ignore-columns leaves columns out of the telemetry hash, so a
tree that added columns compares with fingerprints saved before them."""
import runpy
from pathlib import Path

import numpy as np

FP = runpy.run_path(str(Path(__file__).resolve().parent.parent / "tools" / "fingerprint.py"))


def test_ignored_columns_hash_as_if_absent():
    old = {"t": np.arange(3.0), "af.phase": np.ones(3), "descent.af.phase": np.zeros(3)}
    new = {**old, "af.nav_sigma[0]": np.full(3, 2.0), "descent.af.idle_s": np.zeros(3)}
    h = FP["telemetry_hash"]
    assert h(new) != h(old)
    assert h(new, ("*af.nav_sigma*", "*af.idle_s")) == h(old)
    assert h(new, ("af.*",)) != h(old)          # a glob matches whole names: descent.af.* stays in
    assert h(new, ("*af.*",)) == h({"t": old["t"]})
