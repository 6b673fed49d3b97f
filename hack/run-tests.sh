#!/usr/bin/env bash
# Runs the test suite and prints its duration. pytest's exit code 5 ("no tests collected") is a failure here:
# a suite that runs nothing proves nothing.
set -uo pipefail
cd "$(dirname "$0")/.."
start=$SECONDS
python3 -m pytest "$@"
code=$?
echo "[run-tests] pytest exit code $code after $((SECONDS - start)) s"
if [[ $code -eq 5 ]]; then
  echo "[run-tests] no tests were collected" >&2
  exit 1
fi
exit $code
