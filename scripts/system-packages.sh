#!/usr/bin/env bash
# Debian packages: those of packages.txt, which the app uses (ffmpeg: WebM/M4A/MP3; espeak-ng:
# many-language speech; fonts-noto-cjk: Korean text in figures; the Dockerfile and a Space install
# the same list), python3-venv (scripts/setup.sh makes a venv) and, with --test, chromium (the
# browser tests). Installs only what is missing, with apt-get as root or through sudo; where it
# cannot, it prints the exact command to run and exits 1. No compiler is needed: every Python
# package installs from a wheel.
set -euo pipefail
cd "$(dirname "$0")/.."
need=()
for package in $(cat packages.txt); do
  case "$package" in
    fonts-noto-cjk) [ -d /usr/share/fonts/opentype/noto ] || need+=("$package") ;;
    *) command -v "$package" >/dev/null 2>&1 || need+=("$package") ;;
  esac
done
python3 -c "import ensurepip, venv" >/dev/null 2>&1 || need+=(python3-venv)
if [ "${1:-}" = "--test" ]; then
  command -v chromium >/dev/null 2>&1 || need+=(chromium)
  # the load balancer in front of two front ends (deploy/nginx.conf, tests/test_load_balancer.py)
  command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need+=(nginx)
fi
[ ${#need[@]} -eq 0 ] && exit 0
SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
can_sudo() { command -v sudo >/dev/null 2>&1 && { sudo -n true 2>/dev/null || [ -t 0 ]; }; }  # no password, or one can be typed
if ! command -v apt-get >/dev/null 2>&1 || { [ -n "$SUDO" ] && ! can_sudo; }; then
  echo "Missing system packages: ${need[*]}. Install them (Debian/Ubuntu names) with:" >&2
  echo "  sudo apt-get install -y --no-install-recommends ${need[*]}" >&2
  exit 1
fi
echo "Installing system packages: ${need[*]} (apt-get${SUDO:+, through sudo})"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" fonts-dejavu-core >/dev/null
