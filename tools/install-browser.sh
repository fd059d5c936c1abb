#!/bin/sh
# Installs Debian's headless Chromium for the browser tests and the accessibility check, when it is missing.
set -e
sh "$(dirname "$0")/apt-install.sh" chromium chromium "the browser tests need it"
