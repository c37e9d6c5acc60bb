#!/usr/bin/env bash
# Installs the real components the test suite runs against, each only when absent.
# Each component has its own script beside this one; slow builds are cached under ~/.cache/sunlight.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
for part in "$here"/[0-9][0-9]-*.sh; do
  [ -e "$part" ] || continue
  bash "$part"
done
