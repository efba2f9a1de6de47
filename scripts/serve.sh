#!/usr/bin/env bash
# Serves the browser page on http://127.0.0.1:8080 (Ctrl-C stops it).
#
#   scripts/serve.sh [extra trunk serve options]
#
# Installs whatever is missing first (scripts/setup.sh: the wasm32 target, wasm-bindgen-cli,
# wasm-pack, trunk; from crates.io and the Rust distribution server only), then runs
# `trunk serve --release`: the same optimised build that scripts/check.sh checks, rebuilt when a
# source file changes. Idempotent: a second run installs nothing.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH="$PWD/.tools/node_modules/.bin:$HOME/.cargo/bin:$PATH"

bash scripts/setup.sh
echo "serve: building, then serving on http://127.0.0.1:8080/ unless --port says otherwise (try /?fig=2a&C=2)" >&2
exec trunk serve --release "$@"
