#!/usr/bin/env bash
# The CJK font embedded in evidence certificates (api/render/certificate.py), and poppler-utils and zbar
# with which the tests read certificates back (pdftotext, pdffonts, pdftoppm, zbarimg).
set -euo pipefail
need=()
[ -f /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] || need+=(fonts-wqy-microhei)
command -v pdftotext >/dev/null 2>&1 && command -v pdftoppm >/dev/null 2>&1 || need+=(poppler-utils)
command -v zbarimg >/dev/null 2>&1 || need+=(zbar-tools)
[ ${#need[@]} -eq 0 ] && exit 0
export DEBIAN_FRONTEND=noninteractive
sudo_=""; [ "$(id -u)" = 0 ] || sudo_="sudo"
$sudo_ apt-get update -q
$sudo_ apt-get install -y -q --no-install-recommends "${need[@]}"
