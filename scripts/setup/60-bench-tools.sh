#!/usr/bin/env bash
# wrk, the HTTP load generator of `make bench` (Debian's package), only when absent.
set -euo pipefail
command -v wrk >/dev/null 2>&1 && exit 0
export DEBIAN_FRONTEND=noninteractive
sudo_=""; [ "$(id -u)" = 0 ] || sudo_="sudo"
$sudo_ apt-get install -y -q wrk >/dev/null 2>&1 || { $sudo_ apt-get update -q && $sudo_ apt-get install -y -q wrk; }
