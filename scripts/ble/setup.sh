#!/usr/bin/env bash
# Installs Google Bumble (PyPI `bumble`, pinned) into a git-ignored cached venv under .cache/ble.
# scripts/ble/virtual-radio.py runs on it. Idempotent: when the venv already holds the pinned
# version it only checks that and returns (≈ 0.1 s); a clean machine installs in ≈ 5-10 s.
# The pin matters: the launcher subclasses Bumble internals (Controller, LocalLink).
set -euo pipefail
cd "$(dirname "$0")/../.."
BUMBLE_VERSION=0.0.236
venv=.cache/ble/venv
stamp="$venv/.bumble-$BUMBLE_VERSION"
if [ -f "$stamp" ] && [ -x "$venv/bin/python" ]; then
  echo "bumble $BUMBLE_VERSION (cached in $venv)"
  exit 0
fi
if ! python3 -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else 1)'; then
  echo "Bumble $BUMBLE_VERSION needs Python >= 3.10; found $(python3 --version 2>&1)" >&2
  exit 1
fi
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check "bumble==$BUMBLE_VERSION"
"$venv/bin/python" -c "import importlib.metadata as m; v = m.version('bumble'); print('bumble', v); assert v == '$BUMBLE_VERSION', v"
rm -f "$venv"/.bumble-*
touch "$stamp"
