#!/usr/bin/env bash
# Regenerates the README's figure gallery (docs/gallery/*.png) with the renderer, at the paper's
# default settings (simulation included). Run after changing a figure; commit the PNGs.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH="$HOME/.cargo/bin:$PATH"
mkdir -p docs/gallery
cargo build -q --release
for fig in 1b 2a 2b 3 4 5a 5b 5c 5d 6a 6b phase bayes escape newton explorer schedule adam; do
  echo "rendering fig=$fig" >&2
  target/release/sgd-playground render "fig=$fig" --width 1000 --height 500 --out "docs/gallery/fig$fig.png"
done
