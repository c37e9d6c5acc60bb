#!/usr/bin/env bash
# geth (go-ethereum), built from source once into ~/.cache/sunlight/bin, for the anchor tests'
# `geth --dev` backend. Optional: without Go, or if the build fails, those tests skip.
set -uo pipefail
version=v1.17.10
bin="${SUNLIGHT_CACHE:-$HOME/.cache/sunlight}/bin"
if [ -x "$bin/geth" ] && "$bin/geth" version 2>/dev/null | grep -q "^Version: ${version#v}"; then exit 0; fi
if ! command -v go >/dev/null 2>&1; then
  echo "40-geth: Go is not installed; the geth --dev anchor tests will skip" >&2
  exit 0
fi
mkdir -p "$bin"
echo "40-geth: building geth $version (a few minutes, once)" >&2
if ! GOBIN="$bin" GOFLAGS=-mod=mod go install "github.com/ethereum/go-ethereum/cmd/geth@$version"; then
  echo "40-geth: the build failed; the geth --dev anchor tests will skip" >&2
fi
exit 0
