"""fspd.torch: the server-backed FSP loss against a local float64 PyTorch implementation, values and
gradients, with teacher pairs, teacher matrices and a server-side teacher (TeacherFsp)."""
from __future__ import annotations

import pytest

torch = pytest.importorskip("torch", reason="PyTorch not installed (pip install 'fspd[torch]')")

import fsp_reference as ref  # noqa: E402

import fspd  # noqa: E402
import fspd.torch as ft  # noqa: E402
from conftest import call_or_xfail  # noqa: E402

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
