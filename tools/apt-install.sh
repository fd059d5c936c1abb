#!/bin/sh
# `sh tools/apt-install.sh COMMAND PACKAGE WHY`: installs Debian's PACKAGE when COMMAND is missing
# (as root; otherwise says which command would), so a fresh machine needs only python3 and make.
# An empty COMMAND installs the package: the caller has found it missing.
set -e
if command -v "$1" >/dev/null 2>&1; then exit 0; fi
if [ "$(id -u)" != 0 ]; then
  echo "${1:-$2} is missing: run 'sudo apt-get install -y $2' ($3)" >&2
  exit 1
fi
echo "installing Debian's $2 ($3)..." >&2
apt-get update -qq >/dev/null
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$2" >/dev/null
