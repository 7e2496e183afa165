// Original file: proto/fspd/v1/errors.proto

/**
 * Why a call failed. A failed call ends with a gRPC status code and a message for people; programs read
 * the details instead: the trailer `grpc-status-details-bin` holds a `google.rpc.Status` (code, message,
 * details) whose details are
 * - `google.rpc.ErrorInfo`, on every error: `reason` is the name of one of these values (e.g.
 * "SESSION_BUSY"), `domain` is "fspd", `metadata` adds what the reason says (e.g. `resource` and `id` for
 * NOT_FOUND, `limit` and `flag` for LIMIT_EXCEEDED, `error_id` for INTERNAL);
 * - `google.rpc.BadRequest` on INVALID_ARGUMENT: one field violation per request field at fault, the
 * field as a path into the request (`student[1].second.shape`), the description what is wrong with it;
 * - `google.rpc.RetryInfo` where the same call can succeed later unchanged (SERVER_STARTING,
 * SHUTTING_DOWN, SESSION_BUSY, and LIMIT_EXCEEDED on a limit that in-flight work holds): the delay to
 * wait first.
 * Values the client sent come back cut to a short prefix and their length ("'aaaa…' (102400 chars)");
 * the message and the details stay under 4 KiB together. INTERNAL is a server bug, never a bad request:
 * its message is "internal error (id …)" and nothing else, the id leading to the server's log line.
 * ErrorInfo.reason is a string so that a newer server's reasons reach older clients; this enum is not
 * used as a field.
 */
export const ErrorReason = {
  /**
   * Not a reason; never sent.
   */
  ERROR_REASON_UNSPECIFIED: 'ERROR_REASON_UNSPECIFIED',
  /**
   * INVALID_ARGUMENT: a request field has a wrong value, shape, type or combination; BadRequest names it.
   */
  INVALID_FIELD: 'INVALID_FIELD',
  /**
   * INVALID_ARGUMENT: the request is not a well-formed message of its type (truncated, wrong wire type).
   */
  MALFORMED_REQUEST: 'MALFORMED_REQUEST',
  /**
   * NOT_FOUND: no such model, session, checkpoint, shared-memory region or dataset; metadata `resource`
   * (model, session, checkpoint, region, dataset) and `id`.
   */
  NOT_FOUND: 'NOT_FOUND',
  /**
   * ALREADY_EXISTS: the id is taken; metadata `resource` and `id`.
   */
  ALREADY_EXISTS: 'ALREADY_EXISTS',
  /**
   * FAILED_PRECONDITION: another call holds the session (its steps, saves and restores run one at a
   * time); with RetryInfo. Retry after it ends, or cancel it.
   */
  SESSION_BUSY: 'SESSION_BUSY',
  /**
   * FAILED_PRECONDITION: the session's stage does not allow the call (e.g. TrainStep without labels in
   * stage 2, STAGE_FSP without a teacher).
   */
  WRONG_STAGE: 'WRONG_STAGE',
  /**
   * FAILED_PRECONDITION: the model is used by a session (as student or teacher); delete the session first.
   * Or the shared-memory region is read or written by calls in flight (metadata `resource` "region", `id`,
   * `calls`); with RetryInfo: unregister it once they end.
   */
  IN_USE: 'IN_USE',
  /**
   * FAILED_PRECONDITION: the call needs state the server does not have (e.g. Run with steps 0 after the
   * stage's schedule ended).
   */
  FAILED_PRECONDITION: 'FAILED_PRECONDITION',
  /**
   * FAILED_PRECONDITION or UNIMPLEMENTED: this server runs without what the call needs (shared memory
   * without --shared-memory-dir, TeacherFsp on a server without teacher models, model management with
   * --model-control none: metadata `flag` is "--model-control").
   */
  FEATURE_DISABLED: 'FEATURE_DISABLED',
  /**
   * RESOURCE_EXHAUSTED: a server limit; metadata `limit` (what is limited) and `flag` (the server flag
   * that raises it).
   */
  LIMIT_EXCEEDED: 'LIMIT_EXCEEDED',
  /**
   * UNAVAILABLE: the server is starting (restoring models and sessions); with RetryInfo.
   */
  SERVER_STARTING: 'SERVER_STARTING',
  /**
   * UNAVAILABLE: the server is shutting down; sessions continue after the restart; with RetryInfo.
   */
  SHUTTING_DOWN: 'SHUTTING_DOWN',
  /**
   * UNAUTHENTICATED: the call has no `authorization: Bearer <token>` metadata.
   */
  MISSING_TOKEN: 'MISSING_TOKEN',
  /**
   * UNAUTHENTICATED: the token is not one the server accepts.
   */
  INVALID_TOKEN: 'INVALID_TOKEN',
  /**
   * PERMISSION_DENIED: the caller's role does not cover this call; metadata `required_role` (compute, train
   * or admin) and `role` (the caller's).
   */
  PERMISSION_DENIED: 'PERMISSION_DENIED',
  /**
   * CANCELLED: the client cancelled the call; the work done before is kept.
   */
  CANCELLED: 'CANCELLED',
  /**
   * DEADLINE_EXCEEDED: the call's deadline passed; the work done before is kept.
   */
  DEADLINE_EXCEEDED: 'DEADLINE_EXCEEDED',
  /**
   * CANCELLED or ABORTED: the session or model the call worked on was deleted meanwhile.
   */
  DELETED: 'DELETED',
  /**
   * DATA_LOSS: a saved checkpoint cannot be read back.
   */
  CHECKPOINT_CORRUPT: 'CHECKPOINT_CORRUPT',
  /**
   * INTERNAL: a server bug; metadata `error_id` is the id in the message and in the server's log.
   */
  INTERNAL: 'INTERNAL',
  /**
   * FAILED_PRECONDITION: TeacherFsp with sample ids and no images, and some samples are not in the
   * server's cache; metadata `uncached` and `batch`. Send the call again with the images.
   */
  SAMPLES_NOT_CACHED: 'SAMPLES_NOT_CACHED',
} as const;

/**
 * Why a call failed. A failed call ends with a gRPC status code and a message for people; programs read
 * the details instead: the trailer `grpc-status-details-bin` holds a `google.rpc.Status` (code, message,
 * details) whose details are
 * - `google.rpc.ErrorInfo`, on every error: `reason` is the name of one of these values (e.g.
 * "SESSION_BUSY"), `domain` is "fspd", `metadata` adds what the reason says (e.g. `resource` and `id` for
 * NOT_FOUND, `limit` and `flag` for LIMIT_EXCEEDED, `error_id` for INTERNAL);
 * - `google.rpc.BadRequest` on INVALID_ARGUMENT: one field violation per request field at fault, the
 * field as a path into the request (`student[1].second.shape`), the description what is wrong with it;
 * - `google.rpc.RetryInfo` where the same call can succeed later unchanged (SERVER_STARTING,
 * SHUTTING_DOWN, SESSION_BUSY, and LIMIT_EXCEEDED on a limit that in-flight work holds): the delay to
 * wait first.
 * Values the client sent come back cut to a short prefix and their length ("'aaaa…' (102400 chars)");
 * the message and the details stay under 4 KiB together. INTERNAL is a server bug, never a bad request:
 * its message is "internal error (id …)" and nothing else, the id leading to the server's log line.
 * ErrorInfo.reason is a string so that a newer server's reasons reach older clients; this enum is not
 * used as a field.
 */
export type ErrorReason =
  /**
   * Not a reason; never sent.
   */
  | 'ERROR_REASON_UNSPECIFIED'
  | 0
  /**
   * INVALID_ARGUMENT: a request field has a wrong value, shape, type or combination; BadRequest names it.
   */
  | 'INVALID_FIELD'
  | 1
  /**
   * INVALID_ARGUMENT: the request is not a well-formed message of its type (truncated, wrong wire type).
   */
  | 'MALFORMED_REQUEST'
  | 2
  /**
   * NOT_FOUND: no such model, session, checkpoint, shared-memory region or dataset; metadata `resource`
   * (model, session, checkpoint, region, dataset) and `id`.
   */
  | 'NOT_FOUND'
  | 3
  /**
   * ALREADY_EXISTS: the id is taken; metadata `resource` and `id`.
   */
  | 'ALREADY_EXISTS'
  | 4
  /**
   * FAILED_PRECONDITION: another call holds the session (its steps, saves and restores run one at a
   * time); with RetryInfo. Retry after it ends, or cancel it.
   */
  | 'SESSION_BUSY'
  | 5
  /**
   * FAILED_PRECONDITION: the session's stage does not allow the call (e.g. TrainStep without labels in
   * stage 2, STAGE_FSP without a teacher).
   */
  | 'WRONG_STAGE'
  | 6
  /**
   * FAILED_PRECONDITION: the model is used by a session (as student or teacher); delete the session first.
   * Or the shared-memory region is read or written by calls in flight (metadata `resource` "region", `id`,
   * `calls`); with RetryInfo: unregister it once they end.
   */
  | 'IN_USE'
  | 7
  /**
   * FAILED_PRECONDITION: the call needs state the server does not have (e.g. Run with steps 0 after the
   * stage's schedule ended).
   */
  | 'FAILED_PRECONDITION'
  | 8
  /**
   * FAILED_PRECONDITION or UNIMPLEMENTED: this server runs without what the call needs (shared memory
   * without --shared-memory-dir, TeacherFsp on a server without teacher models, model management with
   * --model-control none: metadata `flag` is "--model-control").
   */
  | 'FEATURE_DISABLED'
  | 9
  /**
   * RESOURCE_EXHAUSTED: a server limit; metadata `limit` (what is limited) and `flag` (the server flag
   * that raises it).
   */
  | 'LIMIT_EXCEEDED'
  | 10
  /**
   * UNAVAILABLE: the server is starting (restoring models and sessions); with RetryInfo.
   */
  | 'SERVER_STARTING'
  | 11
  /**
   * UNAVAILABLE: the server is shutting down; sessions continue after the restart; with RetryInfo.
   */
  | 'SHUTTING_DOWN'
  | 12
  /**
   * UNAUTHENTICATED: the call has no `authorization: Bearer <token>` metadata.
   */
  | 'MISSING_TOKEN'
  | 13
  /**
   * UNAUTHENTICATED: the token is not one the server accepts.
   */
  | 'INVALID_TOKEN'
  | 14
  /**
   * PERMISSION_DENIED: the caller's role does not cover this call; metadata `required_role` (compute, train
   * or admin) and `role` (the caller's).
   */
  | 'PERMISSION_DENIED'
  | 15
  /**
   * CANCELLED: the client cancelled the call; the work done before is kept.
   */
  | 'CANCELLED'
  | 16
  /**
   * DEADLINE_EXCEEDED: the call's deadline passed; the work done before is kept.
   */
  | 'DEADLINE_EXCEEDED'
  | 17
  /**
   * CANCELLED or ABORTED: the session or model the call worked on was deleted meanwhile.
   */
  | 'DELETED'
  | 18
  /**
   * DATA_LOSS: a saved checkpoint cannot be read back.
   */
  | 'CHECKPOINT_CORRUPT'
  | 19
  /**
   * INTERNAL: a server bug; metadata `error_id` is the id in the message and in the server's log.
   */
  | 'INTERNAL'
  | 20
  /**
   * FAILED_PRECONDITION: TeacherFsp with sample ids and no images, and some samples are not in the
   * server's cache; metadata `uncached` and `batch`. Send the call again with the images.
   */
  | 'SAMPLES_NOT_CACHED'
  | 21

/**
 * Why a call failed. A failed call ends with a gRPC status code and a message for people; programs read
 * the details instead: the trailer `grpc-status-details-bin` holds a `google.rpc.Status` (code, message,
 * details) whose details are
 * - `google.rpc.ErrorInfo`, on every error: `reason` is the name of one of these values (e.g.
 * "SESSION_BUSY"), `domain` is "fspd", `metadata` adds what the reason says (e.g. `resource` and `id` for
 * NOT_FOUND, `limit` and `flag` for LIMIT_EXCEEDED, `error_id` for INTERNAL);
 * - `google.rpc.BadRequest` on INVALID_ARGUMENT: one field violation per request field at fault, the
 * field as a path into the request (`student[1].second.shape`), the description what is wrong with it;
 * - `google.rpc.RetryInfo` where the same call can succeed later unchanged (SERVER_STARTING,
 * SHUTTING_DOWN, SESSION_BUSY, and LIMIT_EXCEEDED on a limit that in-flight work holds): the delay to
 * wait first.
 * Values the client sent come back cut to a short prefix and their length ("'aaaa…' (102400 chars)");
 * the message and the details stay under 4 KiB together. INTERNAL is a server bug, never a bad request:
 * its message is "internal error (id …)" and nothing else, the id leading to the server's log line.
 * ErrorInfo.reason is a string so that a newer server's reasons reach older clients; this enum is not
 * used as a field.
 */
export type ErrorReason__Output = typeof ErrorReason[keyof typeof ErrorReason]
