#!/usr/bin/env bash
# Makes sure the real-browser suite (test/browser, `npm run test:browser`) has its browser: Debian's
# Chromium at /usr/bin/chromium, driven by playwright-core (an npm dev dependency, no browser
# download). Idempotent: when the binary is there it only prints its version (≈ 0.1 s); a clean
# Debian machine installs it with apt (≈ 30 s, 164 MB; /work/shared/reference/
# ble-and-browser-testing.md §1.6). sudo only when not root. ZDFU_CHROMIUM names another binary.
set -euo pipefail
chromium="${ZDFU_CHROMIUM:-/usr/bin/chromium}"
if [ ! -x "$chromium" ]; then
  if [ -n "${ZDFU_CHROMIUM:-}" ]; then
    echo "ZDFU_CHROMIUM=$chromium is not an executable file" >&2
    exit 1
  fi
  if ! command -v apt-get >/dev/null; then
    echo "no Chromium at $chromium and no apt-get to install it: install Chromium and set ZDFU_CHROMIUM to its binary" >&2
    exit 1
  fi
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  echo "installing Debian's chromium with apt-get (about 30 s)"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null
fi
# The Debian wrapper prints a harmless "unexpected operator" line on some shells: keep the version.
"$chromium" --version 2>/dev/null | tail -n 1
