"""The FSP loss for PyTorch students, computed by an fspd server (``pip install 'fspd[torch]'``).

The student's NCHW feature maps go to FspLoss with the teacher as feature pairs, as FSP matrices, or as a
:class:`TeacherRef` to a teacher model held by the server (its matrices come from TeacherFsp, cached per
sample id); the loss comes back with dL/d(student maps), which backward() hands to autograd::

    loss_fn = fspd.torch.FSPLoss(client)
    loss = loss_fn([(s_in1, s_out1), (s_in2, s_out2)], teacher=[(t_in1, t_out1), (t_in2, t_out2)])
    loss.backward()

Maps are sent as float32 (the server computes in float32); the gradients come back in each map's dtype
and device. The teacher's maps are never differentiated.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from torch import nn

from .client import Client, FspLossResult
from .shared_memory import SharedMemory

__all__ = ["FSPLoss", "FspLossFunction", "TeacherRef", "fsp_loss"]

TensorPair = Tuple[torch.Tensor, torch.Tensor]


@dataclass
class TeacherRef:
    """A teacher model held by the server (ModelService id): the student's batch ``images`` — NCHW torch
    tensor or NHWC array, normalised as the teacher expects — goes to TeacherFsp, whose matrices are the
    targets. ``sample_ids`` (one per image; include the augmentation) make the server cache them.
    ``pairs``: tap-index pairs of the teacher; None = its own pairs."""

    model_id: str
    images: Any
    sample_ids: Optional[Sequence[str]] = None
    pairs: Optional[Sequence[Tuple[int, int]]] = None
    images_layout: str = "NCHW"


def _np(t: Any) -> np.ndarray:
    if isinstance(t, torch.Tensor):
        return t.detach().to("cpu", torch.float32).contiguous().numpy()
    return np.asarray(t, dtype=np.float32)


class FspLossFunction(torch.autograd.Function):
    """``FspLossFunction.apply(client, options, *maps)``: ``maps`` are the student pairs flattened
    (first0, second0, first1, second1, ...), NCHW; ``options`` a dict of :meth:`Client.fsp_loss` keyword
    arguments (teacher or teacher_matrices, weights, reduction, pooling, timeout). Returns the scalar loss
    in the first map's dtype; backward multiplies the server's gradients by the incoming gradient."""

    @staticmethod
    def forward(ctx: Any, client: Union[Client, SharedMemory], options: dict, *maps: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        if len(maps) == 0 or len(maps) % 2:
            raise ValueError(f"FspLossFunction: expected student maps in (first, second) pairs, got {len(maps)} maps")
        student = [(_np(maps[i]), _np(maps[i + 1])) for i in range(0, len(maps), 2)]
        need_grad = any(ctx.needs_input_grad[2:])
        result: FspLossResult = client.fsp_loss(student, layout="NCHW", return_gradients=need_grad, **options)
        ctx.pair_losses = result.pair_losses
        ctx.teacher_matrices = result.teacher_matrices
        if need_grad:
            grads = [g for pair in result.gradients for g in pair]
            ctx.grads = [torch.from_numpy(g).to(device=m.device, dtype=m.dtype) for g, m in zip(grads, maps)]
        else:
            ctx.grads = [None] * len(maps)
        return torch.tensor(result.loss, dtype=maps[0].dtype if maps[0].is_floating_point() else torch.float32, device=maps[0].device)

    @staticmethod
    def backward(ctx: Any, grad_output: torch.Tensor) -> Tuple[Optional[torch.Tensor], ...]:  # type: ignore[override]
        grads = [None if g is None else g * grad_output.to(g.dtype) for g in ctx.grads]
        return (None, None, *grads)


def fsp_loss(
    client: Client,
    student: Sequence[TensorPair],
    teacher: Union[Sequence[TensorPair], TeacherRef, None] = None,
    *,
    teacher_matrices: Optional[Sequence[Any]] = None,
    weights: Optional[Sequence[float]] = None,
    reduction: str = "paper",
    pooling: str = "max",
    timeout: Optional[float] = None,
    shared_memory: Optional[SharedMemory] = None,
) -> torch.Tensor:
    """The FSP loss of the student's NCHW (first, second) pairs against teacher pairs (NCHW), a
    :class:`TeacherRef`, or the teacher's FSP matrices [B, C1, C2]; differentiable w.r.t. the student maps.
    ``shared_memory``: a :class:`fspd.SharedMemory` of the same server to move the maps and gradients through
    (same host or pod) instead of the socket."""
    options: dict = {"weights": weights, "reduction": reduction, "pooling": pooling, "timeout": timeout}
    if isinstance(teacher, TeacherRef):
        if teacher_matrices is not None:
            raise ValueError("fsp_loss: pass a TeacherRef or teacher_matrices, not both")
        images = _np(teacher.images)
        if teacher.images_layout.upper() == "NCHW":
            images = np.ascontiguousarray(images.transpose(0, 2, 3, 1))  # TeacherFsp takes NHWC images
        ids = [str(s) for s in teacher.sample_ids] if teacher.sample_ids is not None else None
        r = client.teacher_fsp(teacher.model_id, images, sample_ids=ids, pairs=teacher.pairs, pooling=pooling, timeout=timeout)
        options["teacher_matrices"] = r.matrices
    elif teacher is not None:
        if teacher_matrices is not None:
            raise ValueError("fsp_loss: pass teacher pairs or teacher_matrices, not both")
        options["teacher"] = [(_np(a), _np(b)) for a, b in teacher]
        options["teacher_layout"] = "NCHW"
    elif teacher_matrices is not None:
        options["teacher_matrices"] = [_np(m) for m in teacher_matrices]
    else:
        raise ValueError("fsp_loss: pass teacher pairs, a TeacherRef or teacher_matrices")
    maps = [m for pair in student for m in pair]
    return FspLossFunction.apply(shared_memory or client, options, *maps)


class FSPLoss(nn.Module):
    """The FSP loss (Yim et al. 2017) as an ``nn.Module`` whose math runs on an fspd server.

    ``forward(student_pairs, teacher=None, teacher_matrices=None)``; ``teacher_model_id`` makes
    ``forward(student_pairs, images=..., sample_ids=...)`` use the server's teacher through TeacherFsp.
    ``weights``: λ per pair (the paper uses equal weights); ``reduction``: 'paper' (squared Frobenius norm,
    mean over samples) or 'mean'; ``pooling``: 'max' (paper) or 'avg' when a pair's h×w differ."""

    def __init__(
        self,
        client: Client,
        *,
        weights: Optional[Sequence[float]] = None,
        reduction: str = "paper",
        pooling: str = "max",
        teacher_model_id: Optional[str] = None,
        teacher_pairs: Optional[Sequence[Tuple[int, int]]] = None,
        timeout: Optional[float] = None,
        shared_memory: Optional[SharedMemory] = None,
    ):
        super().__init__()
        self.client = client
        self.weights = list(weights) if weights is not None else None
        self.reduction = reduction
        self.pooling = pooling
        self.teacher_model_id = teacher_model_id
        self.teacher_pairs = teacher_pairs
        self.timeout = timeout
        self.shared_memory = shared_memory

    def forward(
        self,
        student: Sequence[TensorPair],
        teacher: Union[Sequence[TensorPair], TeacherRef, None] = None,
        *,
        teacher_matrices: Optional[Sequence[Any]] = None,
        images: Optional[Any] = None,
        sample_ids: Optional[Sequence[str]] = None,
    ) -> torch.Tensor:
        if teacher is None and teacher_matrices is None and self.teacher_model_id is not None:
            if images is None:
                raise ValueError("FSPLoss: a server-side teacher needs the batch's images (images=...)")
            teacher = TeacherRef(self.teacher_model_id, images, sample_ids, self.teacher_pairs)
        return fsp_loss(
            self.client, student, teacher, teacher_matrices=teacher_matrices, weights=self.weights,
            reduction=self.reduction, pooling=self.pooling, timeout=self.timeout, shared_memory=self.shared_memory,
        )

    def extra_repr(self) -> str:
        t = f", teacher_model_id={self.teacher_model_id!r}" if self.teacher_model_id else ""
        return f"address={self.client.address!r}, reduction={self.reduction!r}, pooling={self.pooling!r}{t}"
