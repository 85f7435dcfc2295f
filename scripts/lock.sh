#!/usr/bin/env bash
# Refresh requirements.lock: the exact versions a fresh install of requirements.txt (+ the
# --no-deps packages) picks today, tested by the suite. scripts/setup.sh installs with it as a
# constraint file, so every machine gets these versions. Run after changing requirements/*.txt,
# then run the tests and commit the lock.
set -euo pipefail
cd "$(dirname "$0")/.."
env_dir=$(mktemp -d)/lockenv
python3 -m venv "$env_dir"
"$env_dir/bin/python" -m pip install -q --upgrade pip
"$env_dir/bin/python" -m pip install -q -r requirements.txt
"$env_dir/bin/python" -m pip install -q --no-deps -r requirements-nodeps.txt
{
  echo "# Exact versions of a fresh install, made by scripts/lock.sh on $(date -u +%Y-%m-%d)."
  echo "# Used as a constraint file by scripts/setup.sh; refresh with: bash scripts/lock.sh"
  "$env_dir/bin/python" -m pip freeze --exclude-editable | grep -v '^pip==' | sort -f
} > requirements.lock
rm -rf "$(dirname "$env_dir")"
echo "Wrote requirements.lock ($(grep -vc '^#' requirements.lock) packages)."
