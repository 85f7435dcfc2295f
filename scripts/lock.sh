#!/usr/bin/env bash
# Refresh requirements.lock: the exact versions a fresh install of requirements.txt (+ the
# --no-deps packages and the test needs) picks today. scripts/setup.sh and scripts/test.sh install
# with it as a constraint file, so every machine gets these versions. Run it after changing
# requirements*.txt or requirements/*.txt, then run the tests (bash scripts/test.sh) and commit it.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
python3 -m venv "$work/env"
"$work/env/bin/python" -m pip install -q --upgrade pip
"$work/env/bin/python" -m pip install -q -r requirements.txt
"$work/env/bin/python" -m pip install -q --no-deps -r requirements-nodeps.txt
"$work/env/bin/python" scripts/torchaudio_pure.py
"$work/env/bin/python" -m pip install -q -r requirements/llm-native.txt  # the optional extra, pinned too (needs a compiler)
"$work/env/bin/python" -m pip install -q -r requirements-test.txt
{
  echo "# Exact versions of a fresh install (requirements.txt, requirements-nodeps.txt, requirements-test.txt),"
  echo "# written by scripts/lock.sh on $(date -u +%Y-%m-%d). scripts/setup.sh and scripts/test.sh use it as a"
  echo "# constraint file. Refresh: bash scripts/lock.sh, then run the tests and commit."
  "$work/env/bin/python" -m pip freeze --exclude-editable | grep -v '^pip==' | sort -f
} > requirements.lock
rm -rf "$work"
echo "Wrote requirements.lock ($(grep -vc '^#' requirements.lock) packages)."
