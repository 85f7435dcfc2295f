#!/usr/bin/env bash
# Install the app into ./.venv (created if missing). Then: .venv/bin/python app.py
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -r requirements.txt
# Packages whose declared dependencies would break the environment (torchaudio) or are unneeded.
.venv/bin/python -m pip install -q --no-deps -r requirements-nodeps.txt
echo "Installed. Start the app with: .venv/bin/python app.py"
