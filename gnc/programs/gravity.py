"""A scenario's gravity as the vehicle model flies it (gnc.core.gravity): the world array's
entries, and the field's arrays.

    set_world(w, sc.moon)               # W_FIELD_*, W_EARTH_*
    model = field_model(sc.moon)        # shared by every run of a campaign (read-only)
    field = plant_field(model)          # per plant: the model with a scratch of its own
"""
from __future__ import annotations

import os
from functools import lru_cache

import numpy as np

from gnc.core import moon as M
from gnc.core.gravity import Field
from gnc.core.sh_gravity import SH_PLANES, sh_model, sh_work
from gnc.gravity_file import read_cached

EARTH_MU = 3.986004418e14     # m^3/s^2 (IERS Conventions 2010)
EARTH_DISTANCE = 3.844e8      # m: the mean Earth-Moon distance (semi-major axis of the Moon's orbit)


def set_world(w: np.ndarray, moon) -> None:
    """The world's gravity entries from a scenario's [moon]."""
    f = read_cached(moon.field_file, moon.field_degree) if moon.field_file else None
    w[M.W_FIELD_DEGREE] = 0 if f is None else f.nmax
    w[M.W_FIELD_MU] = 0.0 if f is None else f.gm
    w[M.W_FIELD_RREF] = 0.0 if f is None else f.radius
    w[M.W_EARTH_MU] = EARTH_MU if moon.earth_on else 0.0
    w[M.W_EARTH_DIST] = EARTH_DISTANCE


def field_model(moon) -> np.ndarray:
    """The field's model array (gnc.core.sh_gravity.sh_model), built once per file version
    and degree; a placeholder without a field."""
    if not moon.field_file:
        return np.zeros((SH_PLANES, 1, 1))
    st = os.stat(moon.field_file)
    return _model(moon.field_file, moon.field_degree, st.st_mtime_ns, st.st_size)


def no_field() -> Field:
    """The placeholder field of a world flying point mass + J2 (W_FIELD_DEGREE 0)."""
    return plant_field(np.zeros((SH_PLANES, 1, 1)))


@lru_cache(maxsize=4)
def _model(path: str, degree: int, mtime_ns: int, size: int) -> np.ndarray:
    f = read_cached(path, degree)
    return sh_model(f.c, f.s)


def plant_field(model: np.ndarray) -> Field:
    """model with a fresh scratch array (one per plant: threads fly plants at once)."""
    return Field(model, sh_work(model.shape[1] - 1))
