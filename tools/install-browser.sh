#!/bin/sh
# Installs Debian's headless Chromium for the browser tests and the accessibility check, and a
# Chinese font, when they are missing.
set -e
sh "$(dirname "$0")/apt-install.sh" chromium chromium "the browser tests need it"
# A Chinese font, as Chinese readers' phones and computers have: the layout tests measure the
# map's Chinese labels with it (without one, Chromium has no glyphs for them and measures boxes
# no reader sees).
if ! fc-list :lang=zh 2>/dev/null | grep -q .; then
  sh "$(dirname "$0")/apt-install.sh" "" fonts-noto-cjk "a Chinese font for the browser tests"
fi
