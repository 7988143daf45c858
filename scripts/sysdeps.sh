#!/usr/bin/env bash
# Debian packages the reports need: Chromium (PDF via nbconvert webpdf; SVG logos rasterised for the
# deck), Noto CJK fonts (Chinese text), poppler-utils (pdftotext/pdftoppm/pdffonts, used by the report
# tests), LibreOffice Impress without its GUI (the deck test converts a pptx to PDF headless to check
# that its Chinese glyphs render; the -nogui build pulls no X/GTK stack). Installed when running as
# root; otherwise prints the exact command to run.
set -euo pipefail
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
# no `grep -q`: with pipefail, fc-list would die of SIGPIPE and the fonts would look missing
fc-list 2>/dev/null | grep -i "Noto Sans CJK" >/dev/null || missing+=(fonts-noto-cjk)
fc-list 2>/dev/null | grep -i "DejaVu Sans" >/dev/null || missing+=(fonts-dejavu-core)  # the deck's Latin font
command -v pdftotext >/dev/null 2>&1 || missing+=(poppler-utils)
command -v fc-list >/dev/null 2>&1 || missing+=(fontconfig)
command -v soffice >/dev/null 2>&1 || missing+=(libreoffice-impress-nogui)  # any LibreOffice will do
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "sysdeps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "sysdeps: missing Debian packages: ${missing[*]}"
  echo "  install them with:  sudo apt-get install -y --no-install-recommends ${missing[*]}"
  exit 1
fi
