// The simulations' Web Workers (run by tests/e2e/run.cjs on the site in its sub-folder):
// - Fig. 2(a) at the paper's size (40 λ × 10⁴ particles × 1000 steps) with workers=0, 1, 2, 3:
//   the exported CSV is the same file every time, and the same as the command line's
//   (`render 'fig=2a' --format csv`: the page's wasm and the native build agree bit for bit);
//   the completion times are printed, with the ratio workers=0 / workers=2 (target ≥ 1.7);
// - an edit in the middle of a run with workers: the figure that ends is exactly the new
//   configuration's (no stale result drawn), and the workers of the old run were stopped;
// - Pause stops the workers, Resume finishes with the same numbers;
// - no Web Workers in the browser: the page says why in #app's data-workers and runs the
//   simulation itself, with the same numbers;
// - in a fresh browser context (nothing cached), a page with 3 workers asks the server for the
//   .wasm once: the workers get the page's compiled module by postMessage;
// - idle workers are terminated after 5 s, and the next run starts new ones.
"use strict";
const { execFileSync } = require("child_process");
const fs = require("fs");
const path = require("path");

// Embedded (one figure, nothing else simulating): for the timings. The full page (its buttons,
// other figures sharing the workers): for the rest.
const EMBED_2A = "?fig=2a&embed=1&ctl=C";
const PAGE_2A = "?fig=2a";

async function csvOf(page, id = "2a") {
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.click(`#fig-${id} .actions button:text-is("CSV")`),
  ]);
  return fs.readFileSync(await download.path(), "utf8");
}

// After an edit: until the address bar has the edited link (written 250 ms after the edit, so the
// edit's frame has replaced the old run by then; a "simulation done" seen after it is the new
// run's, never the old one's).
async function untilEdited(page, key) {
  await page.waitForFunction((key) => new URLSearchParams(location.search).has(key), key, { timeout: 10000, polling: 10 });
}

async function untilDone(page, id = "2a", timeout = 120000) {
  await page.waitForFunction(
    (id) => (document.querySelector(`#fig-${id} .status-text`) || {}).textContent?.startsWith("simulation done"),
    id, { timeout, polling: 20 });
}

// Every kind of simulation task, small: 1-D sweeps (final and time-averaged variances,
// minibatch noise), clouds of 2-D positions, escapes from the double well, the explorer's cloud.
const EVERY_KIND = [
  ["2b", "points=6&particles=300&steps=400&burnin=100"],
  ["3", "particles=1500&steps=400"],
  ["4", "particles=800&steps=300"],
  ["5a", "points=6&particles=1000&steps=300"],
  ["5c", "points=5&particles=200&steps=300&burnin=100"],
  ["6b", "points=4&particles=300&steps=3000"],
  ["escape", "particles=500&steps=200"],
  ["explorer", "sim=sgdm&particles=2000&steps=200"],
];

async function run({ browser, context, site, base, root, check, report, openPage }) {
  // 1. Any number of workers, the same figure; the time it takes.
  const cliCsv = execFileSync(path.join(root, "target", "release", "sgd-playground"),
    ["render", "fig=2a", "--format", "csv", "--threads", "2"], { encoding: "utf8", maxBuffer: 1 << 26 });
  const times = { 0: [], 1: [], 2: [], 3: [] };
  const csvs = {};
  for (let repeat = 0; repeat < 3; repeat += 1) {
    for (const workers of [0, 1, 2, 3]) {
      const embedded = repeat < 2;
      const { page, errors } = await openPage(`${embedded ? EMBED_2A : PAGE_2A}&workers=${workers}`);
      const started = await page.evaluate(() => performance.now());
      await untilDone(page);
      if (embedded) times[workers].push(await page.evaluate((from) => performance.now() - from, started));
      const status = await page.getAttribute("#app", "data-workers");
      check(workers === 0 ? status === "0" : status.startsWith(`${workers} (`), `workers=${workers}: data-workers ${status}`);
      if (!embedded) csvs[workers] = await csvOf(page);
      check(errors.length === 0, `workers=${workers}: console errors ${JSON.stringify(errors)}`);
      await page.close();
    }
  }
  const rows = csvs[0].split("\n").filter((line) => line.includes(",simulation,")).length;
  check(rows === 40, `fig 2a CSV: ${rows} simulated points (40 expected)`);
  for (const workers of [1, 2, 3]) check(csvs[workers] === csvs[0], `fig 2a CSV with workers=${workers} differs from workers=0`);
  check(csvs[0] === cliCsv, "fig 2a CSV of the page differs from the command line's");
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const medians = Object.fromEntries(Object.entries(times).map(([k, v]) => [k, Math.round(median(v))]));
  const ratio = medians[0] / medians[2];
  console.log(JSON.stringify({ measure: "fig2a_paper_simulation_ms", workload: "40 λ × 10⁴ particles × 1000 steps = 4·10⁸ particle-steps", by_workers: medians, runs: times, speedup_2_workers: Number(ratio.toFixed(2)), particle_steps_per_second_per_worker: Math.round(4e8 / (medians[1] / 1000)) }));
  report(ratio >= 1.7, `fig 2a at the paper's size: ${medians[2]} ms with 2 workers, ${medians[0]} ms without (×${ratio.toFixed(2)}; target ≥ 1.7)`);

  // 1b. Every kind of task: the same CSV with 2 workers as on the page's thread.
  for (const [id, keys] of EVERY_KIND) {
    const csv = {};
    for (const workers of [0, 2]) {
      const { page, errors } = await openPage(`?fig=${id}&${keys}&workers=${workers}`);
      await untilDone(page, id);
      csv[workers] = await csvOf(page, id);
      check(errors.length === 0, `fig ${id}, workers=${workers}: console errors ${JSON.stringify(errors)}`);
      await page.close();
    }
    check(csv[0] === csv[2] && csv[0].length > 100, `fig ${id}: the CSV with 2 workers differs from workers=0`);
  }

  // 2. An edit in the middle of a run: only the new run's results are drawn.
  {
    const { page, errors } = await openPage(`${PAGE_2A}&workers=2`);
    await page.waitForFunction(() => /simulating on 2 workers/.test(document.querySelector("#fig-2a .status-text").textContent), null, { timeout: 60000, polling: 10 });
    const at = await page.evaluate(() => document.querySelector("#fig-2a .status-text").textContent);
    await page.$eval('#fig-2a .control[data-key="C"] input.slider', (el) => { el.value = "700"; el.dispatchEvent(new Event("input")); el.dispatchEvent(new Event("change")); });
    console.log(JSON.stringify({ measure: "edit_mid_run", status_at_the_edit: at }));
    await untilEdited(page, "C");
    await untilDone(page);
    const edited = await page.evaluate(() => location.search);
    check(/[?&]C=/.test(edited), `the edit reached the URL: ${edited}`);
    const after = await csvOf(page);
    check(errors.length === 0, `edit mid-run: console errors ${JSON.stringify(errors)}`);
    await page.close();
    const fresh = await openPage(edited.replace(/&workers=\d+/, "") + "&workers=0");
    await untilDone(fresh.page);
    check(after === await csvOf(fresh.page), `edit mid-run: the figure differs from a fresh load of ${edited}`);
    check(after !== csvs[0], "edit mid-run: the edit changed nothing");
    await fresh.page.close();
  }

  // 3. Pause stops the workers; Resume ends with the same numbers.
  {
    const { page } = await openPage(`${PAGE_2A}&workers=2`);
    await page.waitForFunction(() => /simulating on 2 workers/.test(document.querySelector("#fig-2a .status-text").textContent), null, { timeout: 60000, polling: 10 });
    await page.click('#fig-2a .actions button:text-is("Pause")');
    const paused = await page.evaluate(() => document.querySelector("#fig-2a .status-text").textContent);
    await page.waitForTimeout(500);
    const still = await page.evaluate(() => document.querySelector("#fig-2a .status-text").textContent);
    check(paused.startsWith("paused") && still === paused, `pause: ${paused} → ${still}`);
    await page.click('#fig-2a .actions button:text-is("Resume")');
    await untilDone(page);
    check(await csvOf(page) === csvs[0], "pause and resume: the figure differs");
    await page.close();
  }

  // 6. Idle workers are terminated; an edit afterwards starts new ones and ends right.
  {
    const { page, errors } = await openPage(`${EMBED_2A}&workers=2&points=8&particles=2000`);
    await untilDone(page);
    await page.waitForTimeout(5600);
    await page.evaluate(() => {
      window.__statuses = [];
      new MutationObserver(() => window.__statuses.push(document.querySelector("#app").getAttribute("data-workers")))
        .observe(document.querySelector("#app"), { attributes: true, attributeFilter: ["data-workers"] });
    });
    await page.$eval('#fig-2a .control[data-key="C"] input.slider', (el) => { el.value = "300"; el.dispatchEvent(new Event("input")); el.dispatchEvent(new Event("change")); });
    await untilEdited(page, "C");
    await untilDone(page);
    // The edit's frame found no live worker; a worker was ready before its first result was
    // taken (a second one's "ready" may arrive after the last frame of so short a run).
    const statuses = await page.evaluate(() => window.__statuses);
    check(statuses[0] === "2 (0 ready)" && statuses.some((status) => /^2 \([12] ready\)$/.test(status)), `idle workers: statuses after the edit ${JSON.stringify(statuses)}`);
    const edited = await page.evaluate(() => location.search);
    const fresh = await openPage(edited.replace(/&workers=\d+/, "") + "&workers=0");
    await untilDone(fresh.page);
    // The same pixels as a fresh load of the edited link on the page's thread.
    const pixels = (p) => p.evaluate(() => {
      const canvas = document.querySelector("#fig-2a canvas");
      const { data } = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height);
      let hash = 2166136261;
      for (let i = 0; i < data.length; i += 1) hash = Math.imul(hash ^ data[i], 16777619) >>> 0;
      return hash;
    });
    check(await pixels(page) === await pixels(fresh.page), "idle workers: the figure after the edit differs from a fresh load");
    check(errors.length === 0, `idle workers: console errors ${JSON.stringify(errors)}`);
    await fresh.page.close();
    await page.close();
  }

  // 5. One download of the engine for the page and its workers.
  {
    // Without the service worker: its install fills the offline cache with every file of the
    // build (a second fetch of the .wasm whenever it starts before the run ends); what is
    // counted here is the page and its workers (the offline cache is tested in hosting.cjs).
    const fresh = await browser.newContext({ viewport: { width: 1280, height: 900 }, serviceWorkers: "block" });
    const page = await fresh.newPage();
    const from = site.log.length;
    await page.goto(base + `${EMBED_2A}&workers=3`);
    await untilDone(page);
    const requested = site.log.slice(from).map((entry) => entry.path);
    const wasm = requested.filter((p) => p.endsWith(".wasm")).length;
    const scripts = requested.filter((p) => p.endsWith("/worker.js")).length;
    console.log(JSON.stringify({ measure: "requests_with_3_workers", wasm, worker_js: scripts, all: requested.length, requested }));
    check(wasm === 1, `3 workers: the .wasm was requested ${wasm} times (once expected)`);
    check(scripts >= 1 && scripts <= 3, `3 workers: worker.js requested ${scripts} times`);
    await fresh.close();
  }

  // 4. A browser without Web Workers: the page runs the simulation itself.
  {
    const page = await context.newPage();
    const errors = [];
    page.on("pageerror", (e) => errors.push(String(e)));
    await page.addInitScript(() => { delete window.Worker; window.Worker = undefined; });
    await page.goto(base + `${PAGE_2A}&workers=2`);
    await page.waitForSelector("#app[data-theory-drawn-ms]", { timeout: 60000 });
    const said = await page.waitForFunction(() => /Web Workers unavailable/.test(document.querySelector("#fig-2a .status-text").textContent), null, { timeout: 30000, polling: 20 }).then(() => true, () => false);
    check(said, "no workers: the status line does not say the simulation runs on the page's thread");
    await untilDone(page);
    const status = await page.getAttribute("#app", "data-workers");
    check(/^unavailable: this browser has no Web Workers/.test(status), `no workers: data-workers ${status}`);
    check(await csvOf(page) === csvs[0], "no workers: the figure differs");
    check(errors.length === 0, `no workers: errors ${JSON.stringify(errors)}`);
    await page.close();
  }
}

module.exports = { run };
