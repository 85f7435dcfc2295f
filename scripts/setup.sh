#!/usr/bin/env bash
# Install the app into ./.venv (created if missing). Then: .venv/bin/python app.py
# requirements.lock (scripts/lock.sh) pins every package, dependencies included, to the versions
# the tests passed with; requirements.txt and requirements/*.txt say what is needed and why.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || python3 -m venv .venv
lock=(); [ -f requirements.lock ] && lock=(-c requirements.lock)
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -r requirements.txt "${lock[@]}"
# Packages whose declared dependencies would break the environment (torchaudio) or are unneeded.
.venv/bin/python -m pip install -q --no-deps -r requirements-nodeps.txt "${lock[@]}"
# torchaudio (for pyannote.audio) keeps its pure-Python parts only: its compiled libraries are a CUDA
# build that cannot load beside CPU torch (see scripts/torchaudio_pure.py).
.venv/bin/python scripts/torchaudio_pure.py
echo "Installed. Start the app with: .venv/bin/python app.py"
