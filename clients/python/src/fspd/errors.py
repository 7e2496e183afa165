"""Errors raised by the fspd client: one exception per gRPC status code, each carrying the code, the
server's message, and what the server's ``grpc-status-details-bin`` trailer says (proto/fspd/v1/errors.proto):
the reason (``SESSION_BUSY``, ``LIMIT_EXCEEDED``, ...), its metadata, the request fields at fault
(``student[1].second.shape``) and the delay after which a retry can succeed. Programs branch on these, not on
the message text."""
from __future__ import annotations

from dataclasses import dataclass, field as dataclass_field
from typing import Dict, List, Mapping, Optional, Tuple, Type

import grpc
from google.rpc import error_details_pb2, status_pb2

__all__ = [
    "FspdError", "InvalidArgument", "NotFound", "AlreadyExists", "FailedPrecondition", "ResourceExhausted",
    "Unauthenticated", "PermissionDenied", "Unavailable", "DeadlineExceeded", "Cancelled", "Unimplemented",
    "Internal", "FieldViolation", "ErrorDetails", "from_rpc_error", "details_of",
]

_DETAILS_KEY = "grpc-status-details-bin"
_TYPE_URL = "type.googleapis.com/"


@dataclass(frozen=True)
class FieldViolation:
    """A request field at fault (``google.rpc.BadRequest.FieldViolation``): its path and what is wrong."""

    field: str
    description: str


@dataclass(frozen=True)
class ErrorDetails:
    """What ``grpc-status-details-bin`` says: ``google.rpc.ErrorInfo`` (reason, domain, metadata),
    ``google.rpc.BadRequest`` (field violations) and ``google.rpc.RetryInfo`` (retry delay, seconds)."""

    reason: str = ""
    domain: str = ""
    metadata: Mapping[str, str] = dataclass_field(default_factory=dict)
    field_violations: Tuple[FieldViolation, ...] = ()
    retry_delay: Optional[float] = None


class FspdError(Exception):
    """A failed fspd call. ``code`` is the ``grpc.StatusCode``, ``details`` the server's message,
    ``method`` the RPC; from the server's status details: ``reason`` (an ``fspd.v1.ErrorReason`` name, "" when
    the status had none, e.g. a connection failure), ``domain`` ("fspd"), ``metadata`` (e.g. ``resource`` and
    ``id`` for NOT_FOUND, ``limit`` and ``flag`` for LIMIT_EXCEEDED, ``error_id`` for INTERNAL),
    ``field_violations``, ``field`` (the first violation's field, or None) and ``retry_delay`` (seconds to wait
    before the same call can succeed, or None)."""

    code: grpc.StatusCode = grpc.StatusCode.UNKNOWN

    def __init__(self, code: grpc.StatusCode, details: str, method: str = "", error_details: Optional[ErrorDetails] = None):
        info = error_details or ErrorDetails()
        self.code = code
        self.details = details
        self.method = method
        self.reason = info.reason
        self.domain = info.domain
        self.metadata: Dict[str, str] = dict(info.metadata)
        self.field_violations: List[FieldViolation] = list(info.field_violations)
        self.field: Optional[str] = self.field_violations[0].field if self.field_violations else None
        self.retry_delay = info.retry_delay
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


def details_of(err: grpc.RpcError) -> Optional[ErrorDetails]:
    """The ``google.rpc.Status`` details of a grpc error's trailers, or None when it has none (or they do not
    parse). Detail types other than ErrorInfo, BadRequest and RetryInfo are skipped."""
    trailers = err.trailing_metadata() if hasattr(err, "trailing_metadata") else None
    raw = next((v for k, v in (trailers or ()) if k == _DETAILS_KEY), None)
    if not isinstance(raw, bytes):
        return None
    status = status_pb2.Status()
    try:
        status.ParseFromString(raw)
    except Exception:  # a DecodeError: the trailer is not a google.rpc.Status
        return None
    reason, domain, metadata, violations, delay = "", "", {}, [], None
    for any_ in status.details:
        if any_.type_url == _TYPE_URL + error_details_pb2.ErrorInfo.DESCRIPTOR.full_name:
            info = error_details_pb2.ErrorInfo()
            any_.Unpack(info)
            reason, domain, metadata = info.reason, info.domain, dict(info.metadata)
        elif any_.type_url == _TYPE_URL + error_details_pb2.BadRequest.DESCRIPTOR.full_name:
            bad = error_details_pb2.BadRequest()
            any_.Unpack(bad)
            violations += [FieldViolation(v.field, v.description) for v in bad.field_violations]
        elif any_.type_url == _TYPE_URL + error_details_pb2.RetryInfo.DESCRIPTOR.full_name:
            retry = error_details_pb2.RetryInfo()
            any_.Unpack(retry)
            delay = retry.retry_delay.seconds + retry.retry_delay.nanos / 1e9
    return ErrorDetails(reason, domain, metadata, tuple(violations), delay)


def from_rpc_error(err: grpc.RpcError, method: str = "") -> FspdError:
    """The typed exception for a grpc error (a ``grpc.Call``)."""
    code = err.code() if hasattr(err, "code") else grpc.StatusCode.UNKNOWN
    details = (err.details() if hasattr(err, "details") else str(err)) or ""
    cls = _BY_CODE.get(code, FspdError)
    return cls(code, details, method, details_of(err))
