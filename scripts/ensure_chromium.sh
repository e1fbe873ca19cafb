#!/usr/bin/env bash
# The browser test drives Debian's Chromium (no browser download is possible here). Install it if missing.
set -euo pipefail
if command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ]; then exit 0; fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "浏览器测试需要 Chromium：请安装（Debian/Ubuntu: sudo apt-get install chromium）" >&2
  echo "The browser test needs Chromium: apt-get install chromium" >&2
  exit 1
fi
echo "Installing Chromium for the browser test (apt-get)…"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
