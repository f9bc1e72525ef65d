#!/usr/bin/env bash
# Installs the real peer tools from their registries into a git-ignored cache (.cache/peers):
# Python imgtool (MCUboot), smpmgr/smpclient (intercreate; smpclient with its `bumble` extra, its
# own BLE host stack, which the interop suite drives through the virtual radio) and mcumgr-toolkit
# (Finomnis; a Rust core with a Python API, no CLI in the wheel) and littlefs-python (the reference
# littlefs C code, the oracle for the virtual device's LittleFS). Versions are pinned so interop results repeat.
# Nothing here is committed. Go mcumgr cannot be had here: the Go module proxy refuses
# apache/mynewt-mcumgr-cli; the vouch Rust mcumgr-client is not on crates.io.
set -euo pipefail
cd "$(dirname "$0")/../.."
venv=.cache/peers/venv
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
  "imgtool==2.5.0" "smpmgr==0.19.1" "smpclient[bumble]==7.3.0" "mcumgr-toolkit==0.20.0" "littlefs-python==0.19.0"
"$venv/bin/imgtool" version
"$venv/bin/smpmgr" --version || true
"$venv/bin/python" -c "import mcumgr_toolkit, importlib.metadata as m; print('mcumgr-toolkit', m.version('mcumgr-toolkit')); print('littlefs-python', m.version('littlefs-python'))"
