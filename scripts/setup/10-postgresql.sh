#!/usr/bin/env bash
# PostgreSQL server binaries from Debian (the tests run initdb/pg_ctl themselves, as user postgres).
set -euo pipefail
if ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; then exit 0; fi
export DEBIAN_FRONTEND=noninteractive
sudo_=""; [ "$(id -u)" = 0 ] || sudo_="sudo"
$sudo_ apt-get update -q
$sudo_ apt-get install -y -q --no-install-recommends postgresql
