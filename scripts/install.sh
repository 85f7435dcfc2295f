#!/usr/bin/env bash
# Install the app's Python packages into the active environment.
set -euo pipefail
cd "$(dirname "$0")/.."
python -m pip install -r requirements.txt
python -m pip install --no-deps -r requirements-nodeps.txt
