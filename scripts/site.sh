#!/usr/bin/env bash
# Builds the static site to upload anywhere (a GitHub Pages project site, a folder of a course
# site, any static web space): one folder, relative addresses, works under any path prefix.
#
#   scripts/site.sh [OUT]                 (OUT defaults to site/)
#   SITE_URL=https://user.github.io/sgd-playground/ scripts/site.sh
#                                         the same, with absolute link-preview addresses (Open
#                                         Graph wants them; the page itself never needs them)
#
# Installs whatever is missing first (scripts/setup.sh), then: the release build of the page
# (`trunk build --release`, never the dev server's live-reload script) with its service worker;
# the link-preview image preview.png (Fig. 2(a), drawn by the CLI with the page's drawing code);
# then replaces OUT with the result and prints its size and how to serve it. OUT is replaced
# only if it is empty, missing, or an earlier build of this site.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH="$PWD/.tools/node_modules/.bin:$HOME/.cargo/bin:$PATH"

out="${1:-site}"
site_url="${SITE_URL:-}"
if [ "$#" -gt 1 ]; then
  echo "usage: scripts/site.sh [OUT]   (SITE_URL=https://host/folder/ for absolute link previews)" >&2
  exit 2
fi
if [ -n "$site_url" ]; then
  # Written into index.html by sed below: nothing to escape in HTML or in the sed expression.
  case "$site_url" in
    http://*/ | https://*/) ;;
    *) echo "site.sh: SITE_URL must be the site's http(s) address ending in '/', got '$site_url'" >&2; exit 2 ;;
  esac
  case "$site_url" in
    *[[:space:]\"\'\<\>\|\&\\]*) echo "site.sh: SITE_URL must not contain spaces, quotes, <, >, |, & or \\" >&2; exit 2 ;;
  esac
fi
# An earlier build (this script's or Trunk's): its index.html starts the app (www/'s does not).
if [ -e "$out" ] && [ -n "$(ls -A "$out" 2>/dev/null)" ] && ! grep -qs 'TrunkApplicationStarted' "$out/index.html"; then
  echo "site.sh: $out exists and is not an earlier build of this site; choose another folder" >&2
  exit 1
fi

bash scripts/setup.sh

stage="target/site-build"
echo "site: building the page (trunk build --release)" >&2
trunk build --release --dist "$stage"

echo "site: drawing the link-preview image (fig=2a with the CLI)" >&2
cargo build -q --release --bin sgd-playground
target/release/sgd-playground render 'fig=2a' --width 1200 --height 630 --out "$stage/preview.png"

if [ -n "$site_url" ]; then
  sed -i \
    -e "s|<meta property=\"og:image\" content=\"preview.png\">|<meta property=\"og:url\" content=\"$site_url\"><meta property=\"og:image\" content=\"${site_url}preview.png\">|" \
    "$stage/index.html"
  grep -q "content=\"${site_url}preview.png\"" "$stage/index.html" || {
    echo "site.sh: could not write the absolute preview address into index.html" >&2
    exit 1
  }
fi
# The page changed (or may have): the service worker's version follows it.
node scripts/service-worker.cjs "$stage"

rm -rf "$out"
mkdir -p "$out"
cp -R "$stage/." "$out/"

wasm="$(find "$out" -maxdepth 1 -name '*.wasm' | head -n 1)"
total="$(find "$out" -type f -exec cat {} + | wc -c)"
wasm_gzip="$(gzip -9 -c "$wasm" | wc -c)"
echo >&2
echo "site: $out/ ($(find "$out" -type f | wc -l) files, $total bytes; the .wasm is $(wc -c <"$wasm") bytes, $wasm_gzip gzipped -9):" >&2
(cd "$out" && find . -type f -printf '  %-44P %10s bytes\n' | sort) >&2
cat >&2 <<EOF

Upload the contents of $out/ to any folder of a static web server, unchanged; open that folder's
address (with its trailing slash). Try it here first:
  python3 -m http.server 8000 --bind 127.0.0.1 --directory $out
  then open http://127.0.0.1:8000/?fig=2a
EOF
