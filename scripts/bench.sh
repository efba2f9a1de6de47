#!/usr/bin/env bash
# Every benchmark, with the reference timings measured in the same run (ratios, not absolute
# times, are what to compare: these machines are shared and noisy).
#
#   scripts/bench.sh              native solver + simulator, wasm simulator (Node), numpy/scipy
#   scripts/bench.sh --quick      10x fewer particles for the simulator workloads
#
# Needs: scripts/setup.sh's toolchain, Node.js (the machine's), python3 (numpy and scipy are put
# in .bench-venv from PyPI on first use). Prints one JSON object per line.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH="$HOME/.cargo/bin:$PATH"

particles=10000
scale=1
if [ "${1:-}" = "--quick" ]; then particles=1000; scale=0.1; fi

bash scripts/setup.sh >&2
if [ ! -x .bench-venv/bin/python ]; then
  python3 -m venv .bench-venv
  .bench-venv/bin/pip install -q numpy scipy
fi
reference=../shared/bench/reference.py

echo "# exact solver (native) and scipy.linalg.solve_discrete_lyapunov" >&2
cargo bench -q --bench solver 2>/dev/null
.bench-venv/bin/python "$reference" solver

echo "# simulator: native, wasm (Node) and numpy, Fig. 2(a) and Fig. 3 workloads" >&2
cargo bench -q --bench simulate -- "$particles" 2>/dev/null
cargo build -q --profile wasm-release --lib --target wasm32-unknown-unknown
wasm-bindgen --target nodejs --out-dir target/bench-wasm \
  target/wasm32-unknown-unknown/wasm-release/sgd_playground.wasm
node scripts/bench-wasm.cjs "$particles"
.bench-venv/bin/python "$reference" mc --scale "$scale"
# The command line's own run (issue 18) in numpy float64: 1-D SGD, k = 1, σ² = 1, λ = 1.5,
# 10⁵ particles × 1000 steps (the native benchmark above runs it on 1, 2, … threads).
.bench-venv/bin/python - <<'PY'
import json, time
import numpy as np
g = np.random.default_rng(1)
times = []
for _ in range(5):
    w = np.zeros(100_000)
    t0 = time.perf_counter()
    for _ in range(1000):
        w -= 1.5 * (w + g.standard_normal(100_000))
    times.append(time.perf_counter() - t0)
seconds = float(np.median(times))
print(json.dumps({"what": "numpy simulate 'K=1&C=1&lr=1.5&particles=100000&steps=1000'",
                  "seconds": seconds, "particle_steps_per_second": 1e8 / seconds,
                  "sigma": float(w.var(ddof=1))}), flush=True)
PY
