#!/usr/bin/env bash
# geth (go-ethereum) v1.13.15, built from source once into ~/.cache/sunlight/bin/geth-1.13.15: the
# consortium chain's clique validators (scripts/consortium; geth 1.14 removed clique sealing) and
# the anchor tests' `geth --dev` backend. Built with Go's linkname check off: its
# github.com/fjl/memsize dependency does not link with Go >= 1.23 otherwise.
# Optional: without Go, or if the build fails, the tests that need geth skip (the consortium's fail
# under CI=true).
set -uo pipefail
version=v1.13.15
dir="${SUNLIGHT_CACHE:-$HOME/.cache/sunlight}/bin/geth-${version#v}"
# (not `geth version | grep -q`: grep exiting first fails the pipe under pipefail)
if [ -x "$dir/geth" ] && grep -q "^Version: ${version#v}" <<<"$("$dir/geth" version 2>/dev/null)"; then
  exit 0
fi
if ! command -v go >/dev/null 2>&1; then
  echo "40-geth: Go is not installed; the tests that need geth will skip" >&2
  exit 0
fi
mkdir -p "$dir"
echo "40-geth: building geth $version (a few minutes, once)" >&2
if ! GOBIN="$dir" GOFLAGS=-mod=mod go install -ldflags=-checklinkname=0 \
  "github.com/ethereum/go-ethereum/cmd/geth@$version"; then
  echo "40-geth: the build failed; the tests that need geth will skip" >&2
fi
exit 0
