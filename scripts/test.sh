#!/usr/bin/env bash
# Install the app and its test needs into the active environment, then run every test.
# Browser tests need Debian's chromium (`apt-get install -y chromium`; .ci/run does it).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
python -m pip install -r requirements-test.txt
python -m pytest -q -ra --timeout=900 tests "$@"
