#!/usr/bin/env bash
# The whole suite with the wall clock moved a year ahead (Debian's faketime). A test whose result depends on
# today's date fails here; every such test must pin `now` instead. Monotonic clocks stay real, so timeouts
# and performance.now() behave. Usage: npx -y pnpm@<packageManager> test:clock [offset, default +365d]
set -euo pipefail
offset="${1:-+365d}"
if ! command -v faketime >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get install -y faketime >/dev/null || { apt-get update >/dev/null && apt-get install -y faketime >/dev/null; }
  else
    echo "test:clock needs faketime: sudo apt-get install faketime" >&2
    exit 2
  fi
fi
echo "test:clock: running the suite at $(FAKETIME_DONT_FAKE_MONOTONIC=1 faketime -f "$offset" date -u +%FT%TZ)"
FAKETIME_DONT_FAKE_MONOTONIC=1 exec faketime -f "$offset" pnpm test
