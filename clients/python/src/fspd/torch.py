"""The FSP loss (Yim et al. 2017) for PyTorch students with an fspd server (``pip install 'fspd[torch]'``).

What crosses the wire depends on how the teacher is given:

- **A teacher on the server** (:class:`TeacherRef`, or ``FSPLoss(teacher_model_id=...)``) **or the teacher's
  FSP matrices** (``teacher_matrices=``): only matrices move. The student's FSP matrices and the loss are
  computed here with torch ops on the student's own device (same definitions as the server: NCHW maps, the
  larger map of a pair adaptively max- or avg-pooled to the smaller h×w, λ per pair, 'paper' or 'mean'
  reduction), and autograd does the backward pass. A TeacherRef fetches the teacher's matrices [B, C1, C2]
  from TeacherFsp (cached by sample id on the server): with ``sample_ids`` it sends the ids alone first and
  the images only if the server lacks a sample; ``matrices_dtype="float16"`` / ``"bfloat16"`` halves the
  bytes of the matrices; with ``shared_memory`` (a :class:`fspd.SharedMemory` of a server on the same host
  or pod) they come back through the region instead of the socket. Given matrices send nothing at all.
  ``FSPLoss(..., client_cache_bytes=N)`` keeps the matrices here as well (:class:`TeacherMatrixCache`, for a
  frozen teacher): a batch of samples seen before makes no call at all.
- **The teacher as feature pairs** (``teacher=[(t_in, t_out), ...]``), or ``compute="server"``: the student's
  maps go to FspLoss (as bytes, or through ``shared_memory``), the loss and dL/d(maps) come back, and
  backward() hands those gradients to autograd.

::

    loss_fn = fspd.torch.FSPLoss(client, teacher_model_id="teacher", matrices_dtype="bfloat16")
    loss = loss_fn([(s_in1, s_out1), (s_in2, s_out2)], images=x, sample_ids=ids)   # matrices only
    loss = loss_fn(pairs, teacher=[(t_in1, t_out1), (t_in2, t_out2)])              # maps to the server
    loss.backward()
    loss_fn.prefetch(images=x_next, sample_ids=ids_next)   # the next batch's matrices, fetched in the background
    loss_fn = fspd.torch.FSPLoss(client, teacher_model_id="teacher", client_cache_bytes=2**30)  # + kept here, ≤ 1 GiB

The loss is computed in float32 (float64 for float64 maps; autocast is off inside), as the server computes
in float32; gradients reach each map in its own dtype and device. The teacher is never differentiated.
"""
from __future__ import annotations

import contextlib
import math
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Deque, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from . import errors
from .client import Client, FspLossResult
from .shared_memory import SharedMemory
from .teacher_cache import TeacherMatrixCache
from .v1 import types_pb2 as types_pb

__all__ = ["FSPLoss", "FspLossFunction", "TeacherRef", "TeacherMatrixCache", "fsp_loss", "fsp_matrix", "local_fsp_loss", "fetch_teacher_matrices",
           "tensor_of"]

TensorPair = Tuple[torch.Tensor, torch.Tensor]


@dataclass
class TeacherRef:
    """A teacher model held by the server (ModelService id): the student's batch ``images`` — NCHW torch
    tensor or NHWC array, normalised as the teacher expects — goes to TeacherFsp, whose matrices are the
    targets. ``sample_ids`` (one per image; include the augmentation) make the server cache them.
    ``pairs``: tap-index pairs of the teacher; None = its own pairs. ``ids_first``: with sample_ids, ask
    with the ids alone first (the images are sent only when the server lacks one of the samples, at the
    cost of a second call); False sends the images every time. ``images`` may be None when every sample
    is known to be cached."""

    model_id: str
    images: Any
    sample_ids: Optional[Sequence[str]] = None
    pairs: Optional[Sequence[Tuple[int, int]]] = None
    images_layout: str = "NCHW"
    ids_first: bool = True


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


# -- the loss on the student's device ------------------------------------------------------------------------


def _compute_dtype(t: torch.Tensor) -> torch.dtype:
    """float64 stays float64; every other dtype computes in float32, as the server does."""
    return torch.float64 if t.dtype == torch.float64 else torch.float32


def _no_autocast(device: torch.device) -> Any:
    try:
        return torch.autocast(device_type=device.type, enabled=False)
    except (RuntimeError, ValueError):  # a device type autocast does not know: nothing to turn off
        return contextlib.nullcontext()


def _pool(x: torch.Tensor, h: int, w: int, pooling: str) -> torch.Tensor:
    if x.shape[2] == h and x.shape[3] == w:
        return x
    return F.adaptive_max_pool2d(x, (h, w)) if pooling == "max" else F.adaptive_avg_pool2d(x, (h, w))


def fsp_matrix(first: torch.Tensor, second: torch.Tensor, pooling: str = "max") -> torch.Tensor:
    """The FSP matrices [B, C1, C2] of two NCHW maps of one network, G = firstᵀ·second / (h·w) per sample;
    when their h×w differ, each is adaptively pooled ('max', the paper's choice, or 'avg'; PyTorch's windows,
    as the server's) to (min h)×(min w). Differentiable; computed in the maps' dtype."""
    if first.dim() != 4 or second.dim() != 4:
        raise ValueError(f"fsp_matrix: expected 4-D NCHW maps, got {list(first.shape)} and {list(second.shape)}")
    if first.shape[0] != second.shape[0]:
        raise ValueError(f"fsp_matrix: batch {second.shape[0]} of the second map differs from the first's {first.shape[0]}")
    if pooling not in ("max", "avg"):
        raise ValueError(f"pooling: unknown value {pooling!r} (max, avg)")
    h, w = min(first.shape[2], second.shape[2]), min(first.shape[3], second.shape[3])
    a, b = _pool(first, h, w, pooling), _pool(second, h, w, pooling)
    n, c1, c2 = a.shape[0], a.shape[1], b.shape[1]
    return torch.bmm(a.reshape(n, c1, h * w), b.reshape(n, c2, h * w).transpose(1, 2)) / (h * w)


def local_fsp_loss(
    student: Sequence[TensorPair],
    teacher_matrices: Sequence[torch.Tensor],
    *,
    weights: Optional[Sequence[float]] = None,
    reduction: str = "paper",
    pooling: str = "max",
) -> torch.Tensor:
    """Σ_i λ_i · reduce(‖G_i^S − G_i^T‖²) with torch ops on the student's device, differentiable w.r.t. the
    student maps (autograd does the backward pass). ``reduction``: 'paper' (sum over the C1×C2 entries, mean
    over samples) or 'mean' (mean over entries and samples). float32 (float64 for float64 maps), autocast
    off; the teacher matrices are cast to that dtype and device and never differentiated."""
    if not student:
        raise ValueError("student: expected at least one (first, second) pair")
    if len(teacher_matrices) != len(student):
        raise ValueError(f"teacher_matrices: {len(teacher_matrices)} matrices for {len(student)} student pairs")
    if reduction not in ("paper", "mean"):
        raise ValueError(f"reduction: unknown value {reduction!r} (paper, mean)")
    if weights is not None:
        weights = [float(x) for x in weights]
        if len(weights) != len(student):
            raise ValueError(f"weights: {len(weights)} weights for {len(student)} pairs")
        for i, x in enumerate(weights):
            if not (math.isfinite(x) and x >= 0):
                raise ValueError(f"weights[{i}]: expected a finite value >= 0, got {x}")
    first = student[0][0]
    dtype, device = _compute_dtype(first), first.device
    total: Optional[torch.Tensor] = None
    with _no_autocast(device):
        for i, ((a, b), t) in enumerate(zip(student, teacher_matrices)):
            g = fsp_matrix(a.to(dtype), b.to(dtype), pooling)
            if tuple(t.shape) != tuple(g.shape):
                raise ValueError(f"teacher_matrices[{i}].shape: {list(t.shape)}, but student pair {i} has FSP matrices {list(g.shape)}")
            d = torch.square(g - t.detach().to(device=g.device, dtype=dtype))
            pair = d.sum(dim=(1, 2)).mean() if reduction == "paper" else d.mean()
            if weights is not None:
                pair = pair * weights[i]
            total = pair if total is None else total + pair
    assert total is not None
    return total


# -- teacher matrices from the server ----------------------------------------------------------------------


def tensor_of(t: types_pb.Tensor, device: Union[torch.device, str, None] = None) -> torch.Tensor:
    """A float32 / float16 / bfloat16 Tensor message as a torch tensor of that dtype (bfloat16 stays
    bfloat16), on ``device``. ValueError for a tensor without data bytes (e.g. one in shared memory)."""
    return _tensor_from(t.dtype, t.shape, t.data, device)


def _tensor_from(dtype: int, shape: Sequence[int], data: Any, device: Union[torch.device, str, None] = None) -> torch.Tensor:
    """tensor_of for a Tensor's parts: its DataType, shape and data bytes (bytes or a memoryview)."""
    torch_dtype = {types_pb.DATA_TYPE_FLOAT32: torch.float32, types_pb.DATA_TYPE_FLOAT16: torch.float16,
                   types_pb.DATA_TYPE_BFLOAT16: torch.bfloat16}.get(dtype)
    if torch_dtype is None:
        raise ValueError(f"tensor dtype {dtype}: expected float32, float16 or bfloat16")
    shape = [int(d) for d in shape]
    if not len(data):
        if math.prod(shape):  # e.g. a tensor whose data lies in a shared-memory region: not zeros
            raise ValueError(f"tensor of shape {shape}: no data bytes")
        out = torch.zeros(shape, dtype=torch_dtype)
    else:
        # bytearray: a writable copy torch can own (the received bytes are immutable; one already copied out of
        # shared memory is taken as it is); little-endian host assumed.
        raw = torch.frombuffer(data if isinstance(data, bytearray) else bytearray(data), dtype=torch.int16 if torch_dtype == torch.bfloat16 else torch_dtype)
        out = (raw.view(torch.bfloat16) if torch_dtype == torch.bfloat16 else raw).reshape(shape)
    return out if device is None else out.to(device)


def fetch_teacher_matrices(
    client: Client,
    teacher: TeacherRef,
    *,
    pooling: str = "max",
    matrices_dtype: str = "float32",
    device: Union[torch.device, str, None] = None,
    timeout: Optional[float] = None,
    cache: Optional[TeacherMatrixCache] = None,
    shared_memory: Optional[SharedMemory] = None,
) -> Tuple[List[torch.Tensor], int]:
    """The teacher's FSP matrices for a TeacherRef's batch, as torch tensors in the wire dtype on ``device``,
    and TeacherFsp's cache_hits. With sample ids and ``teacher.ids_first``, the ids go alone first; the images
    follow only if the server lacks a sample. ``cache``: a :class:`TeacherMatrixCache` to serve samples from
    and keep the fetched ones in (with sample ids): only the samples it lacks are asked for, and none when it
    has them all (its ``hits`` count those). ``shared_memory``: a :class:`fspd.SharedMemory` of the same server
    (same host or pod) for the matrices to come back through instead of the socket (TeacherFsp's matrices_to)."""
    matrices, server_hits, _ = _fetch(client, teacher, pooling, matrices_dtype, device, timeout, cache, shared_memory)
    return matrices, server_hits


def _fetch(
    client: Client, teacher: TeacherRef, pooling: str, matrices_dtype: str, device: Union[torch.device, str, None],
    timeout: Optional[float], cache: Optional[TeacherMatrixCache], via: Optional[SharedMemory] = None,
) -> Tuple[List[torch.Tensor], int, int]:
    """fetch_teacher_matrices, and how many samples came from ``cache`` (the third count)."""
    ids = [str(s) for s in teacher.sample_ids] if teacher.sample_ids is not None else None
    common = dict(pairs=teacher.pairs, pooling=pooling, dtype=matrices_dtype)
    if cache is None or not ids:
        matrices, server_hits, _ = _teacher_fsp(client, teacher, ids, teacher.images, common, timeout, via)
        return [_tensor_from(*m, device) for m in matrices], server_hits, 0

    pairs = None if teacher.pairs is None else tuple((int(a), int(b)) for a, b in teacher.pairs)
    head = (teacher.model_id, pairs, pooling, matrices_dtype)
    held, kept, fingerprint = cache.gather(teacher.model_id, head, ids)
    if len(held) == len(ids):  # every sample here: no call
        return [m.to(device) for m in kept], 0, len(ids)  # type: ignore[union-attr]
    is_held = set(held)
    missing = [i for i in range(len(ids)) if i not in is_held]

    def ask(asked: List[str], images: Any) -> Tuple[int, str, List[torch.Tensor]]:
        matrices, server_hits, model_fingerprint = _teacher_fsp(client, teacher, asked, images, common, timeout, via)
        fetched = [_tensor_from(*m) for m in matrices]
        cache.store(teacher.model_id, head, model_fingerprint, asked, fetched)
        return server_hits, model_fingerprint, fetched

    images = teacher.images if teacher.images is None or len(missing) == len(ids) else _rows(teacher.images, missing)
    server_hits, model_fingerprint, fetched = ask([ids[i] for i in missing], images)
    if held and model_fingerprint != fingerprint:
        # The samples found here came from another teacher than the one that just answered: ask for them all.
        server_hits, model_fingerprint, fetched = ask(ids, teacher.images)
        missing = list(range(len(ids)))
    if len(missing) == len(ids):
        return [m.to(device) for m in fetched], server_hits, 0
    out = []
    for m, k in zip(fetched, kept):  # type: ignore[arg-type]
        whole = torch.empty((len(ids), *m.shape[1:]), dtype=m.dtype)
        whole[torch.tensor(held)] = k
        whole[torch.tensor(missing)] = m
        out.append(whole.to(device))
    return out, server_hits, len(ids) - len(missing)


def _teacher_fsp(
    client: Client, teacher: TeacherRef, ids: Optional[List[str]], images: Any, common: dict, timeout: Optional[float],
    via: Optional[SharedMemory] = None,
) -> Tuple[List[Tuple[int, List[int], Any]], int, str]:
    """TeacherFsp for the samples ``ids`` with their ``images`` (the TeacherRef's layout): ids alone first
    when the TeacherRef says so, then with the images if the server lacks one. Client.teacher_fsp_parts' answer
    (SharedMemory.teacher_fsp_parts' through ``via``)."""
    send = (via or client).teacher_fsp_parts
    if ids and (teacher.ids_first or images is None):
        try:
            return send(client.teacher_fsp_request(teacher.model_id, None, sample_ids=ids, **common), timeout=timeout)
        except errors.FailedPrecondition as err:
            if err.reason != "SAMPLES_NOT_CACHED" or images is None:
                raise
    if images is None:
        raise ValueError("TeacherRef: images=None needs sample_ids")
    nhwc = _np(images)
    if teacher.images_layout.upper() == "NCHW":
        nhwc = np.ascontiguousarray(nhwc.transpose(0, 2, 3, 1))  # TeacherFsp takes NHWC images
    return send(client.teacher_fsp_request(teacher.model_id, nhwc, sample_ids=ids, **common), timeout=timeout)


def _rows(images: Any, index: List[int]) -> Any:
    """The images of the samples at ``index`` (a torch tensor or an array, first axis = sample)."""
    if isinstance(images, torch.Tensor):
        return images[torch.tensor(index, device=images.device)]
    return np.asarray(images)[index]


# -- the loss ---------------------------------------------------------------------------------------------------


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
    matrices_dtype: str = "float32",
    compute: str = "auto",
) -> torch.Tensor:
    """The FSP loss of the student's NCHW (first, second) pairs against teacher pairs (NCHW), a
    :class:`TeacherRef`, or the teacher's FSP matrices [B, C1, C2]; differentiable w.r.t. the student maps.

    ``compute``: 'auto' computes the loss here (torch ops, autograd) when the teacher is a TeacherRef or
    matrices, and on the server when it is feature pairs; 'server' always sends the student's maps to
    FspLoss. ``matrices_dtype``: 'float32', 'float16' or 'bfloat16', the TeacherRef's matrices on the wire.
    ``shared_memory``: a :class:`fspd.SharedMemory` of the same server to move the maps and gradients through
    (same host or pod) instead of the socket, when the maps are sent, and a TeacherRef's matrices."""
    if compute not in ("auto", "server"):
        raise ValueError(f"compute: unknown value {compute!r} (auto, server)")
    if isinstance(teacher, TeacherRef):
        if teacher_matrices is not None:
            raise ValueError("fsp_loss: pass a TeacherRef or teacher_matrices, not both")
        device = student[0][0].device if student else None
        mats, _hits = fetch_teacher_matrices(client, teacher, pooling=pooling, matrices_dtype=matrices_dtype, device=device if compute == "auto" else None,
                                             timeout=timeout, shared_memory=shared_memory)
        teacher, teacher_matrices = None, mats
    if teacher is not None:
        if teacher_matrices is not None:
            raise ValueError("fsp_loss: pass teacher pairs or teacher_matrices, not both")
        options: dict = {"weights": weights, "reduction": reduction, "pooling": pooling, "timeout": timeout,
                         "teacher": [(_np(a), _np(b)) for a, b in teacher], "teacher_layout": "NCHW"}
    elif teacher_matrices is None:
        raise ValueError("fsp_loss: pass teacher pairs, a TeacherRef or teacher_matrices")
    elif compute == "auto":
        device = student[0][0].device if student else torch.device("cpu")
        mats = [m if isinstance(m, torch.Tensor) else torch.from_numpy(np.asarray(m, dtype=np.float32)) for m in teacher_matrices]
        return local_fsp_loss(student, [m.to(device) for m in mats], weights=weights, reduction=reduction, pooling=pooling)
    else:
        options = {"weights": weights, "reduction": reduction, "pooling": pooling, "timeout": timeout,
                   "teacher_matrices": [_np(m) for m in teacher_matrices]}
    maps = [m for pair in student for m in pair]
    return FspLossFunction.apply(shared_memory or client, options, *maps)


class FSPLoss(nn.Module):
    """The FSP loss (Yim et al. 2017) as an ``nn.Module`` with an fspd server.

    ``forward(student_pairs, teacher=None, teacher_matrices=None)``; ``teacher_model_id`` makes
    ``forward(student_pairs, images=..., sample_ids=...)`` use the server's teacher through TeacherFsp.
    ``weights``: λ per pair (the paper uses equal weights); ``reduction``: 'paper' (squared Frobenius norm,
    mean over samples) or 'mean'; ``pooling``: 'max' (paper) or 'avg' when a pair's h×w differ.
    ``matrices_dtype``: the server teacher's matrices on the wire ('float32', 'float16', 'bfloat16');
    ``compute``: 'auto' (the loss here, unless the teacher comes as feature pairs) or 'server' (maps to
    FspLoss); see the module docstring for what moves in each case. ``cache_hits``: TeacherFsp's count of
    the last forward with a server teacher (0 when it made no call; None before). :meth:`prefetch` fetches a
    coming batch's teacher matrices in the background (the teacher does not depend on the student), hiding
    the call's time behind the student's own work; ``max_prefetches`` (default 4: prefetching one or two steps
    ahead, with room to spare) bounds the prefetches held that no forward has taken yet, the oldest dropped
    first (``prefetches_dropped`` counts them). ``shared_memory``: a :class:`fspd.SharedMemory` of the same
    server through which the maps and gradients (when sent) and the server teacher's matrices move instead
    of the socket.

    ``client_cache_bytes``: > 0 keeps the server teacher's matrices here too, per sample id, up to that many
    bytes of matrices (a :class:`TeacherMatrixCache`, least recently used out first; Σ C1·C2·bytes per element
    over the pairs per sample): a batch whose samples are all kept makes no call, one with some kept asks
    only for the others. For a frozen teacher (distillation's first stage) with sample ids that always mean
    the same input. A teacher changed on the server is noticed at the next call (a step that misses a
    sample), whose answer carries another ``model_fingerprint``: the kept matrices of that model are dropped.
    ``client_cache_hits``: samples of the last forward served from it. :meth:`clear_client_cache`,
    :meth:`set_client_cache_bytes` (0 turns it off)."""

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
        matrices_dtype: str = "float32",
        compute: str = "auto",
        client_cache_bytes: int = 0,
        max_prefetches: int = 4,
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
        self.matrices_dtype = matrices_dtype
        self.compute = compute
        self.cache_hits: Optional[int] = None
        self.client_cache: Optional[TeacherMatrixCache] = None
        self.client_cache_hits: Optional[int] = None
        self.set_client_cache_bytes(client_cache_bytes)
        if isinstance(max_prefetches, bool) or not isinstance(max_prefetches, int) or max_prefetches < 1:
            raise ValueError(f"max_prefetches: expected an integer >= 1, got {max_prefetches!r}")
        self.max_prefetches = max_prefetches
        self.prefetches_dropped = 0
        self._pool: Optional[ThreadPoolExecutor] = None
        self._prefetched: Deque[Tuple[tuple, Future]] = deque()  # (sample ids, future), oldest first

    def set_client_cache_bytes(self, max_bytes: int) -> None:
        """Turns the client-side teacher cache on with a bound of ``max_bytes`` (a new bound for the one there:
        least recently used samples go until the rest fits), or off with 0 (its matrices are dropped)."""
        if isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or max_bytes < 0:
            raise ValueError(f"client_cache_bytes: expected an integer >= 0, got {max_bytes!r}")
        if max_bytes == 0:
            self.client_cache = None
        elif self.client_cache is None:
            self.client_cache = TeacherMatrixCache(max_bytes)
        else:
            self.client_cache.resize(max_bytes)

    def clear_client_cache(self) -> None:
        """Drops the matrices the client-side cache holds (e.g. after changing the teacher yourself)."""
        if self.client_cache is not None:
            self.client_cache.clear()

    def prefetch(self, images: Optional[Any] = None, sample_ids: Optional[Sequence[str]] = None, *, device: Union[torch.device, str, None] = None) -> None:
        """Starts fetching the server teacher's matrices for a later batch (``sample_ids`` required: they
        name it) on a background thread, so the call overlaps the work in between; the forward call with the
        same sample ids takes the oldest such prefetch. At most ``max_prefetches`` are kept that no forward
        call has taken: one more drops the oldest (its call cancelled if it has not started, its matrices
        discarded otherwise; ``prefetches_dropped`` + 1), and a forward call for that batch then fetches its
        matrices itself, as without a prefetch (so pass its images there, unless the server or the client
        cache holds its samples). ``device``: where the matrices go (the student's). ``images`` are copied
        here, so the caller may change or reuse them as soon as this returns."""
        if self.teacher_model_id is None:
            raise ValueError("FSPLoss.prefetch: needs teacher_model_id (a server-side teacher)")
        if not sample_ids:
            raise ValueError("FSPLoss.prefetch: needs the batch's sample_ids")
        if images is not None:  # the thread reads them later: a snapshot, not the caller's buffer
            images = images.detach().clone() if isinstance(images, torch.Tensor) else np.array(images)
        ref = TeacherRef(self.teacher_model_id, images, list(sample_ids), self.teacher_pairs)
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="fspd-prefetch")
        future = self._pool.submit(_fetch, self.client, ref, self.pooling, self.matrices_dtype, device, self.timeout, self.client_cache,
                                   self.shared_memory)
        self._prefetched.append((tuple(str(i) for i in sample_ids), future))
        while len(self._prefetched) > self.max_prefetches:  # not taken: the oldest goes
            _, dropped = self._prefetched.popleft()
            dropped.cancel()  # only if still queued; a running call ends and its result goes with the future
            self.prefetches_dropped += 1

    def close(self) -> None:
        """Waits for prefetches in flight and stops their thread."""
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
        self._prefetched.clear()

    def forward(
        self,
        student: Sequence[TensorPair],
        teacher: Union[Sequence[TensorPair], TeacherRef, None] = None,
        *,
        teacher_matrices: Optional[Sequence[Any]] = None,
        images: Optional[Any] = None,
        sample_ids: Optional[Sequence[str]] = None,
    ) -> torch.Tensor:
        if teacher is None and teacher_matrices is None and self.teacher_model_id is not None and sample_ids:
            key = tuple(str(i) for i in sample_ids)
            for n, (ids, future) in enumerate(self._prefetched):
                if ids == key:  # the oldest prefetch of this batch
                    del self._prefetched[n]
                    teacher_matrices, self.cache_hits, self.client_cache_hits = future.result()
                    break
        if teacher is None and teacher_matrices is None and self.teacher_model_id is not None:
            if images is None and not sample_ids:
                raise ValueError("FSPLoss: a server-side teacher needs the batch's images (images=...) or sample_ids")
            teacher = TeacherRef(self.teacher_model_id, images, sample_ids, self.teacher_pairs)
        if isinstance(teacher, TeacherRef):
            device = student[0][0].device if (student and self.compute == "auto") else None
            teacher_matrices, self.cache_hits, self.client_cache_hits = _fetch(
                self.client, teacher, self.pooling, self.matrices_dtype, device, self.timeout, self.client_cache, self.shared_memory)
            teacher = None
        return fsp_loss(
            self.client, student, teacher, teacher_matrices=teacher_matrices, weights=self.weights,
            reduction=self.reduction, pooling=self.pooling, timeout=self.timeout, shared_memory=self.shared_memory,
            compute=self.compute,
        )

    def extra_repr(self) -> str:
        t = f", teacher_model_id={self.teacher_model_id!r}" if self.teacher_model_id else ""
        c = f", client_cache_bytes={self.client_cache.max_bytes}" if self.client_cache is not None else ""
        return (f"address={self.client.address!r}, reduction={self.reduction!r}, pooling={self.pooling!r}, "
                f"compute={self.compute!r}, matrices_dtype={self.matrices_dtype!r}{t}{c}")
