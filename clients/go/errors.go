package fspd

import (
	"regexp"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// The server's INVALID_ARGUMENT messages start with the request field: "student[1].second.shape: ...".
var fieldRE = regexp.MustCompile(`^([a-z_][a-z0-9_]*(?:\[\d+\])*(?:\.[a-z_][a-z0-9_]*(?:\[\d+\])*)*(?:, [a-z_][a-z0-9_.\[\]]*)*): `)

// Code is the gRPC status code of an error from a call (codes.OK for nil, codes.Unknown for a
// non-gRPC error).
func Code(err error) codes.Code { return status.Code(err) }

// Field is the request field an error's message names (e.g. "student[0].second.shape"), or "".
func Field(err error) string {
	s, ok := status.FromError(err)
	if !ok {
		return ""
	}
	if m := fieldRE.FindStringSubmatch(s.Message()); m != nil {
		return m[1]
	}
	return ""
}
