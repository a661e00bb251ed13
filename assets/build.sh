#!/usr/bin/env bash
# Build the vendored front-end base into kestrel/static/vendor/ (committed).
# Production needs neither Node nor a CDN. Rebuild with:
#   make assets   (= npm ci && bash assets/build.sh)
set -euo pipefail

cd "$(dirname "$0")/.."
NM=node_modules
OUT=kestrel/static/vendor

for pkg in govuk-frontend sass htmx.org accessible-autocomplete axe-core; do
  [[ -d "$NM/$pkg" ]] || { echo "missing $NM/$pkg: run 'npm ci' first" >&2; exit 1; }
done

version() { node -p "require('./$NM/$1/package.json').version"; }
license() { node -p "require('./$NM/$1/package.json').license"; }

rm -rf "$OUT"
mkdir -p "$OUT"/{govuk-frontend,htmx,accessible-autocomplete,axe-core}

# 1. CSS: unbranded GOV.UK Frontend + accessible-autocomplete + CSP fixes.
"$NM/.bin/sass" --no-source-map --style=compressed --quiet-deps \
  --load-path="$NM" assets/kestrel.scss "$OUT/kestrel-base.css"

# 2. GOV.UK Frontend JS (ES module) and assets, minus fonts.
GF="$NM/govuk-frontend/dist/govuk"
cp "$GF/govuk-frontend.min.js" "$OUT/govuk-frontend/"
cp -R "$GF/assets" "$OUT/govuk-frontend/assets"
rm -rf "$OUT/govuk-frontend/assets/fonts"
cp assets/licences/govuk-frontend-LICENSE.txt "$OUT/govuk-frontend/LICENSE"
# The min.js ends with a sourceMappingURL to a .map we do not ship: drop it.
sed -i 's|//# sourceMappingURL=[^ ]*$||' "$OUT/govuk-frontend/govuk-frontend.min.js"

# 3. htmx 2.0.x
cp "$NM/htmx.org/dist/htmx.min.js" "$NM/htmx.org/LICENSE" "$OUT/htmx/"

# 4. accessible-autocomplete (its CSS is bundled into kestrel-base.css)
AA="$NM/accessible-autocomplete"
cp "$AA/dist/accessible-autocomplete.min.js" "$OUT/accessible-autocomplete/"
cp "$AA/LICENSE.txt" "$OUT/accessible-autocomplete/LICENSE"
sed -i 's|//# sourceMappingURL=[^ ]*$||' "$OUT/accessible-autocomplete/accessible-autocomplete.min.js"

# 5. axe-core (tests only; never referenced by production templates)
cp "$NM/axe-core/axe.min.js" "$NM/axe-core/LICENSE" "$OUT/axe-core/"

# Checks: no GDS Transport, no fonts, no url() outside /static/vendor/.
CSS="$OUT/kestrel-base.css"
if grep -q "GDS Transport" "$CSS"; then echo "GDS Transport found in $CSS" >&2; exit 1; fi
if grep -q "@font-face" "$CSS"; then echo "@font-face found in $CSS" >&2; exit 1; fi
if grep -oE 'url\([^)]*\)' "$CSS" | grep -vE '^url\(("|'"'"')?/static/vendor/' | grep -q .; then
  echo "url() outside /static/vendor/ in $CSS:" >&2
  grep -oE 'url\([^)]*\)' "$CSS" | grep -vE '^url\(("|'"'"')?/static/vendor/' >&2
  exit 1
fi
if find "$OUT" -iname '*.woff*' | grep -q .; then echo "font files in $OUT" >&2; exit 1; fi

cat > "$OUT/README.md" <<MD
# Vendored front-end assets

Built output, committed so production needs no Node and no CDN. Do not edit by
hand: rebuilt by \`make assets\` (npm ci && bash assets/build.sh), from the
exact versions pinned in package.json / package-lock.json.

| package | version | licence | files here |
| --- | --- | --- | --- |
| govuk-frontend | $(version govuk-frontend) | $(license govuk-frontend) | govuk-frontend/govuk-frontend.min.js (ES module), govuk-frontend/assets/ (images, manifest.json; no fonts), CSS compiled into kestrel-base.css |
| accessible-autocomplete | $(version accessible-autocomplete) | $(license accessible-autocomplete) | accessible-autocomplete/accessible-autocomplete.min.js, CSS compiled into kestrel-base.css |
| htmx.org | $(version htmx.org) | $(license htmx.org) | htmx/htmx.min.js |
| axe-core | $(version axe-core) | $(license axe-core) | axe-core/axe.min.js (tests only) |
| sass (build tool, not shipped) | $(version sass) | $(license sass) | – |

Each package's licence is in its folder as LICENSE.

- kestrel-base.css: GOV.UK Frontend, unbranded (system font stack, no GDS
  Transport, brand colour #4c2c92), all components, plus the
  accessible-autocomplete stylesheet, CSP-safe visually-hidden rules for the
  autocomplete, and htmx indicator styles (set htmx \`includeIndicatorStyles:
  false\`). Source: assets/kestrel.scss.
- The GOV.UK crown/crest/icon images and manifest.json under
  govuk-frontend/assets/ are GOV.UK brand assets: do not link them from
  Kestrel pages (no favicon, manifest or crest from here).
MD

echo "Built $OUT:"
(cd "$OUT" && find . -type f | sort | xargs ls -l | awk '{printf "  %8d  %s\n", $5, $9}')
