module github.com/fspd/fspd/clients/go

go 1.19

// Minimum versions: the generated code needs grpc >= 1.32 (SupportPackageIsVersion7) and protobuf-go
// >= 1.20; errors.go reads status details with genproto's errdetails (at the version grpc 1.33.3
// requires). These are the versions Debian 12 packages, which the offline build here uses (offline.sh).
// Building inside this module with a module proxy: run `go mod tidy` once to write go.sum.
require (
	google.golang.org/genproto v0.0.0-20200526211855-cb27e3aa2013
	google.golang.org/grpc v1.33.3
	google.golang.org/protobuf v1.28.1
)
