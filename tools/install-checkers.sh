#!/bin/sh
# Installs what `python build.py check` runs besides Python: the Nu HTML Checker (vnu-jar, run
# with the machine's Java) and axe-core, from npm into .cache/checkers/ (gitignored), or into
# $MICROSITE_CHECKERS when set: the folder an installed generator's `check` looks in.
# Chromium for axe comes from tools/install-browser.sh.
set -e
cd "$(dirname "$0")/.."
sh tools/apt-install.sh java default-jre-headless "the HTML check needs it"
DEST="${MICROSITE_CHECKERS:-.cache/checkers}"
if [ -f "$DEST/node_modules/vnu-jar/build/dist/vnu.jar" ] &&
   [ -f "$DEST/node_modules/axe-core/axe.min.js" ]; then exit 0; fi
sh tools/apt-install.sh npm npm "it installs the checkers"
echo "installing vnu-jar and axe-core into $DEST..." >&2
mkdir -p "$DEST"
# --ignore-scripts: vnu-jar's postinstall would download a Java runtime; we use the machine's.
npm install --prefix "$DEST" --no-audit --no-fund --ignore-scripts --silent \
  vnu-jar@26.9.27 axe-core@4.14.1
