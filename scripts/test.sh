#!/usr/bin/env bash
# Install everything the tests need (Debian chromium & co., the app, test packages) and run
# ruff, then every test: unit, API (gradio_client) and browser (Playwright on Debian chromium).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/system-packages.sh
bash scripts/setup.sh
lock=(); [ -f requirements.lock ] && lock=(-c requirements.lock)  # the tested versions (scripts/lock.sh)
.venv/bin/python -m pip install -q -r requirements-test.txt "${lock[@]}"
.venv/bin/python -m pip install -q -r requirements/ray.txt "${lock[@]}"  # optional for the app; tests/test_ray.py needs it
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/python -m pytest -q -ra --timeout=900 tests "$@"
