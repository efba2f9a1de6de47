// The simulator benchmark compiled to wasm32, run in Node (V8, the engine of Chromium).
// Same workloads and code as `cargo bench --bench simulate` (src/sim/workload.rs).
// Usage: node scripts/bench-wasm.cjs [PARTICLES]   (after scripts/bench.sh built target/bench-wasm)
const path = require("path");
const wasm = require(path.join(__dirname, "..", "target", "bench-wasm", "sgd_playground.js"));

const particles = Number(process.argv[2] || 10000);
const steps = 1000;
for (const [name, id] of [["Fig. 2(a)", "2a"], ["Fig. 3", "3"]]) {
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
