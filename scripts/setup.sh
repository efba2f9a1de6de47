#!/usr/bin/env bash
# Installs whatever this project needs and is missing; does nothing for what is already there.
# Downloads only from the package registries (crates.io, Debian) and the Rust distribution server.
#
#   scripts/setup.sh            toolchain for building and serving (wasm32 target, wasm-bindgen-cli,
#                               wasm-pack, trunk from crates.io; wasm-opt from npm's binaryen in
#                               .tools/, Node.js and npm from Debian if missing)
#   scripts/setup.sh --browser  the same plus Debian's chromium and chromium-driver and npm's
#                               playwright-core in .tools/ (browser and end-to-end tests)
#
# Versions are pinned; see ../shared/TOOLCHAIN.md for why each one.
set -euo pipefail

WASM_BINDGEN_VERSION=0.2.130
WASM_PACK_VERSION=0.15.1
TRUNK_VERSION=0.21.14
# npm packages, installed into .tools/ (never a browser download: playwright-core has none).
BINARYEN_VERSION=132.0.0
PLAYWRIGHT_CORE_VERSION=1.65.1

want_browser=0
for arg in "$@"; do
  case "$arg" in
    --browser) want_browser=1 ;;
    *) echo "setup.sh: unknown option '$arg' (allowed: --browser)" >&2; exit 2 ;;
  esac
done

export PATH="$HOME/.cargo/bin:$PATH"
say() { printf 'setup: %s\n' "$*" >&2; }

if ! command -v cargo >/dev/null 2>&1; then
  say "cargo is missing: this machine kind ships Rust via rustup; install rustup's stable toolchain first"
  exit 1
fi

if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

# version_of CMD: prints the first version-looking token of `CMD --version`, or nothing.
version_of() {
  command -v "$1" >/dev/null 2>&1 || return 0
  "$1" --version 2>/dev/null | grep -oE '[0-9]+\.[0-9]+\.[0-9]+' | head -n 1
}

if [ "$(version_of wasm-bindgen)" != "$WASM_BINDGEN_VERSION" ]; then
  say "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (about 3 minutes)"
  # Not --locked: its lock file names a webpki-roots release that the registry lacks.
  cargo install --force wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
fi

if [ "$(version_of wasm-pack)" != "$WASM_PACK_VERSION" ]; then
  say "installing wasm-pack $WASM_PACK_VERSION (about 3 minutes)"
  cargo install --force --locked wasm-pack --version "$WASM_PACK_VERSION"
fi

if [ "$(version_of trunk)" != "$TRUNK_VERSION" ]; then
  say "installing trunk $TRUNK_VERSION (about 12 minutes)"
  cargo install --force --locked trunk --version "$TRUNK_VERSION"
fi

if [ "$(id -u)" = 0 ]; then sudo_cmd=(); else sudo_cmd=(sudo); fi
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  say "installing Debian's nodejs and npm"
  "${sudo_cmd[@]}" apt-get update -q
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -q nodejs npm
fi

# npm_version PACKAGE: the version installed in .tools/, or nothing.
npm_version() {
  node -e "try { console.log(require('./.tools/node_modules/$1/package.json').version) } catch (e) {}" 2>/dev/null
}
cd "$(dirname "${BASH_SOURCE[0]}")/.."
npm_wanted=("binaryen@$BINARYEN_VERSION")
if [ "$want_browser" = 1 ]; then npm_wanted+=("playwright-core@$PLAYWRIGHT_CORE_VERSION"); fi
npm_missing=()
for package in "${npm_wanted[@]}"; do
  if [ "$(npm_version "${package%@*}")" != "${package##*@}" ]; then npm_missing+=("$package"); fi
done
if [ "${#npm_missing[@]}" -gt 0 ]; then
  say "installing ${npm_missing[*]} from npm into .tools/"
  mkdir -p .tools
  # Every package wanted, so that npm keeps the ones already there.
  npm install --prefix .tools --no-audit --no-fund --save-exact "${npm_wanted[@]}" >&2
fi

if [ "$want_browser" = 1 ]; then
  if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then
    say "installing Debian's chromium and chromium-driver"
    "${sudo_cmd[@]}" apt-get update -q
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -q chromium chromium-driver
  fi
fi

say "toolchain ready"
