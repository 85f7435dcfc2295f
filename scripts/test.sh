#!/usr/bin/env bash
# Install what the tests need (Debian packages, the app, test packages), run ruff, then the tests.
#   bash scripts/test.sh          the fast tier: unit and API tests (-m "not slow and not browser")
#   bash scripts/test.sh --all    every test: also the slow tier (long recordings, many model runs,
#                                 servers in their own process, a fresh install) and the browser tier
#                                 (Playwright on Debian chromium); CI runs this (.ci/run).
# Other arguments go to pytest (e.g. a test file, -x, -k NAME). The 25 slowest tests are listed.
set -euo pipefail
cd "$(dirname "$0")/.."
all=0
if [ "${1:-}" = "--all" ]; then all=1; shift; fi
if [ "$all" = 1 ]; then
  bash scripts/system-packages.sh --test  # chromium too
else
  bash scripts/system-packages.sh || true  # scripts/setup.sh says what is missing
fi
bash scripts/setup.sh
lock=(); [ -f requirements.lock ] && lock=(-c requirements.lock)  # the tested versions (scripts/lock.sh)
.venv/bin/python -m pip install -q -r requirements-test.txt "${lock[@]}"
.venv/bin/python -m pip install -q -r requirements/ray.txt "${lock[@]}"  # optional for the app; tests/test_ray.py needs it
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy  # the packages named in pyproject.toml [tool.mypy]
tier=(); [ "$all" = 1 ] || tier=(-m "not slow and not browser")
.venv/bin/python -m pytest -q -ra --durations=25 --timeout=900 "${tier[@]}" tests "$@"
