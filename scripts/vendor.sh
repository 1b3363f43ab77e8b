#!/usr/bin/env bash
# Copy the browser builds of our npm dependencies into app/static/vendor (served by the app).
set -euo pipefail
cd "$(dirname "$0")/.."
out=app/static/vendor
rm -rf "$out" && mkdir -p "$out/leaflet"
cp node_modules/tus-js-client/dist/tus.min.js "$out/tus.min.js"
cp node_modules/axe-core/axe.min.js "$out/axe.min.js"
cp node_modules/chart.js/dist/chart.umd.js "$out/chart.umd.js"
cp -r node_modules/leaflet/dist/. "$out/leaflet/"
echo "vendored: $(ls "$out" | tr '\n' ' ')"
