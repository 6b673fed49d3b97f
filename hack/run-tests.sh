#!/usr/bin/env bash
# Runs the test suite. pytest's exit code 5 ("no tests collected") is a failure here: a suite that runs nothing
# proves nothing.
set -uo pipefail
cd "$(dirname "$0")/.."
python3 -m pytest "$@"
code=$?
if [[ $code -eq 5 ]]; then
  echo "[run-tests] no tests were collected" >&2
  exit 1
fi
exit $code
