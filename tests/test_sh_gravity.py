"""The spherical-harmonic gravity (gnc.core.sh_gravity) against closed forms, and the
field files' readers (gnc.gravity_file) on files the tests write.

Physics is checked against physics: the point mass and J2 in closed form, a sectoral
C22/S22 term in closed form, the potential at degree 20 against the associated Legendre
functions summed from their explicit polynomial in exact rational arithmetic, and the
acceleration against finite differences of the potential.
"""
import math
import re
from fractions import Fraction

import numpy as np
import pytest

from gnc import gravity_file as GF
from gnc.core import moon as M
from gnc.core import sh_gravity as G

MU = 4.9028001224453001e12     # m^3/s^2: GM of GRGM1200A (gggrx_1200a_sha.tab's header)
R = 1738.0e3                   # m: GRAIL's reference radius
J2 = 2.0321e-4


def field(c, s=None):
    """model and work arrays of square coefficient arrays c, s [n, m]."""
    s = np.zeros_like(c) if s is None else s
    return G.sh_model(c, s), G.sh_work(c.shape[0] - 1)


def zonal(nmax, **terms):
    c = np.zeros((nmax + 1, nmax + 1))
    c[0, 0] = 1.0
    for key, v in terms.items():       # c20=..., c22=...
        c[int(key[1]), int(key[2])] = v
    return c


def random_coefficients(nmax, seed, scale=1e-3):
    """Coefficients of a rough field (every degree as strong as degree 2: harder than the Moon;
    degree 1 too, though a field about the centre of mass has none)."""
    rng = np.random.default_rng(seed)
    c = np.tril(rng.normal(0.0, scale, (nmax + 1, nmax + 1)))
    s = np.tril(rng.normal(0.0, scale, (nmax + 1, nmax + 1)))
    s[:, 0] = 0.0
    c[0, 0] = 1.0
    return c, s


def points(n, seed, rmin=1.0, rmax=1.5):
    """n random positions between rmin R and rmax R, then the poles, near-poles and the equator."""
    rng = np.random.default_rng(seed)
    d = rng.normal(size=(n, 3))
    d /= np.linalg.norm(d, axis=1)[:, None]
    special = [(0, 0, 1), (0, 0, -1), (1e-9, 0, 1), (-3e-13, 2e-13, -1), (1, 0, 0), (0, 1, 0),
               (math.sqrt(0.5), -math.sqrt(0.5), 0), (1, 1, 1e-12)]
    special = np.array(special, float) / np.linalg.norm(special, axis=1)[:, None]
    d = np.vstack([d, special])
    return d * (R * rng.uniform(rmin, rmax, len(d)))[:, None]


def rel(a, b):
    a, b = np.asarray(a, float), np.asarray(b, float)
    return float(np.linalg.norm(a - b) / np.linalg.norm(b))


# --- closed forms -----------------------------------------------------------------------

@pytest.mark.parametrize("nmax", [0, 10])
def test_c00_alone_is_the_point_mass(nmax):
    model, work = field(zonal(nmax))
    worst = 0.0
    for r in points(200, 1):
        rn = math.sqrt(r @ r)
        v, *a = G.sh_potential_gravity(r, MU, R, nmax, model, work)
        worst = max(worst, rel(a, -MU / rn**3 * r))
        # a handful of roundings (the norm's square root, mu/r, the series' products), each
        # within 2^-53: 8 of them; measured 4.0e-16 (3.6 of them) on an Intel Xeon, where the
        # 2e-16 this was once held to (read off an AMD EPYC) failed
        assert abs(v - MU / rn) <= 8 * 2.0 ** -53 * MU / rn
    print(f"point mass, degree {nmax}: worst relative error {worst:.1e}")
    assert worst < 1e-15


@pytest.mark.parametrize("nmax", [2, 8])
def test_c20_is_the_closed_form_j2(nmax):
    """Cbar20 = -J2/sqrt 5: the normalisation is the test's point.  Against moon.gravity
    (the closed form) and the J2 potential mu/r (1 - J2 (R/r)^2 (3 sin^2 lat - 1)/2)."""
    model, work = field(zonal(nmax, c20=-J2 / math.sqrt(5.0)))
    worst = worst_v = 0.0
    for r in points(300, 2):
        v, *a = G.sh_potential_gravity(r, MU, R, nmax, model, work)
        worst = max(worst, rel(a, M.gravity(r, MU, J2, R)))
        rn = math.sqrt(r @ r)
        sl = r[2] / rn
        v_ref = MU / rn * (1.0 - J2 * (R / rn) ** 2 * (3.0 * sl * sl - 1.0) / 2.0)
        worst_v = max(worst_v, abs(v - v_ref) / v_ref)
    print(f"J2, degree {nmax}: worst relative error {worst:.1e} (acceleration), {worst_v:.1e} (potential)")
    assert worst < 1e-13 and worst_v < 1e-15


def test_c22_s22_is_their_closed_form():
    """A sectoral term moves x and y apart: V22 = 3 mu R^2 (C22 (x^2 - y^2) + 2 S22 x y) / r^5
    with unnormalised C22 = Cbar22 sqrt(5/12) (Pbar22 = sqrt(5/12) 3 cos^2 lat)."""
    cb, sb = 2.4e-5, -6.0e-6
    c = zonal(2, c22=cb)
    s = np.zeros_like(c)
    s[2, 2] = sb
    c[0, 0] = 0.0                      # the term alone
    model, work = field(c, s)
    k = math.sqrt(5.0 / 12.0)
    c22, s22 = cb * k, sb * k
    worst = 0.0
    for r in points(200, 3):
        x, y = r[0], r[1]
        r2 = r @ r
        r5 = r2 * r2 * math.sqrt(r2)
        q = c22 * (x * x - y * y) + 2.0 * s22 * x * y
        f = 3.0 * MU * R * R
        grad_q = np.array([2.0 * (c22 * x + s22 * y), 2.0 * (s22 * x - c22 * y), 0.0])
        a_ref = f * (grad_q / r5 - 5.0 * q * r / (r5 * r2))
        v, *a = G.sh_potential_gravity(r, MU, R, 2, model, work)
        scale = f * (abs(c22) + abs(s22)) / (r2 * r2)     # the term's size (it vanishes at the poles)
        worst = max(worst, float(np.linalg.norm(np.subtract(a, a_ref))) / scale)
        assert abs(v - f * q / r5) <= 1e-15 * scale * math.sqrt(r2)
    print(f"C22/S22: worst error {worst:.1e} of the term's size")
    assert worst < 1e-13


def _legendre_exact(n, m, t):
    """Fully normalised Pbar_nm(t) / cos^m: the m-th derivative of P_n's explicit polynomial
    2^-n sum_k (-1)^k C(n,k) C(2n-2k,n) t^(n-2k), in exact rationals, times the normalisation."""
    tf = Fraction(t)
    total = Fraction(0)
    for k in range(n // 2 + 1):
        p = n - 2 * k
        if p < m:
            continue
        coef = (-1) ** k * math.comb(n, k) * math.comb(2 * n - 2 * k, n) * math.factorial(p) // math.factorial(p - m)
        total += coef * tf ** (p - m)
    total /= 2 ** n
    norm2 = Fraction((2 if m else 1) * (2 * n + 1) * math.factorial(n - m), math.factorial(n + m))
    return float(total) * math.sqrt(norm2)


def test_potential_at_degree_20_is_the_sum_of_exact_legendre_functions():
    nmax = 20
    c, s = random_coefficients(nmax, 4)
    c[0, 0] = 0.0                      # the part beyond the point mass, compared alone
    model, work = field(c, s)
    worst = 0.0
    for r in points(12, 5):
        x, y, z = r
        rn = math.sqrt(r @ r)
        rxy = math.hypot(x, y)
        lon = math.atan2(y, x)
        v_ref = 0.0
        scale = 0.0
        for n in range(1, nmax + 1):
            for m in range(n + 1):
                term = (MU / rn * (R / rn) ** n * _legendre_exact(n, m, z / rn) * (rxy / rn) ** m
                        * (c[n, m] * math.cos(m * lon) + s[n, m] * math.sin(m * lon)))
                v_ref += term
                scale += abs(term)
        v, *_ = G.sh_potential_gravity(r, MU, R, nmax, model, work)
        worst = max(worst, abs(v - v_ref) / scale)
    print(f"degree 20 potential vs exact Legendre sums: worst error {worst:.1e} of the sum of |terms|")
    assert worst < 1e-13


def _fd_gradient(model, work, nmax, r, h):
    """Fourth-order central differences of the potential."""
    g = np.zeros(3)
    for i in range(3):
        e = np.zeros(3)
        e[i] = h
        v = [G.sh_potential_gravity(r + k * e, MU, R, nmax, model, work)[0] for k in (2, 1, -1, -2)]
        g[i] = (-v[0] + 8.0 * v[1] - 8.0 * v[2] + v[3]) / (12.0 * h)
    return g


@pytest.mark.parametrize("nmax", [20, 60, 200])
def test_acceleration_is_the_gradient_of_the_potential(nmax):
    """Degree 20, 60 and 200, random coefficients, at random points, the poles and the equator.
    The central term is left out (C00 = 0) so the check weighs the harmonics alone.  With
    h = 20 m the differences' rounding (~eps V / h) and truncation (~h^4 V^(5)) are both
    below 1e-9 of the field; measured worst 1e-10 (printed)."""
    c, s = random_coefficients(nmax, 6)
    c[0, 0] = 0.0
    model, work = field(c, s)
    worst = 0.0
    for r in points(40, 7, rmin=1.02, rmax=1.3):
        a = np.array(G.sh_gravity(r, MU, R, nmax, model, work))
        worst = max(worst, rel(_fd_gradient(model, work, nmax, r, 20.0), a))
    print(f"degree {nmax}: worst |finite differences - acceleration| / |acceleration| {worst:.1e}")
    assert worst < 1e-8


@pytest.mark.parametrize("nmax", [60, 200])
def test_no_nan_at_the_poles_and_the_equator(nmax):
    """Finite there, and smooth through the pole: stepping 1 mm across it either way, the two
    changes of the field agree to second order (a 1/cos(lat) anywhere would break this)."""
    c, s = random_coefficients(nmax, 8, scale=1e-5)
    model, work = field(c, s)
    r0 = 1.02 * R
    for d in [(0, 0, 1), (0, 0, -1), (1, 0, 0), (0, 1, 0), (-1, 0, 0), (0, -1, 0)]:
        r = r0 * np.array(d, float)
        v, *a = G.sh_potential_gravity(r, MU, R, nmax, model, work)
        assert np.all(np.isfinite(a)) and math.isfinite(v), (d, a, v)
        for step in np.eye(3) * 1e-3:
            ahead = np.subtract(G.sh_gravity(r + step, MU, R, nmax, model, work), a)
            behind = np.subtract(a, G.sh_gravity(r - step, MU, R, nmax, model, work))
            assert np.linalg.norm(ahead - behind) < 1e-3 * np.linalg.norm(ahead + behind), (d, step, ahead, behind)


def test_truncation_is_the_lower_degree_field():
    """Evaluated to nmax = 10, a degree-20 model is the degree-10 model, bit for bit."""
    c, s = random_coefficients(20, 9)
    big, work = field(c, s)
    small, _ = field(c[:11, :11].copy(), s[:11, :11].copy())
    for r in points(20, 10):
        assert G.sh_potential_gravity(r, MU, R, 10, big, work) == G.sh_potential_gravity(r, MU, R, 10, small, work)
    with pytest.raises(ValueError):
        G.sh_gravity(points(1, 11)[0], MU, R, 11, small, work)


# --- files ------------------------------------------------------------------------------

C_TEST, S_TEST = random_coefficients(4, 12, scale=1e-4)
C_TEST[1, :] = 0.0


def write_gfc(path, nmax=4, norm="fully_normalized", extra_head="", skip=(), extra=(), fortran=False):
    lines = ["generating_institute test", "begin_of_head", "product_type gravity_field", "modelname TEST",
             "earth_gravity_constant 4.9028001224453001E+12", "radius 1.7380000E+06", f"max_degree {nmax}",
             "errors formal", f"norm {norm}", "tide_system zero_tide"]
    if extra_head:
        lines.append(extra_head)
    lines += ["", "key    L    M    C    S    sigma C    sigma S", "end_of_head"]
    for n in range(C_TEST.shape[0]):
        for m in range(n + 1):
            if (n, m) in skip:
                continue
            cv, sv = repr(float(C_TEST[n, m])), repr(float(S_TEST[n, m]))
            if fortran:
                cv = cv.replace("e", "D")
            lines.append(f"gfc {n:4d} {m:4d} {cv} {sv} 1.0e-12 1.0e-12")
    lines += list(extra)
    path.write_text("\n".join(lines) + "\n")
    return path


def write_shadr(path, nmax=4, state=1, header=None, skip=((0, 0),), extra=()):
    head = header or (f"   1.7380000000000000E+03,   4.9028001224453001E+03,   0.0000000000000000E+00, "
                      f"{nmax:5d}, {nmax:5d}, {state:4d},   0.0000000000000000E+00,   0.0000000000000000E+00")
    lines = [head]
    for n in range(C_TEST.shape[0]):
        for m in range(n + 1):
            if (n, m) in skip:
                continue
            lines.append(f"{n:5d},{m:5d}, {float(C_TEST[n, m])!r:>24}, {float(S_TEST[n, m])!r:>24}, 1.0E-12, 1.0E-12")
    lines += list(extra)
    path.write_text("\r\n".join(lines) + "\r\n")      # PDS records end in CR LF
    return path


def test_icgem_round_trip(tmp_path):
    f = GF.read(write_gfc(tmp_path / "t.gfc", fortran=True))
    assert (f.gm, f.radius, f.nmax, f.file_nmax, f.tide_system) == (4.9028001224453001e12, 1738e3, 4, 4, "zero_tide")
    assert np.array_equal(f.c, C_TEST) and np.array_equal(f.s, S_TEST)
    t = GF.read_icgem(tmp_path / "t.gfc", nmax=2)
    assert t.nmax == 2 and np.array_equal(t.c, C_TEST[:3, :3]) and np.array_equal(t.s, S_TEST[:3, :3])


def test_shadr_round_trip(tmp_path):
    f = GF.read(write_shadr(tmp_path / "t.tab"))
    assert (f.gm, f.radius, f.nmax) == (4.9028001224453001e3 * 1e9, 1738e3, 4)     # km, km^3/s^2 in the file
    assert f.c[0, 0] == 1.0                       # absent: the header's GM is the central term
    assert np.array_equal(f.c, C_TEST) and np.array_equal(f.s, S_TEST)
    t = GF.read_shadr(tmp_path / "t.tab", nmax=3)
    assert np.array_equal(t.c, C_TEST[:4, :4])
    # degree 1 absent too (the origin at the centre of mass): zeros
    f1 = GF.read(write_shadr(tmp_path / "t1.tab", skip=((0, 0), (1, 0), (1, 1))))
    assert np.array_equal(f1.c, C_TEST)


def test_both_formats_fly_the_same_field(tmp_path):
    a = GF.read(write_gfc(tmp_path / "t.gfc"))
    b = GF.read(write_shadr(tmp_path / "t.tab"))
    ma, wa = field(a.c, a.s)
    mb, _ = field(b.c, b.s)
    r = points(1, 13)[0]
    assert G.sh_gravity(r, a.gm, a.radius, 4, ma, wa) == G.sh_gravity(r, b.gm, b.radius, 4, mb, wa)


# (file writer, its arguments, the line the error must name (0: none), what it must say)
HEAD_GFC = 14      # the first gfc line of write_gfc's files (line of (n, m) = (0, 0))
MALFORMED = [
    ("gfc", dict(extra=["gfc 3 1 1.0e-6"]), HEAD_GFC + 15, r"expected 'gfc n m C S"),
    ("gfc", dict(extra=["gfc 3 4 1.0e-6 0.0"]), HEAD_GFC + 15, r"order 4: expected 0 <= order <= degree"),
    ("gfc", dict(extra=["gfc 3 1 abc 0.0"]), HEAD_GFC + 15, r"C: expected a finite number, got 'abc'"),
    ("gfc", dict(extra=["gfc 3 1 1.0e-6 0.0"]), HEAD_GFC + 15, r"degree 3, order 1 given twice"),
    ("gfc", dict(extra=["gfc 5 0 1.0e-6 0.0"]), HEAD_GFC + 15, r"degree 5 beyond the header's maximum degree 4"),
    ("gfc", dict(extra=["gfct 2 0 1.0e-6 0.0 0 0 20100101"]), HEAD_GFC + 15, r"time-variable"),
    ("gfc", dict(extra=["xyz 2 0 1.0e-6 0.0"]), HEAD_GFC + 15, r"expected a gfc line"),
    ("gfc", dict(norm="unnormalized"), 9, r"norm unnormalized: expected fully_normalized"),
    ("gfc", dict(skip=[(4, 2)]), 0, r"degree 4, order 2 missing"),
    ("shadr", dict(header="1738.0, 4902.8, 0.0"), 1, r"expected a SHADR header of 8 fields"),
    ("shadr", dict(state=0), 1, r"normalisation state 0: expected 1"),
    ("shadr", dict(extra=["3, 1, 1.0e-6"]), 16, r"expected 'n, m, C, S"),
    ("shadr", dict(extra=["3, 1, 1.0e-6, 1.0e-6x"]), 16, r"S: expected a finite number"),
    ("shadr", dict(header="1738.0, -4902.8, 0.0, 4, 4, 1, 0.0, 0.0"), 1, r"GM -4902800000000.0: expected > 0"),
    ("shadr", dict(skip=[(0, 0), (2, 1), (3, 3)]), 0, r"degree 2, order 1 missing"),
    ("shadr", dict(nmax=2), 7, r"degree 3 beyond the header's maximum degree 2"),
]


@pytest.mark.parametrize("fmt, kwargs, line, message", MALFORMED)
def test_malformed_files_are_refused_with_the_line(tmp_path, fmt, kwargs, line, message):
    writer = write_gfc if fmt == "gfc" else write_shadr
    path = writer(tmp_path / f"bad.{fmt}", **kwargs)
    with pytest.raises(GF.GravityFileError) as e:
        GF.read(path)
    text = str(e.value)
    prefix = re.escape(f"{path}:{line}: ") if line else re.escape(f"{path}: ")
    assert re.match(prefix, text), text
    assert re.search(message, text), text


def test_missing_header_key_and_degree_beyond_the_file(tmp_path):
    p = tmp_path / "nohead.gfc"
    p.write_text("begin_of_head\nradius 1738000\nmax_degree 2\nend_of_head\ngfc 0 0 1.0 0.0\n")
    with pytest.raises(GF.GravityFileError, match="earth_gravity_constant missing"):
        GF.read(p)
    with pytest.raises(GF.GravityFileError, match="degree 9 asked, the file has 0..4"):
        GF.read(write_shadr(tmp_path / "t.tab"), nmax=9)
    p.write_text("begin_of_head\nradius 1738000\n")
    with pytest.raises(GF.GravityFileError, match="no end_of_head"):
        GF.read(p)
