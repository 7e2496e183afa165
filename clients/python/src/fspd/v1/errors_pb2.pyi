from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from typing import ClassVar as _ClassVar

DESCRIPTOR: _descriptor.FileDescriptor

class ErrorReason(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ERROR_REASON_UNSPECIFIED: _ClassVar[ErrorReason]
    INVALID_FIELD: _ClassVar[ErrorReason]
    MALFORMED_REQUEST: _ClassVar[ErrorReason]
    NOT_FOUND: _ClassVar[ErrorReason]
    ALREADY_EXISTS: _ClassVar[ErrorReason]
    SESSION_BUSY: _ClassVar[ErrorReason]
    WRONG_STAGE: _ClassVar[ErrorReason]
    IN_USE: _ClassVar[ErrorReason]
    FAILED_PRECONDITION: _ClassVar[ErrorReason]
    FEATURE_DISABLED: _ClassVar[ErrorReason]
    LIMIT_EXCEEDED: _ClassVar[ErrorReason]
    SERVER_STARTING: _ClassVar[ErrorReason]
    SHUTTING_DOWN: _ClassVar[ErrorReason]
    MISSING_TOKEN: _ClassVar[ErrorReason]
    INVALID_TOKEN: _ClassVar[ErrorReason]
    PERMISSION_DENIED: _ClassVar[ErrorReason]
    CANCELLED: _ClassVar[ErrorReason]
    DEADLINE_EXCEEDED: _ClassVar[ErrorReason]
    DELETED: _ClassVar[ErrorReason]
    CHECKPOINT_CORRUPT: _ClassVar[ErrorReason]
    INTERNAL: _ClassVar[ErrorReason]
    SAMPLES_NOT_CACHED: _ClassVar[ErrorReason]
ERROR_REASON_UNSPECIFIED: ErrorReason
INVALID_FIELD: ErrorReason
MALFORMED_REQUEST: ErrorReason
NOT_FOUND: ErrorReason
ALREADY_EXISTS: ErrorReason
SESSION_BUSY: ErrorReason
WRONG_STAGE: ErrorReason
IN_USE: ErrorReason
FAILED_PRECONDITION: ErrorReason
FEATURE_DISABLED: ErrorReason
LIMIT_EXCEEDED: ErrorReason
SERVER_STARTING: ErrorReason
SHUTTING_DOWN: ErrorReason
MISSING_TOKEN: ErrorReason
INVALID_TOKEN: ErrorReason
PERMISSION_DENIED: ErrorReason
CANCELLED: ErrorReason
DEADLINE_EXCEEDED: ErrorReason
DELETED: ErrorReason
CHECKPOINT_CORRUPT: ErrorReason
INTERNAL: ErrorReason
SAMPLES_NOT_CACHED: ErrorReason
