#!/bin/sh
# The generator as a new team gets it (issue #18): installed with pip into a fresh virtual
# environment outside the repository, `microsite new` writes a site, which builds with --strict
# and passes every check. Uses the checkers `make test` installed (tools/install-checkers.sh).
set -eu
repo="$(cd "$(dirname "$0")/.." && pwd)"
sh "$repo/tools/install-browser.sh"
sh "$repo/tools/install-checkers.sh"
work="$(mktemp -d /tmp/microsite-acceptance.XXXXXX)"
trap 'rm -rf "$work"' EXIT
python3 -m venv "$work/v"
"$work/v/bin/pip" install --quiet --disable-pip-version-check "$repo[check]"
cd "$work"
"$work/v/bin/microsite" --version
"$work/v/bin/microsite" new "$work/s"
cd "$work/s"
"$work/v/bin/microsite" build --strict
MICROSITE_CHECKERS="$repo/.cache/checkers" "$work/v/bin/microsite" check
