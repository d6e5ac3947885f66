"""The Python HIL wire codec (gnc/wire.py) against its contract.

tests/vectors/frames.json is the contract shared with the C codec; regenerate it
with `python tests/test_codec.py` after a deliberate protocol change.
"""
from __future__ import annotations

import json
import re
import struct
import tomllib
import zlib
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gnc import codegen, frames, wire
from gnc.frames import schema

VECTORS_PATH = Path(__file__).with_name("vectors") / "frames.json"
DOC_PATH = Path(__file__).resolve().parent.parent / "docs" / "protocol.md"
INT_MAX = {"u8": 0xFF, "u16": 0xFFFF, "u32": 0xFFFFFFFF}
FAST = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def frame_from(kind: str, **values) -> np.ndarray:
    """A frame array from field values by name (the rest zero)."""
    frame = np.zeros(schema()[wire.FRAME_OF[kind]].length)
    for name, value in values.items():
        f = schema()[wire.FRAME_OF[kind]].field(name)
        frame[f.offset:f.offset + f.n] = value
    return frame


# ---------------------------------------------------------------- shared vectors

def _vector(name, msg_type, seq, t, payload) -> dict:
    kind = wire.MSG_NAME[msg_type]
    packet = wire.encode(msg_type, seq, t, payload)
    v = {"name": name, "type": kind, "msg_type": msg_type, "seq": seq, "t": t}
    if kind in wire.LAYOUTS:
        v["frame"] = [float(x) for x in payload]
        v["decoded"] = [float(x) for x in wire.decode(packet).payload]
    elif kind == "hello":
        v["hello"] = {"real_size": payload.real_size, "clock_hz": payload.clock_hz,
                      "flags": payload.flags, "name": payload.name, "fingerprint": payload.fingerprint}
    elif kind == "reset":
        v["fingerprint"] = payload
    elif kind == "log":
        v["text"] = payload
    v["wire"] = packet.hex()
    return v


def _long_run_config() -> np.ndarray:
    """A config a board accepts whose body COBS-encodes to the worst-case length (zero-free runs fill the blocks)."""
    for seed in range(1000):
        cfg = np.random.default_rng(seed).uniform(-1e3, 1e3, schema()["config"].length)
        cfg[schema()["config"].field("program").offset] = 1
        dt = schema()["config"].field("dt").offset
        cfg[dt] = abs(cfg[dt])                                     # a board refuses dt <= 0
        cfg[schema()["config"].field("law").offset] = 0            # and a law it does not know
        body = wire.encode_body(wire.MSG["config"], 0x0101, None, cfg)
        if len(wire.cobs_encode(body)) == wire.cobs_max(len(body)):
            return cfg
    raise AssertionError("no seed gives a worst-case body")


def build_vectors() -> dict:
    m = wire.MSG
    sensor = frame_from(
        "sensor", t=12.34, imu_dv=[0.0125, -0.003, 0.0321], imu_dth=[1e-4, -2e-4, 5e-5],
        alt_range=2345.5, vel_beam=[-12.5, 3.25, 40.0], star_q=[0.70710677, 0.0, 0.70710677, 0.0],
        rn_range=1.0e5, rn_los=[0.1, -0.2], valid=(1 << 0) | (1 << 1) | (1 << 5), cmd=1)
    extremes = frame_from(
        "sensor", t=5.0e6, imu_dv=[3.0e38, -0.0, 1e-40], alt_range=-7.25, valid=70000.0, cmd=2.5)
    actuator = frame_from(
        "actuator", t=12.34, thrust_cmd=7500.0,
        rcs_on=[0.0, 0.012, 0.02, 0.65535, 1.0, -0.001, 0.0031, 0.00004, 0.1, 0.2, 0.3, 0.004],
        phase=4, health=(1 << 0) | (1 << 2), nav_pos=[-1234.5, 87.25, 2400.0],
        nav_vel=[-15.0, 0.5, -3.0], nav_q=[1.0, 0.0, 0.0, 0.0], hdu_cmd=1,
        nav_sigma=[12.5, 12.5, 3.75, 0.25, 0.25, 0.125], step_cycles=123456)
    orbit = frame_from(
        "actuator", t=5400.02, phase=13, health=1, nav_pos=[-512.0, -20000.0, 30.5], nav_vel=[0.25, 1.5, -0.01],
        nav_q=[0.5, -0.5, 0.5, 0.5], nav_sigma=[7.0, 30.0, 7.5, 0.0125, 0.05, 0.0125],
        nav_orbit_pos=[1812345.678901234, -2.5e-3, -301234.5625], nav_orbit_vel=[-252.25, 1602.5, 0.75],
        idle_s=5460.02)
    # f64 beyond float: 1e300 and a double subnormal (a float build holds inf and 0 there)
    saturated = frame_from("actuator", t=0.5, phase=300, health=-1.0, step_cycles=5.0e9, hdu_cmd=2.5,
                           nav_orbit_pos=[1e300, -0.0, 5e-324], idle_s=1e30)
    cfg = frame_from("config", program=1, dt=0.02, mu=4.9048695e12, r_site=1737400.0,
                     c_li0=[1, 0, 0, 0, 1, 0, 0, 0, 1], nav0_q=[1, 0, 0, 0], mass0=3780.0,
                     isp=3000.0, thrust_max=7500.0, thrust_min=1500.0, hover_alt=100.0)
    uplink = frame_from("config", program=3, dt=0.1, burn_t=[5460.0, 7020.5, 0.0, 0.0],
                        burn_dv=[0.5, -1.25, 0.0, 0.0, 0.75, 0.0625] + [0.0] * 6, orb_epoch=5400.0,
                        orb_tgt_pos=[1812345.5, -2.5e3, -301234.5], orb_tgt_vel=[-252.25, 1602.5, 0.75])
    vectors = [
        _vector("sensor_zero", m["sensor"], 0, None, np.zeros(schema()["sensor"].length)),
        _vector("sensor_descent", m["sensor"], 513, None, sensor),
        _vector("sensor_extremes", m["sensor"], 65535, None, extremes),
        _vector("actuator_hover", m["actuator"], 514, None, actuator),
        _vector("actuator_orbit", m["actuator"], 40000, None, orbit),
        _vector("actuator_saturated", m["actuator"], 1, None, saturated),
        _vector("config_descent", m["config"], 1, None, cfg),
        _vector("config_long_run", m["config"], 0x0101, None, _long_run_config()),
        _vector("uplink_burns", m["uplink"], 4242, None, uplink),
        _vector("hello_avr", m["hello"], 0, 0.0, wire.Hello(4, 16_000_000, 1, "arduino-mega2560/0.1.0")),
        _vector("hello_host", m["hello"], 3, 1.5, wire.Hello(8, 0, 0, "host-stub/0.1.0")),
        _vector("hello_long_name", m["hello"], 4, 2.0, wire.Hello(4, 168_000_000, 0, "n" * 48)),
        _vector("log_ascii", m["log"], 9, 61.25, "main braking: alt 1.2e4 m"),
        _vector("log_utf8", m["log"], 10, 62.0, "\u0394v gate \u00b13\u03c3"),
        _vector("log_empty", m["log"], 11, 63.0, ""),
        _vector("reset", m["reset"], 7, 0.0, wire.SCHEMA_FINGERPRINT),
    ]
    return {"protocol_version": wire.PROTOCOL_VERSION, "schema_fingerprint": f"{wire.SCHEMA_FINGERPRINT:08x}",
            "about": "HIL wire test vectors (docs/protocol.md). `wire` is the complete message: "
                     "0x00, COBS(header|payload|CRC-32), 0x00. Frames: `frame` is what is "
                     "encoded (t null = the frame's time field), `decoded` what decoding `wire` gives.",
            "vectors": vectors}


def load_vectors() -> list[dict]:
    return json.loads(VECTORS_PATH.read_text())["vectors"]


# Read at import for parametrize; a missing file fails test_vectors_cover_every_message_type.
VECTORS = load_vectors() if VECTORS_PATH.exists() else []


def _payload_of(v: dict):
    kind = v["type"]
    if kind in wire.LAYOUTS:
        return np.array(v["frame"])
    if kind == "hello":
        return wire.Hello(**v["hello"])
    if kind == "reset":
        return v["fingerprint"]
    return v.get("text")


@pytest.mark.parametrize("v", VECTORS, ids=lambda v: v["name"])
def test_python_encoder_matches_vector(v):
    assert wire.encode(v["msg_type"], v["seq"], v["t"], _payload_of(v)).hex() == v["wire"]


@pytest.mark.parametrize("v", VECTORS, ids=lambda v: v["name"])
def test_python_decoder_reads_vector(v):
    message = wire.decode(bytes.fromhex(v["wire"]))
    assert (message.kind, message.seq) == (v["type"], v["seq"])
    if v["type"] in wire.LAYOUTS:
        np.testing.assert_array_equal(message.payload, v["decoded"])
    else:
        assert message.payload == _payload_of(v)


def test_vectors_cover_every_message_type():
    assert {v["type"] for v in load_vectors()} == set(wire.MSG)


def test_vectors_hold_a_full_cobs_block():
    # COBS adds one byte plus one per full 254-byte block: the worst case needs one.
    packet = bytes.fromhex(next(v["wire"] for v in load_vectors() if v["name"] == "config_long_run"))
    assert len(packet) == wire.wire_size(wire.MSG["config"])


# ---------------------------------------------------------------- COBS

@FAST
@given(st.binary(max_size=800))
def test_cobs_round_trip(data):
    encoded = wire.cobs_encode(data)
    assert 0 not in encoded
    assert len(encoded) <= wire.cobs_max(len(data))
    assert wire.cobs_decode(encoded) == data


@pytest.mark.parametrize("n", [253, 254, 255, 508, 509])
def test_cobs_block_boundaries(n):
    data = bytes(range(1, 256)) * 3
    data = data[:n]
    encoded = wire.cobs_encode(data)
    assert len(encoded) == wire.cobs_max(n)
    assert wire.cobs_decode(encoded) == data
    assert wire.cobs_encode(data + b"\x00")[-1] == 1


@FAST
@given(st.binary(max_size=300))
def test_cobs_decode_rejects_only_with_value_error(data):
    try:
        wire.cobs_decode(data)
    except ValueError:
        pass


# ---------------------------------------------------------------- frames

def exact_frames(kind: str):
    """Frames whose every value survives the wire unchanged."""
    parts = []
    for f in schema()[wire.FRAME_OF[kind]].fields:
        if f.wire == "header_time":
            elem = st.integers(0, 2 ** 32 - 1).map(lambda ms: ms / 1000)
        elif f.wire == "f32":
            elem = st.floats(width=32)
        elif f.wire == "f64":
            elem = st.floats()
        elif f.scale:
            elem = st.integers(0, INT_MAX[f.wire]).map(lambda q, s=f.scale: q * s)
        else:
            elem = st.integers(0, INT_MAX[f.wire]).map(float)
        parts.append(st.lists(elem, min_size=f.n, max_size=f.n))
    return st.tuples(*parts).map(lambda ps: np.array([x for p in ps for x in p]))


def any_frames(kind: str):
    return st.lists(st.floats(allow_nan=True, allow_infinity=True), min_size=schema()[wire.FRAME_OF[kind]].length,
                    max_size=schema()[wire.FRAME_OF[kind]].length).map(np.array)


@pytest.mark.parametrize("kind", wire.FRAME_MESSAGES)
def test_representable_frames_round_trip_exactly(kind):
    @FAST
    @given(exact_frames(kind), st.integers(0, 0xFFFF))
    def check(frame, seq):
        packet = wire.encode(wire.MSG[kind], seq, None, frame)
        assert len(packet) <= wire.wire_size(wire.MSG[kind])
        message = wire.decode(packet)
        assert (message.kind, message.seq) == (kind, seq)
        np.testing.assert_array_equal(message.payload, frame)
    check()


@pytest.mark.parametrize("kind", wire.FRAME_MESSAGES)
def test_any_frame_decodes_to_its_wire_rounding(kind):
    layout = wire.LAYOUTS[kind]

    @FAST
    @given(any_frames(kind))
    def check(frame):
        got = wire.decode(wire.encode(wire.MSG[kind], 0, None, frame)).payload
        with np.errstate(over="ignore", invalid="ignore"):
            for f in layout.fields:
                x, y = frame[f.offset:f.offset + f.n], got[f.offset:f.offset + f.n]
                if f.wire == "f32":
                    np.testing.assert_array_equal(y, x.astype(np.float32).astype(float))
                    continue
                if f.wire == "f64":
                    np.testing.assert_array_equal(y, x)
                    continue
                want = np.nan_to_num(x / (f.scale or 1.0), nan=0.0, posinf=np.inf, neginf=-np.inf)
                want = np.clip(want, 0, INT_MAX[f.wire])
                q = y / (f.scale or 1.0)
                assert np.all(np.abs(q - want) <= 0.5 + 1e-6 * want), (f.name, x, y)
    check()


def test_f32_and_integer_rounding_rules():
    frame = frame_from("sensor", t=0.0005, imu_dv=[0.1, np.nan, 1e39], valid=np.nan, cmd=2.5)
    got = wire.decode(wire.encode_sensor(0, frame)).payload
    at = {f.name: f.offset for f in schema()["sensor"].fields}
    assert got[at["imu_dv"]] == np.float32(0.1)
    assert np.isnan(got[at["imu_dv"] + 1])
    assert got[at["imu_dv"] + 2] == np.inf
    assert got[at["valid"]] == 0        # NaN -> 0
    assert got[at["cmd"]] == 2          # half to even
    assert got[at["t"]] == 0.0          # 0.5 ms -> 0, half to even


@pytest.mark.parametrize("t, ms", [(0.0, 0), (0.0015, 2), (12.34, 12340), (-0.001, 2 ** 32 - 1),
                                   (4294967.296, 0), (5.0e6, 5_000_000_000 % 2 ** 32),
                                   (float("nan"), 0), (float("inf"), 0), (1e300, 0)])
def test_time_tag(t, ms):
    assert wire.time_to_ms(t) == ms


def test_frame_time_comes_from_its_field_unless_given():
    frame = frame_from("actuator", t=3.5)
    assert wire.decode(wire.encode_actuator(1, frame)).t_ms == 3500
    assert wire.decode(wire.encode(wire.MSG["actuator"], 1, 4.0, frame)).payload[0] == 4.0
    assert wire.decode(wire.encode_config(1, np.zeros(schema()["config"].length))).t_ms == 0


def test_encoder_rejects_what_the_wire_cannot_carry():
    with pytest.raises(ValueError):
        wire.encode_sensor(0, np.zeros(schema()["sensor"].length + 1))
    with pytest.raises(ValueError):
        wire.encode_hello(0, 0.0, 4, 1, 0, "x" * 49)
    with pytest.raises(ValueError):
        wire.encode_hello(0, 0.0, 4, 1, 0, "a\x00b")
    with pytest.raises(ValueError):
        wire.encode_log(0, 0.0, "x" * 201)
    with pytest.raises(ValueError):
        wire.encode(99, 0, 0.0, None)


def test_seq_wraps_at_16_bits():
    assert wire.decode(wire.encode_reset(65536 + 5)).seq == 5


def test_wire_sizes():
    fixed = {name: wire.wire_size(wire.MSG[name]) for name in ("hello", "reset", "log")}
    assert fixed == {"hello": 73, "reset": 19, "log": 215}
    assert wire.wire_size(wire.MSG["uplink"]) == wire.wire_size(wire.MSG["config"])
    for kind, layout in wire.LAYOUTS.items():
        wire_bytes = {"f32": 4, "f64": 8, "u8": 1, "u16": 2, "u32": 4}
        assert layout.payload_size == sum(f.n * wire_bytes[f.wire] for f in layout.fields)
        body = wire.encode_body(wire.MSG[kind], 0, None, np.ones(layout.length))
        assert len(body) == wire.HEADER_SIZE + layout.payload_size + wire.CRC_SIZE
        assert wire.wire_size(wire.MSG[kind]) == len(body) + len(body) // 254 + 3   # COBS code bytes, 2 delimiters


# ---------------------------------------------------------------- streaming decoder

def _sample_messages() -> list[bytes]:
    rng = np.random.default_rng(7)
    out = []
    for i, kind in enumerate(wire.FRAME_MESSAGES * 2):
        frame = rng.normal(0, 100, schema()[wire.FRAME_OF[kind]].length)
        frame[0] = abs(frame[0])
        out.append(wire.encode(wire.MSG[kind], i, None, frame))
    out += [wire.encode_hello(20, 0.1, 4, 16_000_000, 1, "uno/1"), wire.encode_log(21, 0.2, "hi"),
            wire.encode_reset(22)]
    return out


SAMPLES = _sample_messages()


def reencode(message: wire.Message) -> bytes:
    return wire.encode(message.msg_type, message.seq, message.t, message.payload)


def test_decoder_reads_every_vector_in_one_stream():
    wires = [bytes.fromhex(v["wire"]) for v in VECTORS]
    decoder = wire.Decoder()
    assert [reencode(m) for m in decoder.feed(b"".join(wires))] == wires
    assert decoder.stats["messages"] == len(wires)


@FAST
@given(st.lists(st.integers(0, len(SAMPLES) - 1), max_size=12), st.lists(st.integers(1, 64), max_size=20))
def test_stream_decodes_everything_in_any_chunking(order, cuts):
    stream = b"".join(SAMPLES[i] for i in order)
    decoder, got, at = wire.Decoder(), [], 0
    for cut in cuts:
        got += decoder.feed(stream[at:at + cut])
        at += cut
    got += decoder.feed(stream[at:])
    assert [reencode(m) for m in got] == [SAMPLES[i] for i in order]
    assert decoder.stats == {"messages": len(order), **{k: 0 for k in wire.ERROR_KINDS}}


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2000))
def test_garbage_never_raises_nor_decodes(data):
    decoder = wire.Decoder()
    assert decoder.feed(data) == []
    assert decoder.stats["messages"] == 0


mutation = st.tuples(st.sampled_from(["flip", "insert", "delete", "truncate"]),
                     st.integers(0, 10 ** 6), st.integers(0, 255))


def mutate(stream: bytes, edits) -> bytes:
    data = bytearray(stream)
    for op, at, byte in edits:
        if not data:
            break
        at %= len(data)
        if op == "flip":
            data[at] ^= 1 << (byte % 8)
        elif op == "insert":
            data.insert(at, byte)
        elif op == "delete":
            del data[at]
        else:
            del data[at:]
    return bytes(data)


@settings(max_examples=500, deadline=None)
@given(st.lists(st.integers(0, len(SAMPLES) - 1), min_size=1, max_size=8), st.lists(mutation, max_size=6))
def test_mutated_stream_yields_only_sent_messages(order, edits):
    decoder = wire.Decoder()
    got = decoder.feed(mutate(b"".join(SAMPLES[i] for i in order), edits))
    sent = set(SAMPLES)
    assert all(reencode(m) in sent for m in got)
    assert decoder.stats["messages"] == len(got)


@FAST
@given(st.binary(max_size=600))
def test_resynchronises_within_one_frame(garbage):
    first, second = SAMPLES[0], SAMPLES[1]
    got = wire.Decoder().feed(garbage + first + second)
    # protocol 4: every message starts with its own 0x00, so no garbage can take it down
    assert [reencode(m) for m in got[-2:]] == [first, second]


@FAST
@given(st.integers(0, len(SAMPLES) - 1), st.integers(1, 10 ** 6), st.integers(0, len(SAMPLES) - 1))
def test_a_cut_message_costs_itself_only(which, cut, retry):
    """A message cut short (its tail and closing delimiter lost), then a retransmission:
    the leading 0x00 ends the cut run, so the retransmission decodes."""
    cut_short = SAMPLES[which][:1 + cut % (len(SAMPLES[which]) - 2)]
    decoder = wire.Decoder()
    assert [reencode(m) for m in decoder.feed(cut_short + SAMPLES[retry])] == [SAMPLES[retry]]


def test_every_message_starts_and_ends_with_a_delimiter():
    for packet in SAMPLES:
        assert packet[0] == 0 and packet[-1] == 0 and 0 not in packet[1:-1]


def _sealed(header_payload: bytes) -> bytes:
    body = header_payload + struct.pack("<I", zlib.crc32(header_payload))
    return wire.cobs_encode(body) + b"\x00"


SENSOR_BODY = wire.encode_body(wire.MSG["sensor"], 1, None, frame_from("sensor", t=1.0))
GOOD = wire.encode_reset(99)
BAD_INPUTS = {
    "bad_cobs": b"\x05\x01\x00",
    "short": wire.cobs_encode(b"\x01\x04\x00\x00") + b"\x00",
    "bad_crc": wire.cobs_encode(SENSOR_BODY[:20] + bytes([SENSOR_BODY[20] ^ 4]) + SENSOR_BODY[21:]) + b"\x00",
    "bad_version": _sealed(wire.HEADER.pack(wire.PROTOCOL_VERSION + 1, wire.MSG["reset"], 0, 0)),
    "unknown_type": _sealed(wire.HEADER.pack(wire.PROTOCOL_VERSION, 0xEE, 0, 0)),
    "bad_length": _sealed(SENSOR_BODY[:-5]),
    "overflow": b"\x01" * (wire.MAX_RUN + 1) + b"\x00",
}


@pytest.mark.parametrize("kind", BAD_INPUTS)
def test_each_error_counts_once_and_the_next_frame_decodes(kind):
    decoder = wire.Decoder()
    got = decoder.feed(BAD_INPUTS[kind] + GOOD)
    assert [reencode(m) for m in got] == [GOOD]
    assert decoder.stats == {"messages": 1, **{k: int(k == kind) for k in wire.ERROR_KINDS}}


@pytest.mark.parametrize("kind, payload", [("hello", b"\x04\x00"), ("log", b"x" * 201), ("reset", b"x"),
                                           ("actuator", b"\x01" * (wire.LAYOUTS["actuator"].payload_size + 1)),
                                           ("uplink", b"\x01" * (wire.LAYOUTS["uplink"].payload_size - 1))])
def test_payload_length_checked_per_type(kind, payload):
    decoder = wire.Decoder()
    decoder.feed(_sealed(wire.HEADER.pack(wire.PROTOCOL_VERSION, wire.MSG[kind], 0, 0) + payload))
    assert decoder.stats["bad_length"] == 1


def test_foreign_protocol_version_is_reported():
    decoder = wire.Decoder()
    decoder.feed(BAD_INPUTS["bad_version"])
    assert decoder.foreign_version == wire.PROTOCOL_VERSION + 1


def test_overlong_run_counts_once_then_resyncs():
    decoder = wire.Decoder()
    for _ in range(100):
        decoder.feed(b"\x01" * 1000)
    assert decoder.stats["overflow"] == 1
    assert [reencode(m) for m in decoder.feed(b"\x00" + GOOD)] == [GOOD]


def test_hello_and_reset_carry_the_schema_fingerprint():
    assert wire.decode(wire.encode_reset(1)).payload == wire.SCHEMA_FINGERPRINT
    assert wire.decode(wire.encode_reset(1, fingerprint=0x12345678)).payload == 0x12345678
    hello = wire.decode(wire.encode_hello(0, 0.0, 4, 1, 0, "b/1", fingerprint=0xCAFEF00D)).payload
    assert hello.fingerprint == 0xCAFEF00D and hello.name == "b/1"


def _fingerprint_of(edit) -> int:
    """The fingerprint of frames.toml with edit(raw) applied (the version left alone)."""
    raw = tomllib.loads(frames.SCHEMA_PATH.read_text())
    edit(raw)
    return frames.parse(raw).fingerprint()


def _field(raw, kind, name):
    return next(f for f in raw[kind]["fields"] if f["name"] == name)


@pytest.mark.parametrize("what, edit", [
    ("wire type", lambda raw: _field(raw, "actuator", "thrust_cmd").update(wire="f64")),
    ("scale", lambda raw: _field(raw, "actuator", "rcs_on").update(scale=2e-5)),
    ("n", lambda raw: _field(raw, "sensor", "rn_los").update(n=3)),
    ("name", lambda raw: _field(raw, "config", "mu").update(name="gm")),
    ("order", lambda raw: raw["sensor"]["fields"].insert(1, raw["sensor"]["fields"].pop(2))),
    ("new field", lambda raw: raw["config"]["fields"].append({"name": "x", "wire": "f32"})),
    ("message code", lambda raw: raw["messages"].update(uplink=8)),
    ("version", lambda raw: raw.update(protocol_version=raw["protocol_version"] + 1)),
])
def test_a_schema_change_without_a_version_bump_moves_the_fingerprint(what, edit):
    assert _fingerprint_of(lambda raw: None) == wire.SCHEMA_FINGERPRINT
    assert _fingerprint_of(edit) != wire.SCHEMA_FINGERPRINT, what


def test_docs_and_units_leave_the_fingerprint_alone():
    def reword(raw):
        for f in raw["actuator"]["fields"]:
            f["doc"], f["unit"] = "reworded", "furlongs"
    assert _fingerprint_of(reword) == wire.SCHEMA_FINGERPRINT


def test_the_c_layout_carries_the_python_fingerprint():
    header = (Path(__file__).resolve().parent.parent / "csrc" / "layout.h").read_text()
    (value,) = re.findall(r"#define GNC_SCHEMA_FINGERPRINT 0x([0-9a-f]{8})u", header)
    assert int(value, 16) == wire.SCHEMA_FINGERPRINT == zlib.crc32(schema().canonical_text().encode())
    assert schema().canonical_text().startswith(f"protocol_version {wire.PROTOCOL_VERSION}\n")


def test_the_fuel_optimal_laws_counters_cross_the_wire_up_to_the_most_it_can_count():
    """One step's planning is at most a final-time search's solves (pdg_law.STAGE_FINAL + 1),
    each at most MAX_ITERS + 1 iterations: a u8 clipped the 417 a step spent in a 10 Hz flight
    to 255.  A flight's solves and iterations are hundreds and thousands, its fallbacks at most
    one an arc."""
    from gnc.core.fsw import pdg_law
    from gnc.core.pdg import solver

    per_solve = solver.MAX_ITERS + 1
    frame = frame_from("actuator", plan_solves=10**6, plan_failures=10**4, plan_iters=10**8,
                       plan_iter_max=per_solve, plan_step_iter_max=(pdg_law.STAGE_FINAL + 1) * per_solve,
                       plan_fallbacks=100)
    assert np.array_equal(wire.decode(wire.encode_actuator(1, frame)).payload, frame)


def test_hello_flags():
    hello = wire.decode(wire.encode_hello(0, 0.0, 4, 72_000_000, wire.HELLO_FLAG_SYSTICK_CYCLES, "b/1")).payload
    assert hello.systick_cycles and hello.real_size == 4 and hello.name == "b/1"


# ---------------------------------------------------------------- generated files and docs

def test_generated_files_are_current():
    assert codegen.main(["--check"]) == 0, "run python -m gnc.codegen"


def test_doc_hex_examples_are_vectors():
    doc = DOC_PATH.read_text()
    blocks = re.findall(r"```hex\n(.*?)```", doc, re.S)
    assert blocks, "docs/protocol.md has no ```hex example"
    wires = {v["wire"] for v in load_vectors()}
    for block in blocks:
        assert re.sub(r"\s+", "", block) in wires


if __name__ == "__main__":
    VECTORS_PATH.parent.mkdir(parents=True, exist_ok=True)
    VECTORS_PATH.write_text(json.dumps(build_vectors(), indent=1) + "\n")
    print(f"wrote {VECTORS_PATH}")
