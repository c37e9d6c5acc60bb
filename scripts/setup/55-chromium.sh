#!/usr/bin/env bash
# Debian's Chromium, which the browser tests (tests/e2e/test_verify_page.py) drive through
# Playwright; Playwright's own browser download is not used.
set -euo pipefail
[ -x /usr/bin/chromium ] && exit 0
export DEBIAN_FRONTEND=noninteractive
sudo_=""; [ "$(id -u)" = 0 ] || sudo_="sudo"
$sudo_ apt-get update -q
$sudo_ apt-get install -y -q --no-install-recommends chromium
