#!/usr/bin/env bash
# Installs the real peer tools from their registries into a git-ignored cache (.cache/peers):
# Python imgtool (MCUboot) and smpmgr/smpclient (intercreate). Nothing here is committed.
# Go mcumgr cannot be had here: the Go module proxy refuses apache/mynewt-mcumgr-cli.
set -euo pipefail
cd "$(dirname "$0")/../.."
venv=.cache/peers/venv
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade \
  "imgtool==2.5.0" "smpmgr" "smpclient"
"$venv/bin/imgtool" version
"$venv/bin/smpmgr" --version || true
