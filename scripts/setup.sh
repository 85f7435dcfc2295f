#!/usr/bin/env bash
# Install the app into ./.venv (created if missing). Then: .venv/bin/python app.py
# First the Debian packages the app uses (scripts/system-packages.sh: apt-get as root or through
# sudo, only what is missing; otherwise it prints the command to run, and the app says which engine
# waits for which package). Then Python packages, every one from a wheel (no compiler).
# requirements.lock (scripts/lock.sh) pins every package, dependencies included, to the versions
# the tests passed with; requirements.txt and requirements/*.txt say what is needed and why.
# The optional native llama.cpp (a little faster for the bundled language model, built from source):
#   .venv/bin/python -m pip install -r requirements/llm-native.txt -c requirements.lock
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/system-packages.sh || echo "Continuing without them: the tabs that need them say so." >&2
[ -x .venv/bin/python ] || python3 -m venv .venv
lock=(); [ -f requirements.lock ] && lock=(-c requirements.lock)
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q --only-binary=:all: -r requirements.txt "${lock[@]}"
# Packages whose declared dependencies would break the environment (torchaudio) or are unneeded.
.venv/bin/python -m pip install -q --only-binary=:all: --no-deps -r requirements-nodeps.txt "${lock[@]}"
# torchaudio (for pyannote.audio) keeps its pure-Python parts only: its compiled libraries are a CUDA
# build that cannot load beside CPU torch (see scripts/torchaudio_pure.py).
.venv/bin/python scripts/torchaudio_pure.py
echo "Installed. Start the app with: .venv/bin/python app.py"
