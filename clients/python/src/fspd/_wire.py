"""ComputeFsp's and FspLoss's large messages without protobuf's copies: the request written straight from
the arrays, the response read over the received bytes; TeacherFsp's response too.

Through protobuf each array of a request is copied four times before grpc takes it (into bytes, into the
message, into the serialised message, into a Python bytes): a 48 MiB FspLossRequest took 110–136 ms to
build and serialise; here each array is copied once, by ``bytes.join``: 35–42 ms. A response's tensors were
copied three times (into protobuf's message, out of it as bytes, into a writable array), 68–77 ms for 48
MiB of gradients; here once, into the writable array: 8–9 ms. The encoding is protobuf's own, byte for byte
(fields in number order, proto3 defaults left out, repeated scalars packed); tests/test_wire.py checks both
directions against the protobuf library.
"""
from __future__ import annotations

import struct
from typing import Any, List, Optional, Sequence, Tuple

import numpy as np

from . import _tensor
from .v1 import types_pb2 as types_pb

_VARINT, _I64, _LEN, _I32 = 0, 1, 2, 5


def _varint(n: int) -> bytes:
    out = bytearray()
    while n > 0x7F:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


class _Message:
    """A message being written: its parts (bytes, or arrays whose bytes are the field's) and their size."""

    __slots__ = ("parts", "size")

    def __init__(self) -> None:
        self.parts: List[Any] = []
        self.size = 0

    def _put(self, part: Any, size: int) -> None:
        self.parts.append(part)
        self.size += size

    def varint(self, number: int, value: int) -> None:
        if value:
            b = _varint(number << 3 | _VARINT) + _varint(value)
            self._put(b, len(b))

    def packed(self, number: int, payload: bytes) -> None:
        if payload:
            b = _varint(number << 3 | _LEN) + _varint(len(payload)) + payload
            self._put(b, len(b))

    def raw(self, number: int, data: Any, size: int) -> None:
        """A length-delimited field whose content is ``data`` (bytes or a contiguous array) of ``size`` bytes."""
        head = _varint(number << 3 | _LEN) + _varint(size)
        self._put(head, len(head))
        self._put(data, size)

    def message(self, number: int, sub: "_Message") -> None:
        head = _varint(number << 3 | _LEN) + _varint(sub.size)
        self._put(head, len(head))
        self.parts.extend(sub.parts)
        self.size += sub.size

    def tobytes(self) -> bytes:
        return b"".join(self.parts)


def _tensor_message(array: Any) -> _Message:
    data = _tensor.wire_array(array)
    m = _Message()
    m.varint(1, _tensor.dtype_code(data.dtype))
    m.packed(2, b"".join(_varint(d) for d in data.shape))
    if data.nbytes:  # proto3 leaves out empty bytes
        m.raw(3, data.reshape(-1).view(np.uint8), data.nbytes)
    return m


def _pairs(out: _Message, number: int, pairs: Optional[Sequence[Any]], layout: str) -> None:
    lay = _tensor.layout(layout)
    for i, p in enumerate(pairs or []):
        if isinstance(p, types_pb.FeaturePair):
            b = p.SerializeToString()
            out.raw(number, b, len(b))
            continue
        if len(p) != 2:
            raise ValueError(f"pairs[{i}]: expected (first, second) feature maps, got {len(p)} items")
        pair = _Message()
        pair.message(1, _tensor_message(p[0]))
        pair.message(2, _tensor_message(p[1]))
        pair.varint(3, lay)
        out.message(number, pair)


def fsp_loss_request_bytes(
    student: Sequence[Any],
    teacher: Optional[Sequence[Any]],
    teacher_matrices: Optional[Sequence[Any]],
    *,
    weights: Optional[Sequence[float]],
    layout: str,
    teacher_layout: Optional[str],
    reduction: str,
    pooling: str,
    return_gradients: bool,
    return_teacher_matrices: bool,
) -> bytes:
    """The serialised FspLossRequest that ``Client.fsp_loss_request`` builds from the same arguments."""
    m = _Message()
    _pairs(m, 1, student, layout)
    _pairs(m, 2, teacher, teacher_layout or layout)
    for t in teacher_matrices or []:
        m.message(3, _tensor_message(t))
    m.packed(4, struct.pack(f"<{len(weights or [])}f", *(weights or [])))
    m.varint(5, _tensor.reduction(reduction))
    m.varint(6, _tensor.pooling(pooling))
    m.varint(7, int(bool(return_gradients)))
    m.varint(8, int(bool(return_teacher_matrices)))
    return m.tobytes()


def compute_fsp_request_bytes(pairs: Sequence[Any], *, layout: str, pooling: str) -> bytes:
    """The serialised ComputeFspRequest that ``Client.compute_fsp`` sends."""
    m = _Message()
    _pairs(m, 1, pairs, layout)
    m.varint(2, _tensor.pooling(pooling))
    return m.tobytes()


# -- reading -------------------------------------------------------------------------------------------------


class _Reader:
    """Fields of the message in ``buf[pos:end]``; malformed input raises ValueError naming ``what``."""

    __slots__ = ("buf", "pos", "end", "what")

    def __init__(self, buf: memoryview, pos: int, end: int, what: str) -> None:
        self.buf, self.pos, self.end, self.what = buf, pos, end, what

    def _fail(self, why: str) -> ValueError:
        return ValueError(f"malformed {self.what}: {why}")

    def varint(self) -> int:
        result = shift = 0
        while True:
            if self.pos >= self.end or shift > 63:
                raise self._fail("truncated or overlong varint")
            byte = self.buf[self.pos]
            self.pos += 1
            result |= (byte & 0x7F) << shift
            if byte < 0x80:
                return result
            shift += 7

    def take(self, n: int) -> Tuple[int, int]:
        if n > self.end - self.pos:
            raise self._fail("a field runs past the message's end")
        start = self.pos
        self.pos += n
        return start, self.pos

    def fields(self):
        """(field number, wire type, value): an int for varints, (start, end) for the others."""
        while self.pos < self.end:
            key = self.varint()
            number, wire = key >> 3, key & 7
            if number == 0:
                raise self._fail("field number 0")
            if wire == _VARINT:
                yield number, wire, self.varint()
            elif wire == _I64:
                yield number, wire, self.take(8)
            elif wire == _LEN:
                yield number, wire, self.take(self.varint())
            elif wire == _I32:
                yield number, wire, self.take(4)
            else:
                raise self._fail(f"wire type {wire} (groups are not used by fspd)")

    def sub(self, span: Tuple[int, int], what: str) -> "_Reader":
        return _Reader(self.buf, span[0], span[1], what)


def _tensor_parts(r: _Reader) -> Tuple[int, List[int], memoryview]:
    """A Tensor message's dtype, shape and a view of its data bytes (in the received buffer)."""
    dtype, shape, data = 0, [], (0, 0)
    for number, wire, v in r.fields():
        if number == 1 and wire == _VARINT:
            dtype = v
        elif number == 2 and wire == _VARINT:
            shape.append(v)
        elif number == 2 and wire == _LEN:
            packed = r.sub(v, r.what)
            while packed.pos < packed.end:
                shape.append(packed.varint())
        elif number == 3 and wire == _LEN:
            data = v
        elif number in (1, 2, 3):
            raise r._fail(f"Tensor field {number} with wire type {wire}")
    if any(d >= 1 << 63 for d in shape):
        raise r._fail("a negative dimension")
    return dtype, shape, r.buf[data[0]:data[1]]


def _read_tensor(r: _Reader) -> np.ndarray:
    # from_tensor's rules (dtypes, bfloat16 widened, a writable copy), over a view of the received bytes.
    return _tensor.array_of(*_tensor_parts(r))


def _read_pair(r: _Reader) -> Tuple[np.ndarray, np.ndarray]:
    spans = {1: (0, 0), 2: (0, 0)}  # an absent tensor reads as an empty message, as in protobuf
    for number, wire, v in r.fields():
        if number in (1, 2) and wire == _LEN:
            spans[number] = v
        elif number in (1, 2):
            raise r._fail(f"FeaturePair field {number} with wire type {wire}")
    return (_read_tensor(r.sub(spans[1], f"{r.what}.first")), _read_tensor(r.sub(spans[2], f"{r.what}.second")))


def read_fsp_loss_response(data: bytes) -> Tuple[float, List[float], List[Tuple[np.ndarray, np.ndarray]], List[np.ndarray]]:
    """(loss, pair_losses, gradients, teacher_matrices) of a serialised FspLossResponse, as
    ``Client.fsp_loss_raw`` gives them from protobuf's parse."""
    r = _Reader(memoryview(data), 0, len(data), "FspLossResponse")
    loss, pair_losses, gradients, matrices = 0.0, [], [], []
    for number, wire, v in r.fields():
        if number == 1 and wire == _I64:
            loss = struct.unpack_from("<d", r.buf, v[0])[0]
        elif number == 2 and wire == _I64:
            pair_losses.append(struct.unpack_from("<d", r.buf, v[0])[0])
        elif number == 2 and wire == _LEN:
            if (v[1] - v[0]) % 8:
                raise r._fail("packed pair_losses not a whole number of doubles")
            pair_losses.extend(struct.unpack_from(f"<{(v[1] - v[0]) // 8}d", r.buf, v[0]))
        elif number == 3 and wire == _LEN:
            gradients.append(_read_pair(r.sub(v, "FspLossResponse.student_gradients")))
        elif number == 4 and wire == _LEN:
            matrices.append(_read_tensor(r.sub(v, "FspLossResponse.teacher_matrices")))
        elif number in (1, 2, 3, 4):
            raise r._fail(f"field {number} with wire type {wire}")
    return loss, pair_losses, gradients, matrices


def read_compute_fsp_response(data: bytes) -> List[np.ndarray]:
    """The matrices of a serialised ComputeFspResponse, as protobuf's parse + from_tensor give them."""
    r = _Reader(memoryview(data), 0, len(data), "ComputeFspResponse")
    matrices = []
    for number, wire, v in r.fields():
        if number == 1 and wire == _LEN:
            matrices.append(_read_tensor(r.sub(v, "ComputeFspResponse.matrices")))
        elif number == 1:
            raise r._fail(f"field 1 with wire type {wire}")
    return matrices


def read_teacher_fsp_response(data: bytes) -> Tuple[List[Tuple[int, List[int], memoryview]], int, str]:
    """(matrices, cache_hits, model_fingerprint) of a serialised TeacherFspResponse; each matrix as its dtype,
    shape and a view of its bytes in ``data``, for the caller's one copy (a numpy array, a torch tensor).
    Through protobuf a matrix was copied three times on its way to torch (into the message, out as bytes, into a
    writable buffer), each a fresh allocation of the matrices' size."""
    r = _Reader(memoryview(data), 0, len(data), "TeacherFspResponse")
    matrices, cache_hits, fingerprint = [], 0, ""
    for number, wire, v in r.fields():
        if number == 1 and wire == _LEN:
            matrices.append(_tensor_parts(r.sub(v, "TeacherFspResponse.matrices")))
        elif number == 2 and wire == _VARINT:
            cache_hits = v & 0xFFFFFFFF  # uint32, as protobuf reads it
        elif number == 3 and wire == _LEN:
            try:
                fingerprint = str(r.buf[v[0]:v[1]], "utf-8")
            except UnicodeDecodeError:
                raise r._fail("model_fingerprint is not UTF-8") from None
        elif number in (1, 2, 3):
            raise r._fail(f"field {number} with wire type {wire}")
    return matrices, cache_hits, fingerprint
