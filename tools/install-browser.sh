#!/bin/sh
# Installs Debian's headless Chromium for the browser tests, when it is missing.
set -e
if [ -x /usr/bin/chromium ]; then exit 0; fi
if [ "$(id -u)" != 0 ]; then
  echo "Chromium is missing: run 'sudo apt-get install -y chromium' (browser tests need it)" >&2
  exit 1
fi
echo "installing Debian's chromium for the browser tests..." >&2
apt-get update -qq >/dev/null
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
