"""fspd._wire against the protobuf library: the FspLossRequest and ComputeFspRequest it writes are protobuf's
serialisation byte for byte, and it reads their responses as protobuf's parse + from_tensor do, in any
encoding protobuf accepts (fields out of order or repeated, scalars packed or not, unknown fields anywhere)."""
from __future__ import annotations

import struct

import numpy as np
import pytest

import fspd
from fspd import _tensor, _wire
from fspd.v1 import fsp_service_pb2 as fsp_pb
from fspd.v1 import types_pb2 as types_pb

rng = np.random.default_rng(7)


def protobuf_request(**kw) -> bytes:
    """What Client.fsp_loss_request (protobuf messages) serialises to."""
    student, teacher, matrices = kw.pop("student"), kw.pop("teacher"), kw.pop("teacher_matrices")
    return fspd.Client.fsp_loss_request(None, student, teacher, teacher_matrices=matrices, **kw).SerializeToString()  # type: ignore[arg-type]


def wire_request(**kw) -> bytes:
    student, teacher, matrices = kw.pop("student"), kw.pop("teacher"), kw.pop("teacher_matrices")
    full = {"weights": None, "layout": "NHWC", "teacher_layout": None, "reduction": "paper", "pooling": "max",
            "return_gradients": True, "return_teacher_matrices": False, **kw}
    return _wire.fsp_loss_request_bytes(student, teacher, matrices, **full)


def f32(*shape):
    return rng.standard_normal(shape).astype(np.float32)


REQUESTS = {
    "matrices, NCHW, weights": dict(student=[(f32(2, 3, 4, 5), f32(2, 6, 4, 5))], teacher=None, teacher_matrices=[f32(2, 3, 6)], layout="NCHW", weights=[0.5]),
    "teacher pairs, two pairs, options": dict(
        student=[(f32(3, 4, 4, 8), f32(3, 4, 4, 16)), (f32(3, 2, 2, 16), f32(3, 2, 2, 32))],
        teacher=[(f32(3, 4, 4, 8), f32(3, 4, 4, 16)), (f32(3, 2, 2, 16), f32(3, 2, 2, 32))],
        teacher_matrices=None, teacher_layout="NHWC", weights=[1.0, 0.25], reduction="mean", pooling="avg",
        return_gradients=False, return_teacher_matrices=True),
    "dtypes and views: float64, float16, a transposed view, a zero-size batch": dict(
        student=[(rng.standard_normal((2, 5, 5, 3)), f32(2, 3, 5, 5).transpose(0, 2, 3, 1)), (f32(0, 4, 4, 2), f32(0, 4, 4, 2))],
        teacher=None, teacher_matrices=[f32(2, 3, 3).astype(np.float16), np.zeros((0, 2, 2), np.float32)]),
    "a FeaturePair message passed through; one long map (multi-byte lengths)": dict(
        student=[types_pb.FeaturePair(first=_tensor.to_tensor(f32(1, 2, 2, 1)), second=_tensor.to_tensor(f32(1, 2, 2, 1)), layout=types_pb.LAYOUT_NHWC),
                 (f32(4, 32, 32, 16), f32(4, 32, 32, 16))],
        teacher=None, teacher_matrices=[f32(1, 1, 1), f32(4, 16, 16)]),
}


@pytest.mark.parametrize("name", REQUESTS)
def test_request_is_protobufs_serialisation(name):
    kw = REQUESTS[name]
    assert wire_request(**kw) == protobuf_request(**kw)


@pytest.mark.parametrize("name", [n for n in REQUESTS if REQUESTS[n]["teacher"] is None])
def test_compute_fsp_request_is_protobufs_serialisation(name):
    kw = REQUESTS[name]
    for layout, pooling in (("NHWC", "max"), ("NCHW", "avg")):
        req = fsp_pb.ComputeFspRequest(pooling=_tensor.pooling(pooling))
        fspd.client._add_pairs(req.pairs, kw["student"], layout)
        assert _wire.compute_fsp_request_bytes(kw["student"], layout=layout, pooling=pooling) == req.SerializeToString()


def test_request_arrays_are_not_changed_and_bad_pairs_are_named():
    a, b = f32(2, 3, 3, 4), f32(2, 3, 3, 4)
    before = a.copy()
    wire_request(student=[(a, b)], teacher=None, teacher_matrices=[f32(2, 4, 4)])
    np.testing.assert_array_equal(a, before)
    with pytest.raises(ValueError, match=r"pairs\[0\]: expected \(first, second\)"):
        wire_request(student=[(a, b, a)], teacher=None, teacher_matrices=[f32(2, 4, 4)])


# -- responses ------------------------------------------------------------------------------------------


def key(number: int, wire: int) -> bytes:
    return _wire._varint(number << 3 | wire)


def length_delimited(number: int, payload: bytes) -> bytes:
    return key(number, 2) + _wire._varint(len(payload)) + payload


def unknown_fields() -> bytes:
    """One unknown field of each wire type protobuf skips (numbers fspd does not use)."""
    return key(90, 0) + _wire._varint(300) + key(91, 1) + b"\x01" * 8 + length_delimited(92, b"abc") + key(93, 5) + b"\x02" * 4


def protobuf_result(data: bytes):
    """Client.fsp_loss_raw's reading: protobuf's parse, then from_tensor."""
    res = fsp_pb.FspLossResponse.FromString(data)
    return (res.loss, list(res.pair_losses), [(_tensor.from_tensor(g.first), _tensor.from_tensor(g.second)) for g in res.student_gradients],
            [_tensor.from_tensor(m) for m in res.teacher_matrices])


def assert_same(mine, theirs):
    assert mine[0] == theirs[0] and mine[1] == theirs[1]
    assert len(mine[2]) == len(theirs[2]) and len(mine[3]) == len(theirs[3])
    for x, y in zip([a for p in mine[2] for a in p] + mine[3], [a for p in theirs[2] for a in p] + theirs[3]):
        assert x.dtype == y.dtype and x.shape == y.shape
        np.testing.assert_array_equal(x, y)
        assert x.flags.writeable


def a_response() -> fsp_pb.FspLossResponse:
    bf16 = types_pb.Tensor(dtype=types_pb.DATA_TYPE_BFLOAT16, shape=[2, 3, 3], data=rng.integers(0, 2**16, 18, dtype=np.uint16).astype("<u2").tobytes())
    return fsp_pb.FspLossResponse(
        loss=1.25, pair_losses=[0.5, 0.75],
        student_gradients=[types_pb.FeaturePair(first=_tensor.to_tensor(f32(2, 3, 4, 5)), second=_tensor.to_tensor(f32(2, 6, 4, 5)), layout=types_pb.LAYOUT_NCHW),
                           types_pb.FeaturePair(first=_tensor.to_tensor(f32(2, 2, 2, 1)), second=_tensor.to_tensor(f32(2, 2, 2, 7)))],
        teacher_matrices=[_tensor.to_tensor(f32(2, 3, 6)), _tensor.to_tensor(f32(2, 3, 3).astype(np.float16)), bf16])


def test_response_as_protobuf_serialises_it():
    for res in (a_response(), fsp_pb.FspLossResponse(), fsp_pb.FspLossResponse(loss=-0.0, pair_losses=[float("inf")])):
        data = res.SerializeToString()
        assert_same(_wire.read_fsp_loss_response(data), protobuf_result(data))


def test_response_in_other_encodings_protobuf_accepts():
    res = a_response()
    g0, g1 = res.student_gradients
    t = res.teacher_matrices[0]
    # A Tensor with its fields reversed, its shape unpacked, and unknown fields inside; a FeaturePair likewise.
    tensor = (unknown_fields() + length_delimited(3, t.data) + b"".join(key(2, 0) + _wire._varint(d) for d in t.shape)
              + key(1, 0) + _wire._varint(t.dtype))
    pair = length_delimited(2, g0.second.SerializeToString()) + unknown_fields() + length_delimited(1, g0.first.SerializeToString()) + key(3, 0) + b"\x02"
    data = b"".join([
        length_delimited(4, tensor),
        unknown_fields(),
        key(2, 1) + struct.pack("<d", 0.5),  # pair_losses unpacked ...
        length_delimited(3, pair),
        key(1, 1) + struct.pack("<d", 9.0),  # loss twice: the last one counts
        length_delimited(2, struct.pack("<d", 0.75)),  # ... and packed, both append
        length_delimited(3, g1.SerializeToString()),
        key(1, 1) + struct.pack("<d", 1.25),
    ])
    mine = _wire.read_fsp_loss_response(data)
    assert_same(mine, protobuf_result(data))
    assert mine[0] == 1.25 and mine[1] == [0.5, 0.75] and len(mine[2]) == 2 and len(mine[3]) == 1


def test_compute_fsp_response_as_protobuf_reads_it():
    res = fsp_pb.ComputeFspResponse(matrices=[_tensor.to_tensor(f32(2, 3, 6)), _tensor.to_tensor(f32(1, 4, 4))])
    for data in (res.SerializeToString(), unknown_fields() + res.SerializeToString() + unknown_fields(), b""):
        mine = _wire.read_compute_fsp_response(data)
        theirs = [_tensor.from_tensor(m) for m in fsp_pb.ComputeFspResponse.FromString(data).matrices]
        assert len(mine) == len(theirs)
        for x, y in zip(mine, theirs):
            assert x.dtype == y.dtype and x.shape == y.shape and x.flags.writeable
            np.testing.assert_array_equal(x, y)
    with pytest.raises(ValueError, match=r"^malformed ComputeFspResponse"):
        _wire.read_compute_fsp_response(res.SerializeToString()[:-2])


def test_malformed_responses_raise_naming_the_message():
    data = a_response().SerializeToString()
    for bad in (data[:-1], data[:3], key(1, 3) + data, key(0, 0) + b"\x01", key(3, 2) + b"\x05\x0a", key(3, 0) + b"\x01"):
        with pytest.raises(ValueError, match=r"^malformed FspLossResponse"):
            _wire.read_fsp_loss_response(bad)
    # A tensor dtype the client cannot decode: from_tensor's error.
    odd = fsp_pb.FspLossResponse(teacher_matrices=[types_pb.Tensor(dtype=99, shape=[1], data=b"\0\0\0\0")]).SerializeToString()
    with pytest.raises(ValueError, match="tensor dtype 99 cannot be decoded"):
        _wire.read_fsp_loss_response(odd)


def test_teacher_fsp_response_as_protobuf_reads_it():
    """read_teacher_fsp_response's parts are the message's fields, for every matrix dtype; numpy and torch read
    them as from_tensor and fspd.torch.tensor_of read the parsed message."""
    torch = pytest.importorskip("torch")
    import fspd.torch as ft

    res = fsp_pb.TeacherFspResponse(matrices=a_response().teacher_matrices, cache_hits=3, model_fingerprint="sha256:ab·c")
    encodings = {
        "protobuf": res.SerializeToString(),
        # unknown fields around and between, cache_hits twice (the last counts) and above 32 bits (protobuf keeps the low 32)
        "other": (unknown_fields() + key(2, 0) + _wire._varint(9) + b"".join(length_delimited(1, m.SerializeToString()) for m in res.matrices)
                  + unknown_fields() + length_delimited(3, res.model_fingerprint.encode()) + key(2, 0) + _wire._varint(3 + (1 << 32))),
        "empty": b"",
    }
    for name, data in encodings.items():
        theirs = fsp_pb.TeacherFspResponse.FromString(data)
        matrices, hits, fingerprint = _wire.read_teacher_fsp_response(data)
        assert (hits, fingerprint) == (theirs.cache_hits, theirs.model_fingerprint), name
        assert len(matrices) == len(theirs.matrices), name
        for (dtype, shape, view), t in zip(matrices, theirs.matrices):
            assert (dtype, shape, bytes(view)) == (t.dtype, list(t.shape), t.data), name
            x, y = _tensor.array_of(dtype, shape, view), _tensor.from_tensor(t)
            assert x.dtype == y.dtype and x.flags.writeable
            np.testing.assert_array_equal(x, y)
            a, b = ft._tensor_from(dtype, shape, view), ft.tensor_of(t)
            assert a.dtype == b.dtype and a.shape == b.shape and torch.equal(a, b)
    assert _wire.read_teacher_fsp_response(encodings["other"])[1:] == (3, "sha256:ab·c")
    data = res.SerializeToString()
    for bad in (data[:-1], key(1, 0) + b"\x01", key(3, 2) + b"\x02\xff\xfe", key(2, 2) + b"\x00"):
        with pytest.raises(ValueError, match=r"^malformed TeacherFspResponse"):
            _wire.read_teacher_fsp_response(bad)
