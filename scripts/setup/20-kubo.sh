#!/usr/bin/env bash
# Kubo (IPFS) for the blob-store tests and the benchmark, built from source with the Go toolchain
# through the Go module proxy into ~/.cache/sunlight/bin/ipfs, only when that binary is absent.
# The tests start it themselves (`ipfs daemon --offline` on loopback, see tests/support/kubo.py).
#
# Two traps, both worked around here:
# - `go install github.com/ipfs/kubo/cmd/ipfs@vX` fails with "loading deprecation ... @v/list: 403":
#   `go install pkg@version` reads the module's version list, which the proxy refuses for kubo.
#   A throwaway module that requires the exact version never asks for the list.
# - Kubo v0.39 depends on github.com/cockroachdb/swiss, whose runtime hooks refuse Go >= 1.26
#   ("undefined: fastrand64"), so the build runs under Go 1.25 (GOTOOLCHAIN downloads it from the
#   module proxy as the golang.org/toolchain module).
set -euo pipefail

KUBO_VERSION=v0.39.0
GO_TOOLCHAIN=go1.25.4
bin_dir=${SUNLIGHT_BIN_DIR:-$HOME/.cache/sunlight/bin}
target=$bin_dir/ipfs

if [ -x "$target" ] && [ "$("$target" version -n 2>/dev/null)" = "${KUBO_VERSION#v}" ]; then
  exit 0
fi
if ! command -v go >/dev/null 2>&1 && [ -x /usr/local/go/bin/go ]; then
  export PATH=$PATH:/usr/local/go/bin
fi
if ! command -v go >/dev/null 2>&1; then
  echo "20-kubo: the Go toolchain is needed to build Kubo (install Go >= 1.21)" >&2
  exit 1
fi

mkdir -p "$bin_dir"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
export GOTOOLCHAIN=$GO_TOOLCHAIN GOFLAGS="-mod=mod -buildvcs=false"
echo "20-kubo: building Kubo $KUBO_VERSION with $GO_TOOLCHAIN (a few minutes on 2 cores)..." >&2
go mod init sunlight-kubo-build >/dev/null 2>&1
go mod edit -go=1.25 -toolchain=none
go get "github.com/ipfs/kubo@$KUBO_VERSION" >/dev/null 2>&1 \
  || go get "github.com/ipfs/kubo@$KUBO_VERSION"
go build -trimpath -o "$target.tmp" github.com/ipfs/kubo/cmd/ipfs
mv -f "$target.tmp" "$target"
echo "20-kubo: installed $("$target" version) at $target" >&2
