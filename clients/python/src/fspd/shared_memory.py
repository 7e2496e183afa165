"""Shared-memory tensors for a client on the same host or in the same pod as its fspd server.

Large feature maps then skip the gRPC socket: the client writes them into a file in the server's
``--shared-memory-dir`` (a tmpfs such as ``/dev/shm/fspd``, or a memory-backed ``emptyDir`` mounted in both
containers), the request carries only references, and the server writes the gradients back into the same
file. One region belongs to one server: use it with a client of a single address (a sidecar), not a
round-robin list of replicas.

>>> with fspd.SharedMemory(client, "/dev/shm/fspd", "trainer-0", 64 << 20) as shm:
...     r = shm.fsp_loss(student=[(s1, s2)], teacher_matrices=[g1], layout="NCHW")

A server-side teacher's matrices can come back through the region as well (TeacherFsp's ``matrices_to``):
:meth:`SharedMemory.teacher_fsp_parts`, or ``fspd.torch.FSPLoss(..., shared_memory=shm)``.
"""
from __future__ import annotations

import mmap
import numbers
import os
import threading
from typing import Any, List, Optional, Sequence, Tuple

import numpy as np

from . import _tensor
from .client import Client, FspLossResult, Pair
from .v1 import fsp_service_pb2 as fsp_pb
from .v1 import shared_memory_service_pb2 as shm_pb
from .v1 import shared_memory_service_pb2_grpc as shm_grpc
from .v1 import types_pb2 as types_pb

_ALIGN = 64  # each tensor starts on a cache line (the server needs 4 bytes for float32 in place)


class SharedMemory:
    """A region of ``byte_size`` bytes: the file ``directory/name``, mapped here and registered with the server
    as region ``name``. ``directory`` is where this process sees the server's ``--shared-memory-dir``. Each
    :meth:`fsp_loss` and :meth:`teacher_fsp_parts` lays its tensors out from the start of the region, so one
    region serves one call at a time: calls from several threads take turns.

    The file is created, or truncated when it is left over (a crashed process's: no region of the server is
    named ``name`` or uses a file of that name). FileExistsError, touching nothing, when such a region is
    registered. When registering fails, the file is deleted if this constructor created it."""

    def __init__(self, client: Client, directory: str, name: str, byte_size: int, *, timeout: Optional[float] = None):
        if isinstance(byte_size, bool) or not isinstance(byte_size, numbers.Integral) or byte_size < 1:
            raise ValueError(f"byte_size: expected an integer >= 1, got {byte_size!r}")
        self.client, self.name, self.byte_size = client, name, int(byte_size)
        self.path = os.path.join(directory, name)
        self._stub = shm_grpc.SharedMemoryServiceStub(client.channel)
        # A live region's file must not be truncated or deleted here (its owner and the server map it).
        listed = client._unary("ListSharedMemory", self._stub.ListSharedMemory, shm_pb.ListSharedMemoryRequest(), timeout)
        for r in listed.regions:
            if name in (r.name, r.path):
                raise FileExistsError(f"shared memory '{name}': the server has region '{r.name}' registered on file "
                                      f"'{r.path}'; close it first or choose another name")
        try:
            fd, created = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600), True
        except FileExistsError:
            fd, created = os.open(self.path, os.O_RDWR | os.O_TRUNC), False
        try:
            os.ftruncate(fd, self.byte_size)
            self._map = mmap.mmap(fd, self.byte_size)
        except BaseException:
            if created:
                os.unlink(self.path)
            raise
        finally:
            os.close(fd)
        self._used = 0
        self._turn = threading.RLock()  # one call lays out the region at a time
        try:
            request = shm_pb.RegisterSharedMemoryRequest(name=name, path=name, byte_size=self.byte_size)
            self.region = client._unary("RegisterSharedMemory", self._stub.RegisterSharedMemory, request, timeout).region
        except BaseException:
            self._map.close()
            if created:
                os.unlink(self.path)
            raise

    # -- layout ---------------------------------------------------------------------------------------------

    def reset(self) -> None:
        """Frees every tensor put so far (the next put starts at offset 0)."""
        self._used = 0

    def reserve(self, nbytes: int) -> int:
        """The offset of ``nbytes`` fresh bytes in the region; ValueError when they do not fit."""
        offset = -(-self._used // _ALIGN) * _ALIGN
        if offset + nbytes > self.byte_size:
            raise ValueError(f"shared memory '{self.name}': {nbytes} more bytes at offset {offset} exceed its {self.byte_size} bytes")
        self._used = offset + nbytes
        return offset

    def put(self, array: Any) -> types_pb.Tensor:
        """Copies an array into the region (float32, float16, uint8 and int32 keep their type; other floats go
        as float32) and returns the Tensor that refers to it."""
        a = np.asarray(array)
        dtype = _tensor.wire_dtype(a)
        offset = self.reserve(a.size * dtype.itemsize)
        np.copyto(self._view(offset, a.shape, dtype), a, casting="same_kind")
        return types_pb.Tensor(dtype=_tensor.dtype_code(dtype), shape=list(a.shape), shared_memory=self.ref(offset))

    def ref(self, offset: int) -> types_pb.SharedMemoryRef:
        return types_pb.SharedMemoryRef(region=self.name, offset=offset)

    def view(self, tensor: types_pb.Tensor) -> np.ndarray:
        """A float32 view of a response tensor that lies in this region; it changes with the region."""
        if not tensor.HasField("shared_memory") or tensor.shared_memory.region != self.name:
            raise ValueError(f"tensor: not in shared-memory region '{self.name}'")
        return self._view(tensor.shared_memory.offset, tuple(int(d) for d in tensor.shape), np.dtype("<f4"))

    def _view(self, offset: int, shape: Tuple[int, ...], dtype: np.dtype) -> np.ndarray:
        count = int(np.prod(shape, dtype=np.int64))
        return np.frombuffer(self._map, dtype=dtype, count=count, offset=offset).reshape(shape)

    # -- calls --------------------------------------------------------------------------------------------

    def fsp_loss(
        self,
        student: Sequence[Pair],
        teacher: Optional[Sequence[Pair]] = None,
        *,
        teacher_matrices: Optional[Sequence[Any]] = None,
        layout: str = "NHWC",
        teacher_layout: Optional[str] = None,
        return_gradients: bool = True,
        copy: bool = True,
        timeout: Optional[float] = None,
        **options: Any,
    ) -> FspLossResult:
        """:meth:`Client.fsp_loss` through the region: the maps (and teacher pairs or matrices) are written
        into it, the server reads them in place and writes the gradients after them. ``copy=False`` returns
        the gradients as views of the region, valid until the next call on it. Other keyword arguments are
        :meth:`Client.fsp_loss_request`'s (weights, reduction, pooling, return_teacher_matrices)."""
        with self._turn:
            self.reset()
            request = self.client.fsp_loss_request(
                student, teacher, teacher_matrices=teacher_matrices, layout=layout, teacher_layout=teacher_layout,
                return_gradients=return_gradients, to_tensor=self.put, **options,
            )
            if return_gradients:
                gradient_bytes = sum(4 * (np.asarray(a).size + np.asarray(b).size) for a, b in student)
                request.gradients_to.CopyFrom(self.ref(self.reserve(gradient_bytes)))
            res = self.client._unary("FspLoss", self.client._fsp.FspLoss, request, timeout)
            take = (lambda t: self.view(t).copy()) if copy else self.view
            return FspLossResult(
                loss=res.loss,
                pair_losses=list(res.pair_losses),
                gradients=[(take(g.first), take(g.second)) for g in res.student_gradients],
                teacher_matrices=[_tensor.from_tensor(m) for m in res.teacher_matrices],
            )

    def teacher_fsp_parts(
        self, request: fsp_pb.TeacherFspRequest, *, timeout: Optional[float] = None
    ) -> Tuple[List[Tuple[int, List[int], bytearray]], int, str]:
        """:meth:`Client.teacher_fsp_parts` with the matrices written into the region (the request's
        ``matrices_to`` is set here, to the region's start) instead of sent through the socket; each matrix's
        bytes are copied out into a bytearray of its own before the region serves another call."""
        with self._turn:
            self.reset()
            request.matrices_to.CopyFrom(self.ref(0))
            res = self.client.teacher_fsp_raw(request, timeout=timeout)
            parts = []
            for i, m in enumerate(res.matrices):
                ref, shape = m.shared_memory, [int(d) for d in m.shape]
                size = int(np.prod(shape, dtype=np.int64)) * (4 if m.dtype == types_pb.DATA_TYPE_FLOAT32 else 2)
                if not m.HasField("shared_memory") or ref.region != self.name or ref.offset + size > self.byte_size:
                    raise ValueError(f"TeacherFspResponse.matrices[{i}]: not {size} bytes in shared-memory region '{self.name}'")
                with memoryview(self._map) as whole, whole[ref.offset:ref.offset + size] as view:
                    parts.append((m.dtype, shape, bytearray(view)))
            return parts, res.cache_hits, res.model_fingerprint

    # -- lifecycle ----------------------------------------------------------------------------------------

    def close(self, *, timeout: Optional[float] = None) -> None:
        """Unregisters the region, unmaps it and deletes the file; a call on the region in flight (e.g.
        FSPLoss's prefetch) ends first."""
        with self._turn:  # the calls hold it: the server refuses to unregister a region a call uses
            if self._map.closed:
                return
            try:
                request = shm_pb.UnregisterSharedMemoryRequest(name=self.name)
                self.client._unary("UnregisterSharedMemory", self._stub.UnregisterSharedMemory, request, timeout)
            finally:
                if os.path.exists(self.path):
                    os.unlink(self.path)
                try:
                    self._map.close()
                except BufferError:
                    pass  # views from fsp_loss(copy=False) are alive; the mapping goes when they do

    def __enter__(self) -> "SharedMemory":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
