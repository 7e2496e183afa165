"""fspd.Client against a real server: FSP math in both layouts, typed results, errors, deadlines,
retries, TLS and token."""
from __future__ import annotations

import time

import grpc
import numpy as np
import pytest

import fspd
from fspd import errors

rng = np.random.default_rng(0)


def np_fsp(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """float64 FSP of NHWC maps with equal h×w."""
    n, h, w, c1 = a.shape
    return np.einsum("nxi,nxj->nij", a.reshape(n, h * w, c1).astype(np.float64), b.reshape(n, h * w, -1).astype(np.float64)) / (h * w)


def maps(n=2, h=5, w=3, c1=4, c2=6):
    return rng.standard_normal((n, h, w, c1)).astype(np.float32), rng.standard_normal((n, h, w, c2)).astype(np.float32)


def test_compute_fsp_nhwc_and_nchw(client: fspd.Client):
    a, b = maps()
    (g,) = client.compute_fsp([(a, b)])
    assert g.dtype == np.float32 and g.shape == (2, 4, 6)
    np.testing.assert_allclose(g, np_fsp(a, b), rtol=1e-5, atol=1e-6)
    (g2,) = client.compute_fsp([(a.transpose(0, 3, 1, 2), b.transpose(0, 3, 1, 2))], layout="NCHW")
    np.testing.assert_allclose(g2, g, rtol=1e-6, atol=1e-6)


def test_compute_fsp_float16_and_several_pairs(client: fspd.Client):
    a, b = maps(n=1, h=4, w=4, c1=3, c2=2)
    c, d = maps(n=1, h=1, w=1, c1=1, c2=5)
    g1, g2 = client.compute_fsp([(a.astype(np.float16), b.astype(np.float16)), (c, d)])
    np.testing.assert_allclose(g1, np_fsp(a.astype(np.float16), b.astype(np.float16)), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(g2, np_fsp(c, d), rtol=1e-6)


def test_fsp_loss_typed_result(client: fspd.Client):
    s, t = maps(), maps()
    r = client.fsp_loss([s], [t], return_teacher_matrices=True)
    assert isinstance(r, fspd.FspLossResult)
    expected = ((np_fsp(*s) - np_fsp(*t)) ** 2).sum(axis=(1, 2)).mean()
    assert r.loss == pytest.approx(expected, rel=1e-5)
    assert r.pair_losses == [pytest.approx(r.loss)]
    (ga, gb), = r.gradients
    assert ga.shape == s[0].shape and gb.shape == s[1].shape and ga.dtype == np.float32
    np.testing.assert_allclose(r.teacher_matrices[0], np_fsp(*t), rtol=1e-5, atol=1e-6)
    # the cached matrices give the same loss
    r2 = client.fsp_loss([s], teacher_matrices=r.teacher_matrices, return_gradients=False)
    assert r2.loss == pytest.approx(r.loss, rel=1e-6) and r2.gradients == []


def test_fsp_loss_weights_and_mean_reduction(client: fspd.Client):
    s1, t1, s2, t2 = maps(), maps(), maps(c1=2, c2=3), maps(c1=2, c2=3)
    r = client.fsp_loss([s1, s2], [t1, t2], weights=[0.5, 2.0], reduction="mean")
    d1 = ((np_fsp(*s1) - np_fsp(*t1)) ** 2).mean()
    d2 = ((np_fsp(*s2) - np_fsp(*t2)) ** 2).mean()
    assert r.pair_losses == [pytest.approx(0.5 * d1, rel=1e-5), pytest.approx(2.0 * d2, rel=1e-5)]
    assert r.loss == pytest.approx(0.5 * d1 + 2.0 * d2, rel=1e-5)


def test_invalid_argument_names_the_field(client: fspd.Client):
    a, b = maps()
    with pytest.raises(errors.InvalidArgument) as e:
        client.fsp_loss([(a, b[:1])], [(a, b)])
    assert e.value.code == grpc.StatusCode.INVALID_ARGUMENT
    assert e.value.field is not None and e.value.field.startswith("student[0]"), e.value.details
    assert isinstance(e.value, ValueError) and "FspLoss" in str(e.value)
    # From grpc-status-details-bin (google.rpc.ErrorInfo and BadRequest), not from the message text.
    assert (e.value.reason, e.value.domain) == ("INVALID_FIELD", "fspd")
    assert [v.field for v in e.value.field_violations] == [e.value.field]
    assert e.value.field_violations[0].description in e.value.details


def test_error_details(client: fspd.Client):
    huge = "m" * (100 * 1024)
    with pytest.raises(errors.NotFound) as e:
        client.get_model(huge)
    # The 100 KiB id comes back cut: grpcio refuses trailers over 8 KiB, so the call would fail otherwise.
    assert e.value.reason == "NOT_FOUND" and e.value.metadata["resource"] == "model"
    assert len(e.value.details) < 200 and "(102400 chars)" in e.value.details
    assert e.value.retry_delay is None
    with pytest.raises(errors.InvalidArgument) as e:
        client.create_resnet(8, model_id=huge)
    assert e.value.field == "model_id" and e.value.reason == "INVALID_FIELD"


def test_client_side_argument_errors(client: fspd.Client):
    a, b = maps()
    with pytest.raises(ValueError, match="exactly one"):
        client.fsp_loss([(a, b)])
    with pytest.raises(ValueError, match="layout"):
        client.compute_fsp([(a, b)], layout="HWCN")


def test_deadline_exceeded(client: fspd.Client):
    a, b = (rng.standard_normal((32, 32, 32, 64)).astype(np.float32) for _ in range(2))
    with pytest.raises(errors.DeadlineExceeded) as e:
        client.fsp_loss([(a, b)], [(a, b)], timeout=0.001)
    assert e.value.code == grpc.StatusCode.DEADLINE_EXCEEDED


class _Counter(grpc.UnaryUnaryClientInterceptor):
    def __init__(self):
        self.calls = 0

    def intercept_unary_unary(self, continuation, details, request):
        self.calls += 1
        return continuation(details, request)


def _closed_port() -> str:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"127.0.0.1:{s.getsockname()[1]}"


def test_retries_with_backoff_on_unavailable():
    counter = _Counter()
    address = _closed_port()
    channel = grpc.intercept_channel(grpc.insecure_channel(address), counter)
    c = fspd.Client(address, channel=channel, retry=fspd.Retry(attempts=4, initial=0.05, multiplier=2.0), timeout=10)
    a, b = maps()
    t0 = time.monotonic()
    with pytest.raises(errors.Unavailable) as e:
        c.compute_fsp([(a, b)])
    assert counter.calls == 4
    assert time.monotonic() - t0 >= 0.5 * (0.05 + 0.1 + 0.2)  # three pauses, jitter >= 0.5
    assert isinstance(e.value, ConnectionError)
    c.close()


def test_no_retry_on_invalid_argument(server: str):
    counter = _Counter()
    c = fspd.Client(server, channel=grpc.intercept_channel(grpc.insecure_channel(server), counter))
    a, b = maps()
    with pytest.raises(errors.InvalidArgument):
        c.compute_fsp([(a, b[:1])])
    assert counter.calls == 1
    c.close()


def test_retry_stops_at_the_deadline():
    c = fspd.Client(_closed_port(), retry=fspd.Retry(attempts=1000, initial=0.05, maximum=0.1), timeout=0.6)
    t0 = time.monotonic()
    with pytest.raises((errors.Unavailable, errors.DeadlineExceeded)):
        c.compute_fsp([maps()])
    assert time.monotonic() - t0 < 3
    c.close()


def test_tls_and_token(secure_server: str, tls_files: dict):
    a, b = maps()
    with fspd.Client(secure_server, root_certificates=tls_files["cert"], token="sesame") as c:
        (g,) = c.compute_fsp([(a, b)])
        np.testing.assert_allclose(g, np_fsp(a, b), rtol=1e-5, atol=1e-6)
    with fspd.Client(secure_server, root_certificates=tls_files["cert"], token="wrong") as c:
        with pytest.raises(errors.Unauthenticated) as e:
            c.compute_fsp([(a, b)])
        assert e.value.code == grpc.StatusCode.UNAUTHENTICATED
    with fspd.Client(secure_server, root_certificates=tls_files["cert"]) as c:
        with pytest.raises(errors.Unauthenticated):
            c.compute_fsp([(a, b)])
    with fspd.Client(secure_server, retry=None, timeout=5) as c:  # plaintext to a TLS port
        with pytest.raises(errors.FspdError) as e:
            c.compute_fsp([(a, b)])
        assert e.value.code in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.INTERNAL)


def test_requests_are_filled_in_place_as_nested_constructors_would_build_them():
    """The client fills request messages field by field (one copy of each array's bytes); the bytes on the
    wire equal a request built the plain way, with every message passed to its parent's constructor."""
    from fspd import _tensor
    from fspd.client import batch_of
    from fspd.v1 import fsp_service_pb2 as fsp_pb
    from fspd.v1 import training_service_pb2 as train_pb
    from fspd.v1 import types_pb2 as types_pb

    def tensor(x, code):
        x = np.asarray(x)
        return types_pb.Tensor(dtype=code, shape=list(x.shape), data=x.astype(x.dtype.newbyteorder("<")).tobytes())

    c = fspd.Client.__new__(fspd.Client)  # request builders only: no channel
    a, b = maps(n=3, h=4, w=2, c1=5, c2=3)
    t1, t2 = maps(n=3, h=2, w=2, c1=5, c2=3)
    gt = rng.standard_normal((3, 5, 3)).astype(np.float32)
    f32, f16 = types_pb.DATA_TYPE_FLOAT32, types_pb.DATA_TYPE_FLOAT16
    got = c.fsp_loss_request([(a, b.astype(np.float64)), (a.astype(np.float16), b)], [(t1, t2), (t1, t2)], layout="NHWC",
                             teacher_layout="NCHW", weights=[1.0, 0.5], reduction="mean")
    want = fsp_pb.FspLossRequest(
        student=[types_pb.FeaturePair(first=tensor(a, f32), second=tensor(b, f32), layout=types_pb.LAYOUT_NHWC),
                 types_pb.FeaturePair(first=tensor(a.astype(np.float16), f16), second=tensor(b, f32), layout=types_pb.LAYOUT_NHWC)],
        teacher=[types_pb.FeaturePair(first=tensor(t1, f32), second=tensor(t2, f32), layout=types_pb.LAYOUT_NCHW)] * 2,
        weights=[1.0, 0.5], reduction=types_pb.REDUCTION_MEAN, pooling=types_pb.POOLING_MAX, return_gradients=True)
    assert got.SerializeToString() == want.SerializeToString()
    got = c.fsp_loss_request([(a, b)], teacher_matrices=[gt], layout="NCHW")
    assert got.teacher_matrices[0] == tensor(gt, f32) and got.student[0].layout == types_pb.LAYOUT_NCHW
    req = train_pb.TrainStepRequest(session_id="s")
    images = (np.abs(a) * 50).astype(np.uint8)
    batch_of(images, [1, 2, 3], ["x", "y", "z"], into=req.batch)
    labels = types_pb.Tensor(dtype=types_pb.DATA_TYPE_INT32, shape=[3], data=np.array([1, 2, 3], "<i4").tobytes())
    assert req == train_pb.TrainStepRequest(session_id="s", batch=train_pb.Batch(
        images=tensor(images, types_pb.DATA_TYPE_UINT8), labels=labels, sample_ids=["x", "y", "z"]))
    assert batch_of(images) == train_pb.Batch(images=_tensor.to_tensor(images))
