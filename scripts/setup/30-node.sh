#!/usr/bin/env bash
# Node packages: solc-js (the Solidity compiler, no download), OpenZeppelin, Hardhat 2 and the
# anvil binary (@foundry-rs/anvil-linux-amd64). `npm ci` when node_modules is missing or older
# than package-lock.json.
set -euo pipefail
cd "$(dirname "$0")/../.."
if ! command -v npm >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  sudo_=""; [ "$(id -u)" = 0 ] || sudo_="sudo"
  $sudo_ apt-get update -q
  $sudo_ apt-get install -y -q --no-install-recommends nodejs npm
fi
stamp=node_modules/.package-lock.json
if [ -f "$stamp" ] && [ ! package-lock.json -nt "$stamp" ] && [ -x node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil ]; then
  exit 0
fi
npm ci --no-audit --no-fund
touch "$stamp"
