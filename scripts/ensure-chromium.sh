#!/usr/bin/env bash
# The admin page's browser tests (test/browser) drive Debian's chromium through playwright-core, never a
# downloaded browser. `pnpm test` runs this first: as root (CI) it installs chromium when it is missing;
# otherwise it says how, and the browser tests fail with the same advice.
set -euo pipefail
[ -x /usr/bin/chromium ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "ensure-chromium: /usr/bin/chromium is missing; installing Debian's chromium for the browser tests"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -q chromium >/dev/null || { apt-get update -q >/dev/null && apt-get install -y -q chromium >/dev/null; }
  /usr/bin/chromium --version 2>/dev/null || true
else
  echo "ensure-chromium: /usr/bin/chromium is missing; install it with: sudo apt-get install -y chromium (the tests in test/browser need it)" >&2
fi
