#!/bin/sh
# Installs what `python build.py check` runs besides Python: the Nu HTML Checker (vnu-jar, run
# with the machine's Java) and axe-core, from npm into .cache/checkers/ (gitignored).
# Chromium for axe comes from tools/install-browser.sh.
set -e
cd "$(dirname "$0")/.."
if ! command -v java >/dev/null 2>&1; then
  if [ "$(id -u)" != 0 ]; then
    echo "Java is missing: run 'sudo apt-get install -y default-jre-headless' (the HTML check needs it)" >&2
    exit 1
  fi
  echo "installing Debian's headless Java for the HTML check..." >&2
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends default-jre-headless >/dev/null
fi
if ! command -v npm >/dev/null 2>&1; then
  echo "npm is missing: run 'apt-get install -y npm'" >&2
  exit 1
fi
if [ -f .cache/checkers/node_modules/vnu-jar/build/dist/vnu.jar ] &&
   [ -f .cache/checkers/node_modules/axe-core/axe.min.js ]; then exit 0; fi
echo "installing vnu-jar and axe-core into .cache/checkers..." >&2
mkdir -p .cache/checkers
# --ignore-scripts: vnu-jar's postinstall would download a Java runtime; we use the machine's.
npm install --prefix .cache/checkers --no-audit --no-fund --ignore-scripts --silent \
  vnu-jar@26.9.27 axe-core@4.14.1
