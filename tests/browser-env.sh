# tests/browser-env.sh: sourced (after lib.sh) by the browser tests.
# Needs Node and Debian's Chromium, finds playwright-core and axe-core
# (sets NODE, CHROMIUM, modules); under CI=true a missing one fails.
: "${NODE:=node}"
: "${CHROMIUM:=/usr/bin/chromium}"
need curl "$NODE" "$CHROMIUM"

# node_modules lives in the source tree where bootstrap ran npm install;
# make distcheck and the sanitizer build run in a copy below it.
modules=
for d in "$top_srcdir" "$top_builddir"; do
  d=$(cd "$d" && pwd)
  while [ -n "$d" ] && [ "$d" != / ]; do
    if [ -d "$d/node_modules/playwright-core" ] && [ -d "$d/node_modules/axe-core" ]; then
      modules=$d/node_modules; break 2
    fi
    d=$(dirname "$d")
  done
done
if [ -z "$modules" ]; then
  [ "${CI:-}" = true ] && bail "npm modules playwright-core and axe-core missing: run ./bootstrap"
  skip_all "npm modules playwright-core and axe-core missing (./bootstrap installs them)"
fi
