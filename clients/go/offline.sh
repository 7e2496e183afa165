#!/usr/bin/env bash
# Runs the go command on this module without a module proxy: GOPATH mode over Debian's Go packages
# (golang-google-grpc-dev, golang-google-protobuf-dev and their dependencies in /usr/share/gocode), with
# this directory linked in at its import path. Usage: clients/go/offline.sh test ./...   (or build, vet)
# Outside users don't need this: go.mod works with the module proxy as usual.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
module="$(awk '/^module /{print $2; exit}' "$here/go.mod")"
gopath="${FSPD_GOPATH:-${TMPDIR:-/tmp}/fspd-gopath}"
debian="${DEBIAN_GOCODE:-/usr/share/gocode}"
[ -d "$debian/src/google.golang.org/grpc" ] || {
  echo "offline.sh: $debian/src/google.golang.org/grpc missing: apt-get install golang-go golang-google-grpc-dev golang-google-protobuf-dev golang-github-golang-protobuf-1-5-dev" >&2
  exit 1
}
mkdir -p "$gopath/src/$(dirname "$module")"
ln -sfn "$here" "$gopath/src/$module"
cd "$gopath/src/$module"
export GO111MODULE=off GOPATH="$gopath:$debian" GOFLAGS="" GOPROXY=off
exec go "$@"
