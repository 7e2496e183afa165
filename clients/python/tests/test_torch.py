"""fspd.torch: the server-backed FSP loss against a local float64 PyTorch implementation, values and
gradients, with teacher pairs, teacher matrices and a server-side teacher (TeacherFsp)."""
from __future__ import annotations

import pytest

torch = pytest.importorskip("torch", reason="PyTorch not installed (pip install 'fspd[torch]')")

import fsp_reference as ref  # noqa: E402

import fspd  # noqa: E402
import fspd.torch as ft  # noqa: E402
from conftest import call_or_xfail  # noqa: E402
from teacher_fsp_recorder import TeacherFspRecorder  # noqa: E402

pytestmark = pytest.mark.torch

CASES = [
    # (student pair shapes NCHW, teacher pair shapes NCHW), reduction, pooling, weights
    ([((2, 4, 8, 8), (2, 6, 8, 8))], [((2, 4, 8, 8), (2, 6, 8, 8))], "paper", "max", None),
    ([((3, 3, 17, 17), (3, 5, 9, 9))], [((3, 3, 17, 17), (3, 5, 9, 9))], "paper", "max", None),  # student pooled 17→9
    ([((2, 4, 8, 8), (2, 6, 4, 4))], [((2, 4, 16, 16), (2, 6, 8, 8))], "mean", "avg", None),  # teacher h×w differ
    ([((1, 1, 1, 1), (1, 3, 1, 1))], [((1, 1, 1, 1), (1, 3, 1, 1))], "paper", "max", None),  # h·w = 1
    ([((2, 16, 6, 5), (2, 8, 6, 5)), ((2, 8, 6, 5), (2, 4, 3, 3))], [((2, 16, 12, 10), (2, 8, 12, 10)), ((2, 8, 3, 3), (2, 4, 3, 3))], "paper", "max", [0.25, 3.0]),
]


def _pairs(shapes, gen, requires_grad=False):
    return [tuple(torch.randn(*s, generator=gen, dtype=torch.float64).requires_grad_(requires_grad) for s in pair) for pair in shapes]


@pytest.mark.parametrize("case", range(len(CASES)))
@pytest.mark.parametrize("teacher_as", ["pairs", "matrices"])
def test_values_and_gradients_match_local_pytorch(client: fspd.Client, case: int, teacher_as: str):
    s_shapes, t_shapes, reduction, pooling, weights = CASES[case]
    gen = torch.Generator().manual_seed(case)
    student = _pairs(s_shapes, gen, requires_grad=True)
    teacher = _pairs(t_shapes, gen)
    t_mats = [ref.fsp_matrix(a, b, pooling) for a, b in teacher]

    expected = ref.fsp_loss(student, t_mats, weights, reduction, pooling)
    expected.backward()
    want = [m.grad.clone() for p in student for m in p]
    for p in student:
        for m in p:
            m.grad = None

    loss_fn = ft.FSPLoss(client, weights=weights, reduction=reduction, pooling=pooling)
    got = loss_fn(student, teacher) if teacher_as == "pairs" else loss_fn(student, teacher_matrices=t_mats)
    assert got.dtype == torch.float64 and got.shape == ()
    assert got.item() == pytest.approx(expected.item(), rel=2e-5, abs=1e-7)
    (3.0 * got).backward()  # the incoming gradient scales the server's
    for m, g in zip([m for p in student for m in p], want):
        assert m.grad is not None and m.grad.dtype == torch.float64 and m.grad.shape == m.shape
        torch.testing.assert_close(m.grad, 3.0 * g, rtol=1e-4, atol=1e-6)


def test_student_trains_against_teacher_pairs(client: fspd.Client):
    """A tiny conv student learns a fixed teacher's FSP matrices through the server's gradients."""
    torch.manual_seed(0)
    x = torch.randn(8, 3, 8, 8)
    teacher = torch.nn.Sequential(torch.nn.Conv2d(3, 6, 3, padding=1), torch.nn.ReLU())
    with torch.no_grad():
        t_pair = (x, teacher(x))
    student = torch.nn.Conv2d(3, 6, 3, padding=1)
    opt = torch.optim.SGD(student.parameters(), lr=0.5)
    loss_fn = ft.FSPLoss(client)
    losses = []
    for _ in range(15):
        opt.zero_grad()
        loss = loss_fn([(x, torch.relu(student(x)))], [t_pair])
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0], losses


def test_no_grad_asks_for_no_gradients(client: fspd.Client):
    gen = torch.Generator().manual_seed(7)
    (s,) = _pairs([((2, 3, 4, 4), (2, 2, 4, 4))], gen)
    (t,) = _pairs([((2, 3, 4, 4), (2, 2, 4, 4))], gen)
    with torch.no_grad():
        loss = ft.fsp_loss(client, [s], [t])
    assert loss.item() == pytest.approx(ref.fsp_loss([s], [ref.fsp_matrix(*t)]).item(), rel=2e-5)


def test_teacher_on_the_server(client: fspd.Client):
    """TeacherRef: the teacher is a server model; its FSP matrices come from TeacherFsp (cached per id)."""
    teacher = call_or_xfail(client.create_resnet, 8, input_shape=[8, 8, 3], seed=3)
    try:
        images = torch.randn(4, 3, 8, 8, generator=torch.Generator().manual_seed(1))
        ids = [f"img-{i}" for i in range(4)]
        r = call_or_xfail(client.teacher_fsp, teacher.model_id, images.permute(0, 2, 3, 1).numpy(), sample_ids=ids)
        assert len(r.matrices) == len(teacher.pairs) and r.cache_hits == 0
        r2 = client.teacher_fsp(teacher.model_id, images.permute(0, 2, 3, 1).numpy(), sample_ids=ids)
        assert r2.cache_hits == 4
        for m, m2 in zip(r.matrices, r2.matrices):
            torch.testing.assert_close(torch.from_numpy(m2), torch.from_numpy(m))

        # a student with the teacher's pair shapes: [B, C1, h, w] per pair from the teacher's taps
        taps = [tuple(t.shape) for t in teacher.taps]
        gen = torch.Generator().manual_seed(2)
        student = []
        for p in teacher.pairs:
            (h1, w1, c1), (h2, w2, c2) = taps[p.first], taps[p.second]
            student.append((torch.randn(4, c1, h1, w1, generator=gen, dtype=torch.float64, requires_grad=True),
                            torch.randn(4, c2, h2, w2, generator=gen, dtype=torch.float64, requires_grad=True)))
        loss_fn = ft.FSPLoss(client, teacher_model_id=teacher.model_id)
        loss = loss_fn(student, images=images, sample_ids=ids)
        expected = ref.fsp_loss(student, [torch.from_numpy(m).double() for m in r.matrices])
        assert loss.item() == pytest.approx(expected.item(), rel=2e-5)
        loss.backward()
        want = torch.autograd.grad(ref.fsp_loss(student, [torch.from_numpy(m).double() for m in r.matrices]), [m for p in student for m in p])
        for m, g in zip([m for p in student for m in p], want):
            torch.testing.assert_close(m.grad, g, rtol=1e-4, atol=1e-6)
    finally:
        client.delete_model(teacher.model_id)


# -- the loss computed here (TeacherRef / teacher matrices): only matrices cross the wire ---------------------

LOCAL_CASES = CASES + [
    ([((2, 5, 7, 9), (2, 3, 4, 5))], [((2, 5, 7, 9), (2, 3, 4, 5))], "mean", "max", [2.0]),  # 7×9 → 4×5, windows that do not divide
    ([((3, 4, 6, 6), (3, 2, 3, 3)), ((3, 2, 3, 3), (3, 6, 5, 2))], [((3, 4, 6, 6), (3, 2, 3, 3)), ((3, 2, 3, 3), (3, 6, 5, 2))], "paper", "avg", [1.5, 0.0]),  # 3×3 vs 5×2 → 3×2
]


def _float32_maps(shapes, gen):
    return [tuple(torch.randn(*s, generator=gen).requires_grad_(True) for s in pair) for pair in shapes]


@pytest.mark.parametrize("case", range(len(LOCAL_CASES)))
def test_local_loss_and_gradients_equal_the_servers_fsp_loss(client: fspd.Client, case: int):
    """float32: fspd.torch's own loss (torch ops, autograd) against FspLoss on the server (the C++ kernels)
    with the same maps and teacher matrices, and against the float64 reference."""
    s_shapes, t_shapes, reduction, pooling, weights = LOCAL_CASES[case]
    gen = torch.Generator().manual_seed(100 + case)
    student = _float32_maps(s_shapes, gen)
    t_mats = [ref.fsp_matrix(a, b, pooling).float() for a, b in _pairs(t_shapes, gen)]

    got = ft.fsp_loss(client, student, teacher_matrices=t_mats, weights=weights, reduction=reduction, pooling=pooling)
    assert got.dtype == torch.float32 and got.shape == () and got.requires_grad
    got.backward()
    maps = [m for p in student for m in p]

    server = client.fsp_loss([(a.detach().numpy(), b.detach().numpy()) for a, b in student], teacher_matrices=[m.numpy() for m in t_mats],
                             weights=weights, layout="NCHW", reduction=reduction, pooling=pooling)
    assert got.item() == pytest.approx(server.loss, rel=1e-5, abs=1e-7)
    for m, g in zip(maps, [g for pair in server.gradients for g in pair]):
        torch.testing.assert_close(m.grad, torch.from_numpy(g), rtol=1e-5, atol=1e-7)

    student64 = [tuple(m.detach().double().requires_grad_(True) for m in p) for p in student]
    want = ref.fsp_loss(student64, [m.double() for m in t_mats], weights, reduction, pooling)
    want.backward()
    assert got.item() == pytest.approx(want.item(), rel=1e-5, abs=1e-7)
    for m, m64 in zip(maps, [m for p in student64 for m in p]):
        torch.testing.assert_close(m.grad.double(), m64.grad, rtol=1e-4, atol=1e-7)


@pytest.mark.parametrize("case", range(len(LOCAL_CASES)))
def test_local_loss_gradcheck_float64(case: int):
    """torch.autograd.gradcheck (finite differences, float64) of the loss computed here: pooled pairs included."""
    s_shapes, t_shapes, reduction, pooling, weights = LOCAL_CASES[case]
    gen = torch.Generator().manual_seed(200 + case)
    maps = [m for p in _pairs(s_shapes, gen, requires_grad=True) for m in p]
    t_mats = [ref.fsp_matrix(a, b, pooling) for a, b in _pairs(t_shapes, gen)]

    def loss(*flat):
        return ft.local_fsp_loss(list(zip(flat[0::2], flat[1::2])), t_mats, weights=weights, reduction=reduction, pooling=pooling)

    assert torch.autograd.gradcheck(loss, maps, eps=1e-6, atol=1e-6, rtol=1e-4)


def test_local_loss_checks_its_arguments():
    a, b = torch.randn(2, 3, 4, 4), torch.randn(2, 5, 4, 4)
    with pytest.raises(ValueError, match=r"teacher_matrices\[0\]\.shape: \[2, 5, 3\], but student pair 0 has FSP matrices \[2, 3, 5\]"):
        ft.local_fsp_loss([(a, b)], [torch.zeros(2, 5, 3)])
    with pytest.raises(ValueError, match=r"weights\[0\]: expected a finite value >= 0"):
        ft.local_fsp_loss([(a, b)], [torch.zeros(2, 3, 5)], weights=[-1.0])
    with pytest.raises(ValueError, match="reduction: unknown value 'sum'"):
        ft.local_fsp_loss([(a, b)], [torch.zeros(2, 3, 5)], reduction="sum")
    with pytest.raises(ValueError, match="batch 3 of the second map differs"):
        ft.fsp_matrix(a, torch.randn(3, 5, 4, 4))


def test_half_student_maps_compute_in_float32_and_get_gradients_in_their_dtype():
    gen = torch.Generator().manual_seed(5)
    a32, b32 = torch.randn(2, 3, 6, 6, generator=gen), torch.randn(2, 4, 3, 3, generator=gen)
    t = torch.randn(2, 3, 4, generator=gen)
    a16, b16 = a32.half().requires_grad_(True), b32.bfloat16().requires_grad_(True)
    loss = ft.local_fsp_loss([(a16, b16)], [t])
    assert loss.dtype == torch.float32
    loss.backward()
    assert a16.grad.dtype == torch.float16 and b16.grad.dtype == torch.bfloat16
    want = ref.fsp_loss([(a16.detach().double(), b16.detach().double())], [t.double()])
    assert loss.item() == pytest.approx(want.item(), rel=1e-5)


@pytest.fixture(scope="module")
def teacher8(client: fspd.Client):
    """A ResNet-8 teacher on 8×8×3 images: pairs [B,16,16], [B,16,32], [B,32,64] of maps 8×8, 8×8→4×4, 4×4→2×2."""
    model = call_or_xfail(client.create_resnet, 8, input_shape=[8, 8, 3], seed=11)
    yield model
    client.delete_model(model.model_id)


def _student_for(teacher, batch, gen, dtype=torch.float32):
    taps = [tuple(t.shape) for t in teacher.taps]
    out = []
    for p in teacher.pairs:
        (h1, w1, c1), (h2, w2, c2) = taps[p.first], taps[p.second]
        out.append((torch.randn(batch, c1, h1, w1, generator=gen, dtype=dtype, requires_grad=True),
                    torch.randn(batch, c2, h2, w2, generator=gen, dtype=dtype, requires_grad=True)))
    return out


@pytest.mark.parametrize("reduction,weights", [("paper", None), ("mean", [0.5, 2.0, 1.0])])
def test_teacher_ref_moves_matrices_only_and_equals_the_servers_fsp_loss(server: str, teacher8, reduction: str, weights):
    """A TeacherRef: TeacherFsp gives the matrices (ids alone first, images only on a miss), the loss is
    computed here; it equals FspLoss on the server with the student's maps and those matrices."""
    rec = TeacherFspRecorder()
    with fspd.Client(server, timeout=120, interceptors=[rec.interceptor]) as c:
        gen = torch.Generator().manual_seed(8)
        images = torch.randn(4, 3, 8, 8, generator=gen)
        ids = [f"ref-{reduction}-{i}" for i in range(4)]
        loss_fn = ft.FSPLoss(c, teacher_model_id=teacher8.model_id, reduction=reduction, weights=weights)
        student = _student_for(teacher8, 4, gen)

        loss = loss_fn(student, images=images, sample_ids=ids)  # cold: ids alone, refused, then with images
        assert loss_fn.cache_hits == 0
        assert [r.HasField("images") for r in rec.requests] == [False, True]
        loss.backward()

        t = c.teacher_fsp(teacher8.model_id, images.permute(0, 2, 3, 1).numpy(), sample_ids=ids)
        assert t.cache_hits == 4
        server_r = c.fsp_loss([(a.detach().numpy(), b.detach().numpy()) for a, b in student], teacher_matrices=t.matrices,
                              weights=weights, layout="NCHW", reduction=reduction)
        assert loss.item() == pytest.approx(server_r.loss, rel=1e-5, abs=1e-7)
        for m, g in zip([m for p in student for m in p], [g for pair in server_r.gradients for g in pair]):
            torch.testing.assert_close(m.grad, torch.from_numpy(g), rtol=1e-5, atol=1e-7)

        rec.requests.clear()
        again = loss_fn(student, images=images, sample_ids=ids)  # warm: the ids alone
        assert loss_fn.cache_hits == 4 and [r.HasField("images") for r in rec.requests] == [False]
        assert again.item() == loss.item()

        rec.requests.clear()
        always = ft.fsp_loss(c, student, ft.TeacherRef(teacher8.model_id, images, ids, ids_first=False), reduction=reduction, weights=weights)
        assert [r.HasField("images") for r in rec.requests] == [True] and always.item() == loss.item()

        server_side = ft.fsp_loss(c, student, ft.TeacherRef(teacher8.model_id, images, ids), reduction=reduction, weights=weights, compute="server")
        assert server_side.item() == pytest.approx(loss.item(), rel=1e-5)


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_half_wire_matrices_are_the_float32_ones_rounded(client: fspd.Client, teacher8, dtype: str):
    """matrices_dtype float16 / bfloat16: exactly torch's own .half() / .bfloat16() of the float32 matrices;
    the loss then equals the local loss against those rounded matrices."""
    gen = torch.Generator().manual_seed(9)
    images = torch.randn(3, 3, 8, 8, generator=gen)
    nhwc = images.permute(0, 2, 3, 1).numpy()
    ids = [f"wire-{dtype}-{i}" for i in range(3)]
    f32 = client.teacher_fsp(teacher8.model_id, nhwc, sample_ids=ids)
    raw = client.teacher_fsp_raw(client.teacher_fsp_request(teacher8.model_id, nhwc, sample_ids=ids, dtype=dtype))
    torch_dtype = torch.float16 if dtype == "float16" else torch.bfloat16
    for m32, m in zip(f32.matrices, raw.matrices):
        assert len(m.data) == m32.size * 2
        got = ft.tensor_of(m)
        want = torch.from_numpy(m32).to(torch_dtype)
        assert got.dtype == torch_dtype and got.shape == want.shape
        assert torch.equal(got.view(torch.int16), want.view(torch.int16)), "bit for bit"
    numpy_view = client.teacher_fsp(teacher8.model_id, nhwc, sample_ids=ids, dtype=dtype).matrices
    for m32, m in zip(f32.matrices, numpy_view):
        assert torch.equal(torch.from_numpy(m).to(torch.float32), torch.from_numpy(m32).to(torch_dtype).to(torch.float32))

    student = _student_for(teacher8, 3, gen)
    loss = ft.FSPLoss(client, teacher_model_id=teacher8.model_id, matrices_dtype=dtype)(student, images=images, sample_ids=ids)
    want = ft.local_fsp_loss(student, [torch.from_numpy(m).to(torch_dtype).float() for m in f32.matrices])
    assert loss.item() == want.item()


def test_teacher_ref_ids_only_needs_a_warm_cache(client: fspd.Client, teacher8):
    with pytest.raises(fspd.errors.FailedPrecondition) as e:
        client.teacher_fsp(teacher8.model_id, sample_ids=["never-seen-0", "never-seen-1"])
    assert e.value.reason == "SAMPLES_NOT_CACHED" and e.value.metadata == {"uncached": "2", "batch": "2"}
    with pytest.raises(ValueError, match="pass images, or sample_ids"):
        client.teacher_fsp(teacher8.model_id)


def test_prefetch_gives_the_same_loss_and_is_taken_once(server: str, teacher8):
    rec = TeacherFspRecorder()
    with fspd.Client(server, timeout=120, interceptors=[rec.interceptor]) as c:
        gen = torch.Generator().manual_seed(12)
        images = torch.randn(2, 3, 8, 8, generator=gen)
        ids = ["pre-0", "pre-1"]
        student = _student_for(teacher8, 2, gen)
        loss_fn = ft.FSPLoss(c, teacher_model_id=teacher8.model_id, matrices_dtype="bfloat16")
        try:
            plain = loss_fn(student, images=images, sample_ids=ids).item()
            rec.requests.clear()
            loss_fn.prefetch(images, ids)
            loss_fn.prefetch(images, ids)
            for _ in range(2):
                assert loss_fn(student, images=None, sample_ids=ids).item() == plain  # images=None: only prefetched or cached
            assert len(rec.requests) == 2 and not loss_fn._prefetched, "each prefetch used once, nothing fetched again"
            assert loss_fn.cache_hits == 2
            with pytest.raises(ValueError, match="needs the batch's sample_ids"):
                loss_fn.prefetch(images)
        finally:
            loss_fn.close()


def test_prefetch_copies_the_images(client: fspd.Client, server: str, teacher8):
    """The prefetch thread reads its images later (after the ids alone are refused); prefetch() copies them, so
    an in-place change by the caller afterwards (a reused buffer) reaches neither the teacher nor its cache."""
    import threading

    import grpc

    go = threading.Event()

    class Hold(grpc.UnaryUnaryClientInterceptor):  # the prefetch's calls wait until the caller has changed its images
        def intercept_unary_unary(self, continuation, details, request):
            assert go.wait(60)
            return continuation(details, request)

    gen = torch.Generator().manual_seed(13)
    images = torch.randn(2, 3, 8, 8, generator=gen)
    student = _student_for(teacher8, 2, gen)
    want, _ = ft.fetch_teacher_matrices(client, ft.TeacherRef(teacher8.model_id, images))  # no ids: nothing cached
    with fspd.Client(server, timeout=120, interceptors=[Hold()]) as c:
        loss_fn = ft.FSPLoss(c, teacher_model_id=teacher8.model_id)
        try:
            for as_array in (False, True):
                ids = [f"pre-copy-{as_array}-{i}" for i in range(2)]
                buffer = images.clone()
                go.clear()
                loss_fn.prefetch(buffer.numpy() if as_array else buffer, ids)
                buffer.mul_(0.5)  # the array shares the tensor's memory
                go.set()
                loss = loss_fn(student, sample_ids=ids)
                assert loss.item() == ft.local_fsp_loss(student, want).item()
                held, _ = ft.fetch_teacher_matrices(client, ft.TeacherRef(teacher8.model_id, None, ids))  # the server's cache
                for h, w in zip(held, want):
                    assert torch.equal(h, w)
        finally:
            loss_fn.close()


def test_prefetches_no_forward_takes_are_bounded(client: fspd.Client, server: str, teacher8, monkeypatch):
    """Prefetches that no forward takes (a skipped batch, another order) are not kept without end: past
    max_prefetches (4 by default) the oldest goes, its call cancelled while still queued, its matrices
    released once it has run; a forward for a dropped batch fetches its matrices itself, the same loss."""
    import gc
    import threading
    import weakref
    from concurrent.futures import ThreadPoolExecutor

    import grpc

    submitted = []  # weak references to the prefetches' futures, in order

    class Recording(ThreadPoolExecutor):
        def submit(self, *args, **kwargs):
            future = super().submit(*args, **kwargs)
            submitted.append(weakref.ref(future))
            return future

    monkeypatch.setattr(ft, "ThreadPoolExecutor", Recording)
    entered, go = threading.Event(), threading.Event()

    class Hold(grpc.UnaryUnaryClientInterceptor):  # the first prefetch's call waits, the next ones queue behind it
        def intercept_unary_unary(self, continuation, details, request):
            entered.set()
            assert go.wait(60)
            return continuation(details, request)

    gen = torch.Generator().manual_seed(14)
    batches = [(torch.randn(2, 3, 8, 8, generator=gen), [f"pre-bound-{b}-{i}" for i in range(2)]) for b in range(7)]
    student = _student_for(teacher8, 2, gen)
    want = [ft.local_fsp_loss(student, ft.fetch_teacher_matrices(client, ft.TeacherRef(teacher8.model_id, x))[0]).item()
            for x, _ in batches]  # no ids: nothing cached
    rec = TeacherFspRecorder()
    with fspd.Client(server, timeout=120, interceptors=[Hold(), rec.interceptor]) as c:
        loss_fn = ft.FSPLoss(c, teacher_model_id=teacher8.model_id)
        try:
            for b, (x, ids) in enumerate(batches):
                loss_fn.prefetch(x, ids)
                if b == 0:
                    assert entered.wait(60)  # batch 0's call is running
            assert len(loss_fn._prefetched) == 4, "only max_prefetches kept"
            assert loss_fn.max_prefetches == 4 and loss_fn.prefetches_dropped == 3
            assert [ids for ids, _ in loss_fn._prefetched] == [tuple(ids) for _, ids in batches[3:]], "the oldest dropped"
            assert submitted[1]().cancelled() and submitted[2]().cancelled(), "queued calls cancelled"
            assert not submitted[0]().cancelled(), "a running call cannot be"
            go.set()
            for _, future in loss_fn._prefetched:
                future.result(timeout=60)
            gc.collect()
            assert [r() is None for r in submitted] == [True] * 3 + [False] * 4, "the dropped futures (and matrices) released"
            sent = rec.ids()
            assert {tuple(ids) for ids, _ in sent} == {tuple(batches[b][1]) for b in (0, 3, 4, 5, 6)}, "cancelled calls never sent"
            assert len(sent) == 10  # per batch the ids alone (refused), then the images

            for b, (x, ids) in enumerate(batches):
                assert loss_fn(student, images=x, sample_ids=ids).item() == want[b]
            ids = [batches[b][1] for b in range(3)]
            assert rec.ids() == [(ids[0], False), (ids[1], False), (ids[1], True), (ids[2], False), (ids[2], True)], \
                "the dropped batches fetched again (batch 0's ran: cached on the server), the held ones not"
            assert not loss_fn._prefetched and loss_fn.prefetches_dropped == 3
        finally:
            go.set()
            loss_fn.close()

    one = ft.FSPLoss(client, teacher_model_id=teacher8.model_id, max_prefetches=1)
    try:
        x, ids = batches[0]
        one.prefetch(None, ids)
        one.prefetch(x, ids)  # the same batch twice: the second replaces the first
        assert len(one._prefetched) == 1 and one.prefetches_dropped == 1
        assert one(student, sample_ids=ids).item() == want[0]
    finally:
        one.close()
    for bad in (0, -1, 1.5, True, "2"):
        with pytest.raises(ValueError, match="max_prefetches: expected an integer >= 1"):
            ft.FSPLoss(client, teacher_model_id=teacher8.model_id, max_prefetches=bad)


def test_tensor_of_refuses_a_tensor_without_data():
    """A Tensor whose data is elsewhere (here a shared-memory reference) is not read as zeros; one with no
    elements is an empty tensor."""
    from fspd.v1 import types_pb2 as types_pb

    elsewhere = types_pb.Tensor(dtype=types_pb.DATA_TYPE_FLOAT32, shape=[2, 3, 4], shared_memory=types_pb.SharedMemoryRef(region="r"))
    with pytest.raises(ValueError, match=r"tensor of shape \[2, 3, 4\]: no data bytes"):
        ft.tensor_of(elsewhere)
    empty = ft.tensor_of(types_pb.Tensor(dtype=types_pb.DATA_TYPE_BFLOAT16, shape=[0, 3, 4]))
    assert empty.dtype == torch.bfloat16 and tuple(empty.shape) == (0, 3, 4)
