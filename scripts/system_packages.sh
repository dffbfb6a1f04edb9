#!/usr/bin/env bash
# Install the Debian packages Warmth needs, only those missing.
#   run:  Pango/HarfBuzz for WeasyPrint, Noto CJK fonts (Chinese in PDFs), gettext
#   test: the above plus Chromium (browser tests) and poppler-utils (pdftotext/pdftoppm)
# The Dockerfile runs this same script (profile "run"), so image and machine match.
set -euo pipefail

RUN_PACKAGES=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-noto-cjk gettext)
TEST_PACKAGES=(chromium poppler-utils)

profile="${1:-run}"
wanted=("${RUN_PACKAGES[@]}")
[ "$profile" = "test" ] && wanted+=("${TEST_PACKAGES[@]}")

missing=()
for package in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if ! command -v apt-get >/dev/null; then
  echo "Warmth needs these system packages (Debian names): ${missing[*]}" >&2
  echo "Install their equivalents with your system's package manager, then run make again." >&2
  exit 1
fi
if [ "$(id -u)" -eq 0 ]; then sudo=""; elif command -v sudo >/dev/null; then sudo="sudo"; else
  echo "Warmth needs: ${missing[*]}. Run as root: apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "Installing system packages: ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
