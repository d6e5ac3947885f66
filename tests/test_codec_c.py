"""The C wire codec (csrc/frame_codec.c, cobs.c, crc32.c) against the Python wire.

Builds the C files as shared libraries with the system compiler (strict C99 flags, a
double and a float `real`) and calls them through cffi in ABI mode, so nothing but a
C compiler and Python is needed.  Without a compiler the tests skip, unless CI=true.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import zlib
from pathlib import Path

import cffi
import numpy as np
import pytest

from gnc import wire
from gnc.frames import schema

ROOT = Path(__file__).resolve().parent.parent
CSRC = ROOT / "csrc"
SOURCES = ["frame_codec.c", "cobs.c", "crc32.c"]
STRICT = ["-std=c99", "-Wall", "-Wextra", "-pedantic", "-Werror"]
VECTORS = json.loads((Path(__file__).with_name("vectors") / "frames.json").read_text())["vectors"]

# Mirrors csrc/frame_codec.h, cobs.h and crc32.h (ABI mode reads no headers).
CDEF = """
typedef struct { uint8_t version; uint8_t msg_type; uint16_t seq; uint32_t t_ms; } gnc_header;
int gnc_parse_header(const uint8_t *body, size_t len, gnc_header *header);
size_t gnc_wire_pack(uint8_t *wire, size_t cap, const uint8_t *body, size_t len);
size_t gnc_encode_hello(uint8_t *body, size_t cap, uint16_t seq, uint32_t t_ms,
                        uint32_t clock_hz, uint8_t flags, const char *name);
size_t gnc_encode_log(uint8_t *body, size_t cap, uint16_t seq, uint32_t t_ms, const char *text, size_t len);
size_t gnc_encode_reset(uint8_t *body, size_t cap, uint16_t seq, uint32_t t_ms);
size_t gnc_cobs_encode(uint8_t *out, size_t cap, const uint8_t *in, size_t len);
size_t gnc_cobs_decode(uint8_t *out, size_t cap, const uint8_t *in, size_t len);
uint32_t gnc_crc32(uint32_t crc, const uint8_t *data, size_t len);
""" + "".join(f"""
size_t gnc_encode_{kind}(uint8_t *body, size_t cap, uint16_t seq, const real *frame);
int gnc_decode_{kind}(const uint8_t *body, size_t len, uint16_t *seq, real *frame);
""" for kind in wire.FRAME_MESSAGES)
ERR = {"short": -1, "bad_crc": -2, "bad_version": -3, "type": -4, "bad_length": -5}


def compiler() -> str:
    found = [shutil.which(name) for name in (os.environ.get("CC"), "cc", "gcc") if name]
    cc = next((path for path in found if path), None)
    if cc is None:
        reason = "no C compiler ($CC, cc or gcc) on PATH"
        if os.environ.get("CI") == "true":
            pytest.fail(reason + ", and CI=true requires the C codec tests")
        pytest.skip(reason)
    return cc


class CCodec:
    """One build of the C codec, called like the Python one."""

    def __init__(self, lib_path: Path, real: str):
        self.ffi = cffi.FFI()
        self.ffi.cdef(f"typedef {real} real;" + CDEF)
        self.lib = self.ffi.dlopen(str(lib_path))
        self.dtype = np.float32 if real == "float" else np.float64
        self.real_size = np.dtype(self.dtype).itemsize

    def _out(self, n=1024):
        return self.ffi.new("uint8_t[]", n)

    def wire(self, body, n: int) -> bytes:
        assert n > 0
        out = self._out()
        return bytes(self.ffi.buffer(out, self.lib.gnc_wire_pack(out, len(out), body, n)))

    def encode(self, v: dict) -> bytes:
        lib, kind, body = self.lib, v["type"], self._out()
        t_ms = wire.time_to_ms(v["t"] or 0.0)
        if kind in wire.LAYOUTS:
            with np.errstate(over="ignore"):     # a float build holds inf for what float cannot
                frame = np.ascontiguousarray(v["frame"], dtype=self.dtype)
            n = getattr(lib, f"gnc_encode_{kind}")(body, len(body), v["seq"], self.ffi.from_buffer("real[]", frame))
        elif kind == "hello":
            h = v["hello"]
            n = lib.gnc_encode_hello(body, len(body), v["seq"], t_ms, h["clock_hz"], h["flags"], h["name"].encode())
        elif kind == "log":
            text = v["text"].encode()
            n = lib.gnc_encode_log(body, len(body), v["seq"], t_ms, text, len(text))
        else:
            n = lib.gnc_encode_reset(body, len(body), v["seq"], t_ms)
        return self.wire(body, n)

    def unwire(self, wire: bytes) -> bytes:
        assert wire[0] == 0 and wire[-1] == 0    # protocol 4: a delimiter before and after
        out = self._out()
        n = self.lib.gnc_cobs_decode(out, len(out), wire[1:-1], len(wire) - 2)
        return bytes(self.ffi.buffer(out, n))

    def decode(self, kind: str, body: bytes) -> tuple[int, int, np.ndarray]:
        frame = np.full(schema()[wire.FRAME_OF[kind]].length, -12345.0, dtype=self.dtype)
        seq = self.ffi.new("uint16_t *")
        rc = getattr(self.lib, f"gnc_decode_{kind}")(body, len(body), seq, self.ffi.from_buffer("real[]", frame))
        return rc, seq[0], frame.astype(np.float64)

    def header(self, body: bytes) -> tuple[int, tuple]:
        h = self.ffi.new("gnc_header *")
        rc = self.lib.gnc_parse_header(body, len(body), h)
        return rc, (h.version, h.msg_type, h.seq, h.t_ms)


def build(tmp: Path, cc: str, flags: list[str], name: str) -> Path:
    out = tmp / f"libgnc_codec_{name}.so"
    cmd = [cc, *STRICT, "-O2", "-shared", "-fPIC", f"-I{CSRC}", *flags,
           *(str(CSRC / s) for s in SOURCES), "-o", str(out)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    assert proc.returncode == 0, f"{' '.join(cmd)}\n{proc.stderr}"
    return out


@pytest.fixture(scope="module", params=["double", "float"])
def c(request, tmp_path_factory) -> CCodec:
    flags = ["-DGNC_REAL_FLOAT"] if request.param == "float" else []
    lib = build(tmp_path_factory.mktemp("ccodec"), compiler(), flags, request.param)
    return CCodec(lib, request.param)


@pytest.fixture(scope="module")
def c_double(tmp_path_factory) -> CCodec:
    return CCodec(build(tmp_path_factory.mktemp("ccodec"), compiler(), [], "double"), "double")


def f64_elements(kind: str) -> np.ndarray:
    """Array indices of a frame's f64 fields."""
    return np.concatenate([np.arange(f.offset, f.offset + f.n) for f in schema()[wire.FRAME_OF[kind]].fields if f.wire == "f64"]
                          + [np.zeros(0, int)])


@pytest.mark.parametrize("v", VECTORS, ids=lambda v: v["name"])
def test_c_encoder_matches_vector(c, v):
    want = v["wire"]
    if v["type"] == "hello" and v["hello"]["real_size"] != c.real_size:
        # a C build always announces its own sizeof(real)
        hello = wire.Hello(**{**v["hello"], "real_size": c.real_size})
        want = wire.encode(v["msg_type"], v["seq"], v["t"], hello).hex()
    if v["type"] in wire.LAYOUTS and c.dtype == np.float32:
        # a float build holds float32(x), which its f64 fields carry exactly
        frame = np.array(v["frame"])
        at = f64_elements(v["type"])
        with np.errstate(over="ignore"):
            frame[at] = frame[at].astype(np.float32)
        want = wire.encode(v["msg_type"], v["seq"], v["t"], frame).hex()
    assert c.encode(v).hex() == want


@pytest.mark.parametrize("v", VECTORS, ids=lambda v: v["name"])
def test_c_decoder_reads_vector(c, v):
    packet = bytes.fromhex(v["wire"])
    body = c.unwire(packet)
    assert body == wire.cobs_decode(packet[1:-1])
    rc, (version, msg_type, seq, t_ms) = c.header(body)
    want = wire.decode(packet)
    assert rc == len(body) - wire.HEADER_SIZE - wire.CRC_SIZE
    assert (version, msg_type, seq, t_ms) == (wire.PROTOCOL_VERSION, v["msg_type"], v["seq"], want.t_ms)
    if v["type"] not in wire.LAYOUTS:
        return
    rc, seq, frame = c.decode(v["type"], body)
    assert (rc, seq) == (0, v["seq"])
    with np.errstate(over="ignore"):
        expect = np.asarray(v["decoded"]).astype(c.dtype).astype(np.float64)
    exact = np.ones(len(expect), bool)    # f32 and small integers: exact in either build
    for f in schema()[wire.FRAME_OF[v["type"]]].fields:
        if f.wire == "header_time" or f.scale:
            exact[f.offset:f.offset + f.n] = c.dtype == np.float64
    np.testing.assert_array_equal(frame[exact], expect[exact])
    # float build: t_ms / 1000 and q * scale are computed in float, within an ulp of float32(double result)
    np.testing.assert_array_max_ulp(frame[~exact].astype(c.dtype), expect[~exact].astype(c.dtype), maxulp=1)


def _random_frame(rng, n: int) -> np.ndarray:
    """Values that probe every rounding rule: halves, NaN, inf, huge, negative, tiny."""
    pool = np.array([np.nan, np.inf, -np.inf, 0.5, 1.5, 2.5, -0.5, 1e39, -1e39, 1e-45, 1e-40, -0.0,
                     65535.49, 65535.5, 4294967295.5, 4294967296.0, 1e300, 2.0 ** 63])
    frame = rng.normal(0, 10.0 ** rng.integers(-6, 10, n), n)
    special = rng.random(n) < 0.3
    frame[special] = rng.choice(pool, special.sum())
    return frame


def test_c_matches_python_on_random_frames(c_double):
    rng = np.random.default_rng(2024)
    for _ in range(300):
        for kind in wire.FRAME_MESSAGES:
            frame = _random_frame(rng, schema()[wire.FRAME_OF[kind]].length)
            seq = int(rng.integers(0, 65536))
            want = wire.encode(wire.MSG[kind], seq, None, frame)
            v = {"type": kind, "frame": frame, "seq": seq, "t": None}
            assert c_double.encode(v) == want, (kind, frame)
            rc, got_seq, got = c_double.decode(kind, wire.cobs_decode(want[1:-1]))
            assert (rc, got_seq) == (0, seq)
            np.testing.assert_array_equal(got, wire.decode(want).payload)


def _float_edges() -> np.ndarray:
    """Doubles on and about float32's rounding boundaries: ties either way, the largest
    float and the overflow threshold, the normal/subnormal border, half the smallest
    subnormal."""
    f32 = np.array([1.0, 1.5, 3.0, 16777215.0, 1.1754944e-38, 1.1754942e-38, 2e-45, 1e-45, 1812345.625], np.float32)
    ulp = np.spacing(f32).astype(np.float64)
    x = f32.astype(np.float64)
    top = float(np.finfo(np.float32).max)
    edges = np.concatenate([x, x + ulp / 2, x - ulp / 4, x + ulp / 2 + ulp * 1e-9, x + ulp * 0.75,
                            [top, top + 2.0 ** 102, 2.0 ** 128 * (1 - 2.0 ** -25), 2.0 ** 128, 2.0 ** -150,
                             2.0 ** -150 * 1.5, 2.0 ** -151, 5e-324, np.inf, np.nan, 0.0]])
    return np.concatenate([edges, -edges])


def test_float_build_f64_fields_convert_as_a_cast(tmp_path_factory):
    """The float build's f64 fields are converted with integer operations (avr-gcc has no
    64-bit double): widening float32 -> binary64 and narrowing binary64 -> float32 must
    give the IEEE conversions' results, here numpy's, on every class of value."""
    c = CCodec(build(tmp_path_factory.mktemp("ccodec"), compiler(), ["-DGNC_REAL_FLOAT"], "float"), "float")
    rng = np.random.default_rng(64)
    at = f64_elements("actuator")
    n = schema()["actuator"].length
    doubles = np.concatenate([_float_edges(), rng.integers(0, 2 ** 64, 20000, dtype=np.uint64).view(np.float64),
                              rng.normal(0, 10.0 ** rng.integers(-45, 39, 20000))])
    floats = np.concatenate([rng.integers(0, 2 ** 32, 20000, dtype=np.uint32).view(np.float32),
                             np.array([0.0, -0.0, 1e-45, -1e-45, 1.1754942e-38, 3.4028235e38, np.inf, -np.inf,
                                       np.nan], np.float32)])
    with np.errstate(over="ignore", invalid="ignore"):      # overflow and signalling NaNs are cases here
        for chunk in np.array_split(doubles, len(doubles) // len(at) + 1):
            frame = np.zeros(n)
            frame[at[:len(chunk)]] = chunk
            rc, _, got = c.decode("actuator", wire.cobs_decode(wire.encode_actuator(0, frame)[1:-1]))
            assert rc == 0
            assert np.array_equal(got[at].astype(np.float32), frame[at].astype(np.float32), equal_nan=True), \
                (frame[at], got[at])
        for chunk in np.array_split(floats, len(floats) // len(at) + 1):
            frame = np.zeros(n, np.float32)
            frame[at[:len(chunk)]] = chunk
            want = wire.encode_actuator(0, frame.astype(np.float64))
            assert c.encode({"type": "actuator", "frame": frame, "seq": 0, "t": None}) == want, frame[at]


def test_crc32_matches_zlib(c):
    rng = np.random.default_rng(1)
    for n in [0, 1, 2, 3, 7, 100, 345, 1000]:
        data = rng.integers(0, 256, n, dtype=np.uint8).tobytes()
        assert c.lib.gnc_crc32(0, data, n) == zlib.crc32(data)
        assert c.lib.gnc_crc32(c.lib.gnc_crc32(0, data[:n // 2], n // 2), data[n // 2:], n - n // 2) == zlib.crc32(data)
    assert c.lib.gnc_crc32(0, b"123456789", 9) == 0xCBF43926


def test_cobs_matches_python(c):
    rng = np.random.default_rng(3)
    out = c._out(2048)
    for n in [0, 1, 253, 254, 255, 256, 507, 508, 509, 1000] + list(rng.integers(0, 1200, 200)):
        data = rng.integers(0, 256, n, dtype=np.uint8)
        data[rng.random(n) < rng.choice([0.0, 0.001, 0.05, 0.5])] = 0
        data = data.tobytes()
        m = c.lib.gnc_cobs_encode(out, len(out), data, n)
        assert bytes(c.ffi.buffer(out, m)) == wire.cobs_encode(data)
        encoded = wire.cobs_encode(data)
        m = c.lib.gnc_cobs_decode(out, len(out), encoded, len(encoded))
        assert bytes(c.ffi.buffer(out, m)) == data
        assert c.lib.gnc_cobs_encode(out, len(encoded) - 1, data, n) == 0   # too small: refused


def test_cobs_decode_in_place(c):
    data = bytes(range(256)) * 2
    encoded = wire.cobs_encode(data)
    buf = c.ffi.new("uint8_t[]", len(encoded))
    c.ffi.memmove(buf, encoded, len(encoded))
    n = c.lib.gnc_cobs_decode(buf, len(encoded), buf, len(encoded))
    assert bytes(c.ffi.buffer(buf, n)) == data


def test_cobs_decode_rejects_malformed(c):
    rng = np.random.default_rng(5)
    out = c._out(2048)
    for _ in range(2000):
        data = rng.integers(0, 256, rng.integers(1, 300), dtype=np.uint8)
        data[rng.random(len(data)) < 0.02] = 0
        data = data.tobytes()
        try:
            want = wire.cobs_decode(data)
        except ValueError:
            want = b""
        n = c.lib.gnc_cobs_decode(out, len(out), data, len(data))
        assert bytes(c.ffi.buffer(out, n)) == want


def _body(**changes) -> bytes:
    body = bytearray(wire.encode_body(wire.MSG["sensor"], 5, None, np.ones(schema()["sensor"].length)))
    for at, value in changes.get("set", {}).items():
        body[at] = value
    if changes.get("reseal", False):
        body[-4:] = zlib.crc32(bytes(body[:-4])).to_bytes(4, "little")
    return bytes(body)


@pytest.mark.parametrize("body, want", [
    (_body()[:11], ERR["short"]),
    (_body(set={20: 0x55}), ERR["bad_crc"]),
    (_body(set={0: wire.PROTOCOL_VERSION + 1}, reseal=True), ERR["bad_version"]),
    (_body(set={1: wire.MSG["actuator"]}, reseal=True), ERR["type"]),
    (_body()[:-5] + zlib.crc32(_body()[:-5]).to_bytes(4, "little"), ERR["bad_length"]),
], ids=["short", "crc", "version", "type", "length"])
def test_c_decoder_errors(c, body, want):
    rc, _, frame = c.decode("sensor", body)
    assert rc == want
    assert np.all(frame == -12345.0)    # nothing written on error


def test_c_encoder_refuses_small_buffer(c):
    frame = np.zeros(schema()["actuator"].length, dtype=c.dtype)
    body = c._out()
    size = wire.HEADER_SIZE + wire.LAYOUTS["actuator"].payload_size + wire.CRC_SIZE
    assert c.lib.gnc_encode_actuator(body, size - 1, 0, c.ffi.from_buffer("real[]", frame)) == 0
    assert c.lib.gnc_encode_actuator(body, size, 0, c.ffi.from_buffer("real[]", frame)) == size


def test_c_log_is_cut_at_the_limit(c):
    text = b"x" * 300
    body = c._out()
    n = c.lib.gnc_encode_log(body, len(body), 1, 0, text, len(text))
    assert wire.decode(c.wire(body, n)).payload == "x" * wire.LOG_MAX


@pytest.mark.parametrize("cross, flags", [
    ("avr-gcc", ["-mmcu=atmega2560", "-Os", "-DGNC_REAL_FLOAT"]),
    ("arm-none-eabi-gcc", ["-mcpu=cortex-m4", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv4-sp-d16",
                           "-Os", "-DGNC_REAL_FLOAT"]),
])
def test_cross_compiles_cleanly(cross, flags, tmp_path):
    if shutil.which(cross) is None:
        reason = f"{cross} not installed (apt-get install {'gcc-avr avr-libc' if cross == 'avr-gcc' else 'gcc-arm-none-eabi'})"
        if os.environ.get("CI") == "true":
            pytest.fail(reason + ", and CI=true requires the cross-compile checks")
        pytest.skip(reason)
    for src in SOURCES:
        cmd = [cross, *STRICT, *flags, f"-I{CSRC}", "-c", str(CSRC / src), "-o", str(tmp_path / (src + ".o"))]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        assert proc.returncode == 0, f"{' '.join(cmd)}\n{proc.stderr}"
