#!/usr/bin/env bash
# Debian packages the app and its tests use: chromium (browser tests), ffmpeg (WebM/M4A/MP3),
# espeak-ng (many-language speech), fonts-noto-cjk (Korean text), cmake and g++ (to build llama-cpp-python).
# Installs only what is missing; needs root or sudo.
set -euo pipefail
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v ffmpeg >/dev/null 2>&1 || need+=(ffmpeg)
command -v espeak-ng >/dev/null 2>&1 || need+=(espeak-ng)
# llama-cpp-python (the bundled language model's runtime) has no binary wheel: pip builds it
command -v cmake >/dev/null 2>&1 || need+=(cmake)
command -v g++ >/dev/null 2>&1 || need+=(g++)
# the load balancer in front of two front ends (deploy/nginx.conf, tests/test_load_balancer.py)
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need+=(nginx)
# Korean text in the browser tests and the app's own figures (issue 13)
[ -d /usr/share/fonts/opentype/noto ] || need+=(fonts-noto-cjk)
[ ${#need[@]} -eq 0 ] && exit 0
if ! command -v apt-get >/dev/null 2>&1; then
  echo "Please install: ${need[*]} (no apt-get here)" >&2
  exit 1
fi
SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" fonts-dejavu-core >/dev/null
