#!/usr/bin/env bash
# Refreshes the third-party browser code the screens serve from /static/vendor/ (nothing is
# loaded from another host at run time). The versions are pinned in api/web/vendor/package.json
# and package-lock.json (integrity hashes); this installs exactly that lock (`npm ci`) in a
# temporary folder and copies what the review screen needs: OpenSeadragon's minified build and
# its button images, with a SHA256SUMS file that tests/test_vendored_assets.py checks.
# Run it after changing the pin, then commit api/web/static/vendor/ with the lock.
set -euo pipefail
cd "$(dirname "$0")/.."

SPEC=api/web/vendor
DEST=api/web/static/vendor/openseadragon
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cp "$SPEC/package.json" "$SPEC/package-lock.json" "$work/"
(cd "$work" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)

built="$work/node_modules/openseadragon/build/openseadragon"
version=$(node -p "require('$work/node_modules/openseadragon/package.json').version")
locked=$(node -p "require('./$SPEC/package-lock.json').packages['node_modules/openseadragon'].version")
if [ "$version" != "$locked" ]; then
  echo "[vendor-web] installed openseadragon $version, the lock says $locked" >&2
  exit 1
fi

rm -rf "$DEST"
mkdir -p "$DEST/images"
cp "$built/openseadragon.min.js" "$DEST/"
cp "$built"/images/*.png "$DEST/images/"
cp "$work/node_modules/openseadragon/LICENSE.txt" "$DEST/LICENSE.txt"
echo "$version" >"$DEST/VERSION"
(cd "$DEST" && find . -type f ! -name SHA256SUMS | sed 's|^\./||' | LC_ALL=C sort | xargs sha256sum >SHA256SUMS)
echo "[vendor-web] openseadragon $version -> $DEST ($(wc -l <"$DEST/SHA256SUMS") files)"
