// The simulator benchmark compiled to wasm32, run in Node (V8, the engine of Chromium).
// Same workloads and code as `cargo bench --bench simulate` (src/sim/workload.rs).
// Usage: node scripts/bench-wasm.cjs [PARTICLES]   (after scripts/bench.sh built target/bench-wasm;
// BENCH_WASM_DIR=/elsewhere picks the wasm-bindgen output of another target directory)
const path = require("path");
const dir = process.env.BENCH_WASM_DIR || path.join(__dirname, "..", "target", "bench-wasm");
const wasm = require(path.join(dir, "sgd_playground.js"));

const particles = Number(process.argv[2] || 10000);
const steps = 1000;
for (const [name, id] of [["Fig. 2(a)", "2a"], ["Fig. 3", "3"], ["Adam 2-D", "adam"]]) {
  const rates = [];
  let checksum = 0;
  for (let run = 0; run < 5; run++) {
    const start = performance.now();
    const out = wasm.bench_simulation(id, particles, steps); // [particle-steps, checksum]
    const seconds = (performance.now() - start) / 1000;
    rates.push(out[0] / seconds);
    checksum = out[1];
  }
  rates.sort((a, b) => a - b);
  console.log(JSON.stringify({
    what: `sgd-playground wasm (Node ${process.version}) ${name}`,
    particles, steps,
    particle_steps_per_second: rates[2], min: rates[0], max: rates[4], checksum,
  }));
}

// Figures: the theory of every figure (median of 21 runs; Fig. 6(b)'s first call includes its
// exact escape-rate curve, so it is timed on a fresh experiment each time), and the simulation of
// Fig. 2(a) at paper quality (standard errors ≤ 3%: √(2/P) ≤ 0.03 needs P ≥ 2223 particles).
const median = (xs) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];
for (const fig of ["1b", "2a", "2b", "3", "4", "5a", "5b", "5c", "5d", "6a", "6b", "phase", "phase&opt=qhm&noise=batch&S=10", "bayes", "escape", "newton", "explorer"]) {
  const times = [];
  for (let run = 0; run < (fig === "6b" ? 5 : 21); run++) {
    const start = performance.now();
    if (wasm.bench_figure(`fig=${fig}`, false) < 0) throw new Error(`fig=${fig} failed`);
    times.push(performance.now() - start);
  }
  console.log(JSON.stringify({ what: `wasm theory of fig=${fig} (new experiment + theory)`, median_ms: median(times) }));
}
{
  const config = "fig=2a&particles=2300";
  const start = performance.now();
  const points = wasm.bench_figure(config, true);
  console.log(JSON.stringify({ what: `wasm simulation of ${config} (40 λ × 2300 particles × 1000 steps)`, points, seconds: (performance.now() - start) / 1000 }));
}
