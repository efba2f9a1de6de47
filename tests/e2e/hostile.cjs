#!/usr/bin/env node
// Hostile links against the release page (issue 12), in headless Chromium through Playwright:
//   trunk build --release && node tests/e2e/hostile.cjs
// For every link: the page answers (the theory is drawn), it never shows the crash alert, it shows
// exactly one alert listing at most 12 problems, each on one line with nothing invisible in it,
// naming what the link expects (the key, the tab's limit); the link's figure is drawn; and once the
// engine has started (its sliced start-up included) no main-thread task runs long while the page
// builds, draws and simulates. Also checks that a real
// panic shows the "something went wrong" alert with the link instead of a silently dead page.
//
// Long tasks: the target is none over 50 ms (printed for every link, next to the plain `?fig=2a`
// measured the same way); the assertion allows 1000 ms after the engine started so that a loaded 2-core
// machine (load average 11 was seen while four engineers build) does not fail the build, while the
// freezes this guards against (2 s per slice, 37 s to 5 minutes per task before the cost model)
// fail it.

const fs = require("fs");
const http = require("http");
const path = require("path");

const root = path.join(__dirname, "..", "..");
const { chromium } = require(path.join(root, ".tools", "node_modules", "playwright-core"));
const dist = path.join(root, "dist");
const LONG_TASK_ASSERTED_MS = 1000;
const MAX_NOTICES = 12;

let checks = 0;
const failures = [];
function check(ok, what) {
  checks += 1;
  if (!ok) failures.push(what);
}

const types = { ".html": "text/html", ".js": "text/javascript", ".wasm": "application/wasm", ".css": "text/css" };
function serveDist() {
  return new Promise((resolve) => {
    // Long links (20,000 keys) need more than Node's default 16 KB of request header.
    const server = http.createServer({ maxHeaderSize: 1 << 20 }, (req, res) => {
      const url = new URL(req.url, "http://x");
      const file = path.join(dist, url.pathname === "/" ? "index.html" : decodeURIComponent(url.pathname));
      if (!file.startsWith(dist) || !fs.existsSync(file) || fs.statSync(file).isDirectory()) {
        res.writeHead(404); res.end("not found"); return;
      }
      res.writeHead(200, { "content-type": types[path.extname(file)] || "application/octet-stream" });
      fs.createReadStream(file).pipe(res);
    });
    server.listen(0, "127.0.0.1", () => resolve(server));
  });
}

const ones = (n) => Array(n).fill(1).join(",");
// [query, figure drawn (or "" for the solver), texts the alert must contain]
const LINKS = [
  ["?fig=2a", "2a", null], // the baseline: nothing hostile
  ["?fig=explorer&K=1&C=1,0;0,1", "explorer", ["C: invalid value", "which is 1×1"]],
  ["?fig=explorer&C=1,0,0;0,1,0;0,0,1", "explorer", ["C: invalid value"]],
  ["?fig=explorer&K=1,2,3&C=1,0.5;0.5,1", "explorer", ["C: invalid value", "3×3"]],
  [`?noise=batch&N=100000&x_var=${ones(32)}`, "", ["x_var", "this browser tab"]],
  [`?noise=batch&N=1000000&x_var=${ones(32)}`, "", ["this browser tab"]],
  ["?fig=2b&S=1000000&N=1000000", "2b", ["this browser tab"]],
  ["?fig=2b&S=100000&particles=10000", "2b", ["this browser tab"]],
  ["?fig=2a&particles=10000000&steps=100000", "2a", ["particles", "this browser tab"]],
  ["?fig=3&particles=10000000&steps=1&lrs=0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8", "3", ["particles"]],
  ["?fig=phase&res=400&noise=batch&N=1000000", "phase", ["this browser tab"]],
  ["?fig=phase&lrk_max=1e308&res=10", "phase", null],
  ["?fig=explorer&sim=sgd&particles=1000000", "explorer", ["particles", "this browser tab"]],
  ["?lr=1%0A2", "", ["lr: invalid value '1\\n2'"]],
  ["?fig=2a&lr=%E2%80%AE1&C=5%0D1", "2a", ["\\u{202e}", "\\r"]],
  [`?fig=2a&${"a=&".repeat(20000)}`, "2a", ["(×19999)"]],
  [`?fig=2a&${Array.from({ length: 300 }, (_, i) => `k${i}=1`).join("&")}`, "2a", ["more problems"]],
];

(async () => {
  if (!fs.existsSync(path.join(dist, "index.html"))) throw new Error("no dist/: run `trunk build --release` first");
  const server = await serveDist();
  const base = `http://127.0.0.1:${server.address().port}/`;
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
  });
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  await context.addInitScript(() => {
    window.__longTasks = [];
    try {
      new PerformanceObserver((list) => { for (const e of list.getEntries()) window.__longTasks.push({ start: e.startTime, duration: e.duration }); })
        .observe({ type: "longtask", buffered: true });
    } catch (e) { /* no long-task API */ }
  });
  const results = [];
  for (const [query, figure, expected] of LINKS) {
    const page = await context.newPage();
    const errors = [];
    page.on("pageerror", (e) => errors.push(String(e)));
    page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
    const shown = query.length > 90 ? `${query.slice(0, 80)}… (${query.length} characters)` : query;
    const opened = Date.now();
    let answered = true;
    try {
      await page.goto(base + query);
      await page.waitForSelector("#app[data-theory-drawn-ms]", { timeout: 60000 });
    } catch (e) {
      answered = false;
    }
    check(answered, `${shown}: the page did not answer`);
    if (!answered) { await page.close(); continue; }
    const loadMs = Date.now() - opened;
    const mounted = Number(await page.getAttribute("#app", "data-mount-start-ms"));
    // Let the simulation run (and any edit-free work happen) for two seconds.
    await page.waitForTimeout(2000);
    const state = await page.evaluate(({ mounted, figure }) => {
      const alerts = [...document.querySelectorAll("[role=alert]")].filter((a) => !a.hasAttribute("hidden"));
      const items = [...document.querySelectorAll("#notices li")].map((li) => li.textContent);
      const tasks = window.__longTasks;
      const after = tasks.filter((t) => t.start >= mounted);
      let drawn = null;
      if (figure) {
        const canvas = document.querySelector(`#fig-${figure} canvas`);
        if (canvas) {
          const { data } = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height);
          let opaque = 0;
          for (let i = 3; i < data.length; i += 4) if (data[i] > 0) opaque += 1;
          drawn = opaque / (canvas.width * canvas.height);
        }
      }
      return {
        crashed: !!document.getElementById("crashed"),
        alerts: alerts.length,
        items,
        longestAfterMountMs: after.reduce((m, t) => Math.max(m, t.duration), 0),
        longestLoadTaskMs: tasks.reduce((m, t) => Math.max(m, t.duration), 0),
        drawn,
      };
    }, { mounted, figure });
    check(!state.crashed, `${shown}: the crash alert is shown`);
    check(errors.length === 0, `${shown}: console errors ${JSON.stringify(errors).slice(0, 300)}`);
    if (expected) {
      check(state.alerts === 1, `${shown}: ${state.alerts} alerts shown (one expected)`);
      check(state.items.length >= 1 && state.items.length <= MAX_NOTICES, `${shown}: ${state.items.length} alert items`);
      const text = state.items.join("\n");
      for (const want of expected) check(text.includes(want), `${shown}: the alert does not say ${JSON.stringify(want)}: ${text.slice(0, 400)}`);
    }
    for (const item of state.items) {
      check(!/[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/.test(item), `${shown}: an alert item with a control or invisible character: ${JSON.stringify(item).slice(0, 200)}`);
    }
    if (figure) check(state.drawn !== null && state.drawn > 0.99, `${shown}: figure ${figure} not drawn (${state.drawn})`);
    check(state.longestAfterMountMs <= LONG_TASK_ASSERTED_MS, `${shown}: a ${state.longestAfterMountMs} ms task after the engine started (asserted ≤ ${LONG_TASK_ASSERTED_MS})`);
    results.push({ link: shown, load_ms: loadMs, longest_task_after_engine_started_ms: state.longestAfterMountMs, longest_task_ms: state.longestLoadTaskMs, alert_items: state.items.length });
    await page.close();
  }
  for (const r of results) console.log(JSON.stringify({ measure: "hostile_link", ...r, target_longest_task_ms: 50 }));

  // A real panic: the alert says so, with the link, instead of a page that looks alive.
  {
    const page = await context.newPage();
    await page.goto(base + "?fig=2a&seed=5");
    await page.waitForSelector("#app[data-theory-drawn-ms]", { timeout: 60000 });
    const crashed = await page.evaluate(() => {
      try { window.wasmBindings.crash_for_test(); } catch (e) { /* the panic's trap */ }
      const alert = document.getElementById("crashed");
      return alert ? alert.textContent : null;
    });
    check(crashed !== null && crashed.startsWith("Something went wrong") && crashed.includes("fig=2a&seed=5"), `panic hook: ${crashed}`);
    await page.close();
  }

  await browser.close();
  server.close();
  if (failures.length) {
    for (const f of failures) console.error("FAILED: " + f);
    console.error(`hostile links: ${failures.length} of ${checks} checks failed`);
    process.exit(1);
  }
  console.log(`hostile links: ${checks} checks passed`);
})().catch((e) => { console.error(e); process.exit(1); });
