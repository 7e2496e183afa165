package fspd

import (
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Domain is google.rpc.ErrorInfo.domain on the errors fspd sends.
const Domain = "fspd"

// FieldViolation is a request field at fault (google.rpc.BadRequest.FieldViolation): its path, e.g.
// "student[1].second.shape", and what is wrong with it.
type FieldViolation struct {
	Field       string
	Description string
}

// ErrorDetails is what a failed call's status details (the grpc-status-details-bin trailer) say; see
// fspd.v1.ErrorReason in proto/fspd/v1/errors.proto.
type ErrorDetails struct {
	// Reason is google.rpc.ErrorInfo.reason, an fspd.v1.ErrorReason name such as "SESSION_BUSY"; "" when
	// the status has no ErrorInfo (e.g. a connection failure made by the client library).
	Reason string
	// Domain is google.rpc.ErrorInfo.domain: "fspd" for the server's errors.
	Domain string
	// Metadata is google.rpc.ErrorInfo.metadata: e.g. "resource" and "id" (NOT_FOUND), "limit" and "flag"
	// (LIMIT_EXCEEDED), "error_id" (INTERNAL).
	Metadata map[string]string
	// FieldViolations are google.rpc.BadRequest's (INVALID_ARGUMENT).
	FieldViolations []FieldViolation
	// RetryDelay is google.rpc.RetryInfo.retry_delay; Retry says whether the server sent one (the same
	// call can succeed after it).
	RetryDelay time.Duration
	Retry      bool
}

// Code is the gRPC status code of an error from a call (codes.OK for nil, codes.Unknown for a
// non-gRPC error).
func Code(err error) codes.Code { return status.Code(err) }

// Details decodes the status details of an error from a call (zero for nil or a non-gRPC error).
func Details(err error) ErrorDetails {
	var d ErrorDetails
	s, ok := status.FromError(err)
	if !ok || s == nil {
		return d
	}
	for _, detail := range s.Details() {
		switch m := detail.(type) {
		case *errdetails.ErrorInfo:
			d.Reason, d.Domain, d.Metadata = m.Reason, m.Domain, m.Metadata
		case *errdetails.BadRequest:
			for _, v := range m.FieldViolations {
				d.FieldViolations = append(d.FieldViolations, FieldViolation{Field: v.Field, Description: v.Description})
			}
		case *errdetails.RetryInfo:
			if m.RetryDelay != nil {
				d.RetryDelay, d.Retry = m.RetryDelay.AsDuration(), true
			}
		}
	}
	return d
}

// Reason is the ErrorInfo reason of an error from a call (e.g. "NOT_FOUND", "LIMIT_EXCEEDED"), or "".
func Reason(err error) string { return Details(err).Reason }

// Field is the first request field an error's BadRequest names (e.g. "student[0].second.shape"), or "".
func Field(err error) string {
	if v := Details(err).FieldViolations; len(v) > 0 {
		return v[0].Field
	}
	return ""
}
