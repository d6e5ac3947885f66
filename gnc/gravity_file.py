"""Spherical-harmonic gravity fields from files: ICGEM .gfc and PDS SHADR (ASCII).

    field = read("gggrx_1200a_sha.tab", nmax=50)     # format from the content
    model = gnc.core.sh_gravity.sh_model(field.c, field.s)

Both formats give fully normalised coefficients; a file saying otherwise is refused
(unnormalised lunar fields are not in use, and converting would need factorials of
degree 1000+).  Units come out SI: m, m^3/s^2.

ICGEM (the International Centre for Global Earth Models' format, icgem.gfz-potsdam.de):
a header of `key value` lines up to `end_of_head` (earth_gravity_constant, radius,
max_degree, norm, tide_system, ...; the Moon's fields use the same key names), then
`gfc n m C S [sigma_C sigma_S]` lines.  Time-variable keys (gfct, trnd, dot, acos, asin)
are refused.

SHADR (the PDS Spherical Harmonics ASCII Data Record, as GRAIL's gggrx_* and jggrx_*
fields and Lunar Prospector's are archived): one header record of reference radius (km),
GM (km^3/s^2), GM's uncertainty, degree, order, normalisation state (1 = normalised),
reference longitude and latitude, then records `n, m, C, S, sigma_C, sigma_S`; fields
comma or blank separated.  Degree 0 may be absent (then C00 = 1: the header's GM is the
central term), and so may degree 1 (then 0: the origin is the centre of mass).

Every coefficient of degree 2..nmax must be present: a download cut short is refused,
not read as a smoother Moon.  Errors name the file, the line and what was expected.
"""
from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

TIME_VARIABLE_KEYS = ("gfct", "trnd", "dot", "acos", "asin")
_SPLIT = re.compile(r"[,\s]+")


class GravityFileError(ValueError):
    """A malformed or unsupported gravity file: the message names the file and line."""


@dataclass(frozen=True)
class GravityField:
    gm: float               # m^3/s^2
    radius: float           # m: reference radius of the expansion
    nmax: int               # degree and order of c and s (after truncation)
    c: np.ndarray           # [n, m], fully normalised, (nmax + 1) x (nmax + 1)
    s: np.ndarray
    file_nmax: int          # degree of the file
    tide_system: str        # as the file says ("" when it does not)
    source: str             # the file's path


def _number(text: str, path, lineno: int, what: str) -> float:
    try:
        v = float(text.replace("D", "E").replace("d", "e"))      # Fortran exponents
    except ValueError:
        v = math.nan
    if not math.isfinite(v):
        raise GravityFileError(f"{path}:{lineno}: {what}: expected a finite number, got {text!r}")
    return v


def _integer(text: str, path, lineno: int, what: str) -> int:
    try:
        return int(text)
    except ValueError:
        try:
            v = float(text)            # some SHADR headers write the degree as 1200.0
        except ValueError:
            v = None
        if v is None or v != int(v):
            raise GravityFileError(f"{path}:{lineno}: {what}: expected an integer, got {text!r}") from None
        return int(v)


def _positive(path, lineno: int, v: float, what: str):
    if v <= 0.0:
        raise GravityFileError(f"{path}:{lineno}: {what} {v}: expected > 0")


class _Coefficients:
    """Collects (n, m, C, S) up to nmax, checking order, range and duplicates."""

    def __init__(self, path, nmax: int, file_nmax: int):
        self.path, self.nmax, self.file_nmax = path, nmax, file_nmax
        self.c = np.zeros((nmax + 1, nmax + 1))
        self.s = np.zeros((nmax + 1, nmax + 1))
        self.seen = np.zeros((nmax + 1, nmax + 1), dtype=bool)

    def add(self, lineno: int, n: int, m: int, c: float, s: float):
        if not 0 <= m <= n:
            raise GravityFileError(f"{self.path}:{lineno}: degree {n}, order {m}: expected 0 <= order <= degree")
        if n > self.file_nmax:
            raise GravityFileError(f"{self.path}:{lineno}: degree {n} beyond the header's maximum degree "
                                   f"{self.file_nmax}")
        if n > self.nmax:
            return
        if self.seen[n, m]:
            raise GravityFileError(f"{self.path}:{lineno}: degree {n}, order {m} given twice")
        self.seen[n, m] = True
        self.c[n, m], self.s[n, m] = c, s

    def finish(self) -> tuple[np.ndarray, np.ndarray]:
        if not self.seen[0, 0]:
            self.c[0, 0] = 1.0
        for n in range(2, self.nmax + 1):
            missing = [m for m in range(n + 1) if not self.seen[n, m]]
            if missing:
                raise GravityFileError(f"{self.path}: degree {n}, order {missing[0]} missing "
                                       f"({len(missing)} of degree {n}; the file ends early or skips them): "
                                       f"expected every coefficient up to degree {self.nmax}")
        return self.c, self.s


def _degree_asked(path, nmax, file_nmax: int) -> int:
    if nmax is None:
        return file_nmax
    if not 0 <= nmax <= file_nmax:
        raise GravityFileError(f"{path}: degree {nmax} asked, the file has 0..{file_nmax}")
    return nmax


def _lines(path):
    """(line number, words) of the file's non-blank lines, streamed (a degree-1200 field
    is 700k lines), words split at blanks and commas."""
    with open(path, encoding="utf-8", errors="replace") as fh:
        for lineno, line in enumerate(fh, 1):
            words = [w for w in _SPLIT.split(line.strip()) if w]
            if words:
                yield lineno, words


def read_icgem(path, nmax: int | None = None) -> GravityField:
    """An ICGEM .gfc file, truncated to degree and order nmax (default: the file's)."""
    lines = _lines(path)
    head = {}                          # key -> (line number, value)
    for lineno, words in lines:
        if words[0] == "end_of_head":
            break
        if len(words) > 1:
            head[words[0]] = (lineno, words[1])
    else:
        raise GravityFileError(f"{path}: no end_of_head line: expected an ICGEM header ending in end_of_head")

    def key(name: str, parse):
        if name not in head:
            raise GravityFileError(f"{path}: header key {name} missing or empty: expected '{name} VALUE' "
                                   "before end_of_head")
        lineno, text = head[name]
        return lineno, parse(text, path, lineno, name)

    gm_line, gm = key("earth_gravity_constant", _number)
    radius_line, radius = key("radius", _number)
    _positive(path, gm_line, gm, "earth_gravity_constant")
    _positive(path, radius_line, radius, "radius")
    _, file_nmax = key("max_degree", _integer)
    norm_line, norm = head.get("norm", (0, "fully_normalized"))      # the format's default
    if norm != "fully_normalized":
        raise GravityFileError(f"{path}:{norm_line}: norm {norm}: expected fully_normalized")
    tide = head.get("tide_system", (0, ""))[1]
    n_ask = _degree_asked(path, nmax, file_nmax)
    coef = _Coefficients(path, n_ask, file_nmax)
    for lineno, words in lines:
        if words[0] in TIME_VARIABLE_KEYS:
            raise GravityFileError(f"{path}:{lineno}: {words[0]}: time-variable coefficients are not supported "
                                   "(expected gfc lines only)")
        if words[0] != "gfc":
            raise GravityFileError(f"{path}:{lineno}: {words[0]!r}: expected a gfc line")
        if len(words) < 5:
            raise GravityFileError(f"{path}:{lineno}: expected 'gfc n m C S [sigma_C sigma_S]', "
                                   f"got {len(words)} fields")
        coef.add(lineno, _integer(words[1], path, lineno, "degree"), _integer(words[2], path, lineno, "order"),
                 _number(words[3], path, lineno, "C"), _number(words[4], path, lineno, "S"))
    c, s = coef.finish()
    return GravityField(gm, radius, n_ask, c, s, file_nmax, tide, str(path))


def read_shadr(path, nmax: int | None = None) -> GravityField:
    """A PDS SHADR ASCII table (.tab), truncated to degree and order nmax (default: the file's)."""
    lines = _lines(path)
    first, head = next(lines, (0, None))
    if head is None:
        raise GravityFileError(f"{path}: empty file: expected a SHADR header record")
    if len(head) < 6:
        raise GravityFileError(f"{path}:{first}: expected a SHADR header of 8 fields (radius km, GM km^3/s^2, "
                               f"sigma GM, degree, order, normalisation, lon, lat), got {len(head)}")
    radius = _number(head[0], path, first, "reference radius") * 1e3
    gm = _number(head[1], path, first, "GM") * 1e9
    _positive(path, first, radius, "reference radius")
    _positive(path, first, gm, "GM")
    file_nmax = _integer(head[3], path, first, "degree")
    state = _integer(head[5], path, first, "normalisation state")
    if state != 1:
        raise GravityFileError(f"{path}:{first}: normalisation state {state}: expected 1 (fully normalised)")
    if len(head) >= 8 and (_number(head[6], path, first, "reference longitude") != 0.0
                           or _number(head[7], path, first, "reference latitude") != 0.0):
        raise GravityFileError(f"{path}:{first}: reference longitude/latitude not 0: expected an expansion "
                               "about the body-fixed axes")
    n_ask = _degree_asked(path, nmax, file_nmax)
    coef = _Coefficients(path, n_ask, file_nmax)
    for lineno, words in lines:
        if len(words) < 4:
            raise GravityFileError(f"{path}:{lineno}: expected 'n, m, C, S[, sigma_C, sigma_S]', "
                                   f"got {len(words)} fields")
        coef.add(lineno, _integer(words[0], path, lineno, "degree"), _integer(words[1], path, lineno, "order"),
                 _number(words[2], path, lineno, "C"), _number(words[3], path, lineno, "S"))
    c, s = coef.finish()
    return GravityField(gm, radius, n_ask, c, s, file_nmax, "", str(path))


def read(path, nmax: int | None = None) -> GravityField:
    """A gravity field file of either format, told apart by its first word: a SHADR file
    starts with its numeric header record, an ICGEM file with a header key."""
    for _, words in _lines(path):
        try:
            float(words[0].replace("D", "E").replace("d", "e"))
        except ValueError:
            return read_icgem(path, nmax)
        return read_shadr(path, nmax)
    raise GravityFileError(f"{path}: empty file: expected an ICGEM or SHADR gravity field")


def read_cached(path, nmax: int) -> GravityField:
    """read(path, nmax), once per process for each version of the file (its modification
    time and size): a campaign assembles every run, and a degree-1200 file takes ~3 s."""
    st = os.stat(path)
    return _read_version(str(path), nmax, st.st_mtime_ns, st.st_size)


@lru_cache(maxsize=4)
def _read_version(path: str, nmax: int, mtime_ns: int, size: int) -> GravityField:
    return read(path, nmax)
