"""Errors raised by the fspd client: one exception per gRPC status code, each carrying the code, the
server's message and the request field it names (``student[1].second.shape``), when it names one."""
from __future__ import annotations

import re
from typing import Dict, Optional, Type

import grpc

__all__ = [
    "FspdError", "InvalidArgument", "NotFound", "AlreadyExists", "FailedPrecondition", "ResourceExhausted",
    "Unauthenticated", "PermissionDenied", "Unavailable", "DeadlineExceeded", "Cancelled", "Unimplemented",
    "Internal", "from_rpc_error",
]

# The server's INVALID_ARGUMENT messages start with the field path: "student[1].second.shape: expected ...".
_FIELD = re.compile(r"^([a-z_][a-z0-9_]*(?:\[\d+\])*(?:\.[a-z_][a-z0-9_]*(?:\[\d+\])*)*(?:, [a-z_][a-z0-9_.\[\]]*)*): ")


class FspdError(Exception):
    """A failed fspd call. ``code`` is the ``grpc.StatusCode``, ``details`` the server's message,
    ``field`` the request field the message names (or None), ``method`` the RPC."""

    code: grpc.StatusCode = grpc.StatusCode.UNKNOWN

    def __init__(self, code: grpc.StatusCode, details: str, method: str = "", field: Optional[str] = None):
        self.code = code
        self.details = details
        self.method = method
        self.field = field
        where = f"{method}: " if method else ""
        super().__init__(f"{where}{code.name}: {details}")


class InvalidArgument(FspdError, ValueError):
    """A bad shape, dtype or value; ``field`` names it."""


class NotFound(FspdError, LookupError):
    """An unknown model, session or checkpoint id."""


class AlreadyExists(FspdError):
    """The id is taken."""


class FailedPrecondition(FspdError):
    """Wrong stage, session busy, model in use."""


class ResourceExhausted(FspdError):
    """Message size, memory, model or session limit."""


class Unauthenticated(FspdError, PermissionError):
    """Missing or wrong token."""


class PermissionDenied(FspdError, PermissionError):
    """Not allowed."""


class Unavailable(FspdError, ConnectionError):
    """Server not reachable or shutting down (retried with backoff before this is raised)."""


class DeadlineExceeded(FspdError, TimeoutError):
    """The call's deadline passed; the server stopped the work."""


class Cancelled(FspdError):
    """The call was cancelled."""


class Unimplemented(FspdError, NotImplementedError):
    """The server does not implement this RPC (or this use of it)."""


class Internal(FspdError):
    """A server bug."""


_BY_CODE: Dict[grpc.StatusCode, Type[FspdError]] = {
    grpc.StatusCode.INVALID_ARGUMENT: InvalidArgument,
    grpc.StatusCode.OUT_OF_RANGE: InvalidArgument,
    grpc.StatusCode.NOT_FOUND: NotFound,
    grpc.StatusCode.ALREADY_EXISTS: AlreadyExists,
    grpc.StatusCode.FAILED_PRECONDITION: FailedPrecondition,
    grpc.StatusCode.RESOURCE_EXHAUSTED: ResourceExhausted,
    grpc.StatusCode.UNAUTHENTICATED: Unauthenticated,
    grpc.StatusCode.PERMISSION_DENIED: PermissionDenied,
    grpc.StatusCode.UNAVAILABLE: Unavailable,
    grpc.StatusCode.DEADLINE_EXCEEDED: DeadlineExceeded,
    grpc.StatusCode.CANCELLED: Cancelled,
    grpc.StatusCode.UNIMPLEMENTED: Unimplemented,
    grpc.StatusCode.INTERNAL: Internal,
}


def field_of(details: str) -> Optional[str]:
    """The request field a server message starts with (``"student[1].second.shape: ..."``), else None."""
    m = _FIELD.match(details or "")
    return m.group(1) if m else None


def from_rpc_error(err: grpc.RpcError, method: str = "") -> FspdError:
    """The typed exception for a grpc error (a ``grpc.Call``)."""
    code = err.code() if hasattr(err, "code") else grpc.StatusCode.UNKNOWN
    details = (err.details() if hasattr(err, "details") else str(err)) or ""
    cls = _BY_CODE.get(code, FspdError)
    return cls(code, details, method, field_of(details))
