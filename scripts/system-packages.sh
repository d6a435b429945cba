#!/usr/bin/env bash
# Install the Debian packages a step needs, only when missing (a fresh Debian machine lacks them).
#   scripts/system-packages.sh gettext    -> msgfmt, for compiling translations
#   scripts/system-packages.sh chromium   -> /usr/bin/chromium, for the browser tests
#   scripts/system-packages.sh wrk        -> the HTTP load generator of the page benchmark
#   scripts/system-packages.sh pango      -> Pango and HarfBuzz, which WeasyPrint renders PDFs with
set -euo pipefail
missing=()
for want in "$@"; do
  case "$want" in
    make) command -v make >/dev/null 2>&1 || missing+=(make) ;;
    gettext) command -v msgfmt >/dev/null 2>&1 || missing+=(gettext) ;;
    chromium) [ -x /usr/bin/chromium ] || missing+=(chromium) ;;
    wrk) command -v wrk >/dev/null 2>&1 || missing+=(wrk) ;;
    pango) ldconfig -p | grep -q 'libpangoft2-1.0.so.0' || missing+=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core) ;;
    *) echo "unknown package group: $want" >&2; exit 2 ;;
  esac
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
echo "Installing Debian packages: ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
