// Hosting checks of the built site (run by tests/e2e/run.cjs): the site served as a lecturer
// would host it, by a static server like nginx or GitHub Pages (ETag/304, gzip, a redirect from
// the folder without its slash, 404 elsewhere), from the root and from a sub-folder two levels
// deep.
// - golden links at the root (run.cjs opens every one in the sub-folder): every figure drawn, no
//   failed request, the canonical link in the page's folder; in both places "Copy link", "Copy
//   embed code" and the embed's "open in playground" link point into the same folder, and
//   `…/index.html?…` and `/folder` (no slash) work;
// - the engine failing to load (its .wasm missing or corrupt, its .js missing, no WebAssembly,
//   file://): a message saying what failed instead of "Loading…"; without service workers the
//   page works as before;
// - offline: visited once, the host down and the browser offline, golden links still open
//   (drawn from the service worker's cache); a rebuild (other hashed names) served afterwards is
//   picked up, its files replace the old ones in the cache, and it works offline in turn;
// - what a first and a repeat visit transfer (bytes on the wire, gzip as the host sends them).
"use strict";
const crypto = require("crypto");
const fs = require("fs");
const http = require("http");
const os = require("os");
const path = require("path");
const zlib = require("zlib");

const SUB_FOLDER = "/teaching/sgd/";
const TYPES = {
  ".html": "text/html; charset=utf-8", ".js": "text/javascript", ".wasm": "application/wasm",
  ".css": "text/css", ".png": "image/png",
};
const COMPRESSIBLE = new Set([".html", ".js", ".wasm", ".css"]);

/// A static server for the site folder `dir` under `prefix` ("/" or "/a/b/"). Records every
/// request (path, status, bytes of body sent). `down = true` drops every connection (host
/// unreachable); `fault(name)` may answer a file with {status} or {body} instead.
function siteServer(dir, prefix) {
  const site = { dir, prefix, log: [], down: false, fault: () => null, gzipCache: new Map() };
  site.server = http.createServer((req, res) => {
    if (site.down) { req.socket.destroy(); return; }
    const url = new URL(req.url, "http://x");
    const entry = { path: url.pathname, status: 0, bytes: 0 };
    site.log.push(entry);
    const answer = (status, headers, body) => {
      entry.status = status;
      entry.bytes = body ? body.length : 0;
      res.writeHead(status, headers);
      res.end(body);
    };
    if (url.pathname + "/" === prefix) { answer(301, { location: prefix + url.search }); return; }
    if (!url.pathname.startsWith(prefix)) { answer(404, { "content-type": "text/plain" }, Buffer.from("not found")); return; }
    let name = decodeURIComponent(url.pathname.slice(prefix.length));
    if (name === "" || name.endsWith("/")) name += "index.html";
    const file = path.join(site.dir, name);
    const fault = site.fault(name);
    if (fault && fault.status) { answer(fault.status, { "content-type": "text/plain" }, Buffer.from("not found")); return; }
    if (!fault && (!file.startsWith(site.dir + path.sep) || !fs.existsSync(file) || fs.statSync(file).isDirectory())) {
      answer(404, { "content-type": "text/plain" }, Buffer.from("not found")); return;
    }
    const body = fault ? fault.body : fs.readFileSync(file);
    const etag = '"' + crypto.createHash("sha1").update(body).digest("hex").slice(0, 16) + '"';
    const ext = path.extname(name);
    const headers = { "content-type": TYPES[ext] || "application/octet-stream", etag, "cache-control": "max-age=600" };
    if (req.headers["if-none-match"] === etag) { answer(304, headers); return; }
    if (COMPRESSIBLE.has(ext) && /\bgzip\b/.test(req.headers["accept-encoding"] || "")) {
      if (!site.gzipCache.has(etag)) site.gzipCache.set(etag, zlib.gzipSync(body, { level: 9 }));
      answer(200, { ...headers, "content-encoding": "gzip", vary: "accept-encoding" }, site.gzipCache.get(etag));
      return;
    }
    answer(200, headers, body);
  });
  return new Promise((resolve) => site.server.listen(0, "127.0.0.1", () => {
    site.origin = `http://127.0.0.1:${site.server.address().port}`;
    site.url = site.origin + prefix;
    resolve(site);
  }));
}

/// The requests recorded since `from` that failed (4xx/5xx).
const failedSince = (site, from) => site.log.slice(from).filter((r) => r.status >= 400);
const bytesSince = (site, from) => site.log.slice(from).reduce((sum, r) => sum + r.bytes, 0);

/// A copy of the site as a rebuild with other content hashes would be: every hashed file renamed
/// (same bytes, so Trunk's integrity attributes still hold), the names replaced in the text files,
/// its own sw.js.
function rebuiltCopy(dist, root) {
  const copy = fs.mkdtempSync(path.join(os.tmpdir(), "sgd-site-v2-"));
  fs.cpSync(dist, copy, { recursive: true });
  const renames = [];
  for (const name of fs.readdirSync(copy)) {
    const m = name.match(/^(.*-)([0-9a-f]{8,})((?:_bg)?\.(?:js|wasm|css))$/);
    if (!m) continue;
    const hash = crypto.createHash("sha256").update("rebuilt " + m[2]).digest("hex").slice(0, m[2].length);
    const renamed = m[1] + hash + m[3];
    fs.renameSync(path.join(copy, name), path.join(copy, renamed));
    renames.push([name, renamed]);
  }
  for (const name of fs.readdirSync(copy)) {
    if (!/\.(html|js|css)$/.test(name)) continue;
    let text = fs.readFileSync(path.join(copy, name), "utf8");
    for (const [from, to] of renames) text = text.split(from).join(to);
    fs.writeFileSync(path.join(copy, name), text);
  }
  require("child_process").execFileSync("node", [path.join(root, "scripts", "service-worker.cjs"), copy], { stdio: "ignore" });
  return { dir: copy, renames };
}

/// The checks, numbered as below (`sections`: which of them run; all unless a caller narrows it
/// while working on one). `check(ok, what)` records each; `drawnFigures(page)` is run.cjs's.
async function run({ browser, dist, root, golden, check, drawnFigures, figureCount, sections = [1, 2, 3] }) {
  const measures = {};
  const wasmName = fs.readdirSync(dist).find((f) => f.endsWith(".wasm"));

  // Opens `url` in `context`, waits until the engine drew the theory (unless `wait` is false);
  // returns the page, its console errors and failed requests.
  async function open(context, url, { wait = true } = {}) {
    const page = await context.newPage();
    const errors = [];
    const failed = [];
    page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
    page.on("pageerror", (e) => errors.push(String(e)));
    page.on("requestfailed", (r) => failed.push(`${r.url()} ${r.failure() && r.failure().errorText}`));
    await page.goto(url);
    if (wait) await page.waitForSelector("#app[data-theory-drawn-ms]", { timeout: 60000 });
    return { page, errors, failed };
  }
  async function allDrawn(page, expected) {
    const figures = await drawnFigures(page);
    return figures.length === expected && figures.every((f) => f.full && f.colours > 20);
  }
  async function copied(page, id, label) {
    await page.evaluate(() => {
      window.__copied = undefined;
      navigator.clipboard.writeText = async (text) => { window.__copied = text; };
    });
    await page.click(`#fig-${id} .actions button:text("${label}")`);
    await page.waitForFunction(() => window.__copied !== undefined);
    return page.evaluate(() => window.__copied);
  }
  const canonical = (page) => page.evaluate(() => document.querySelector('link[rel="canonical"]')?.href || "");

  // 1. Root and sub-folder: links the page writes stay in its folder.
  const rootSite = await siteServer(dist, "/");
  const subSite = await siteServer(dist, SUB_FOLDER);
  if (sections.includes(1)) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    let rootLinks = 0;
    for (const [query, , notices] of golden) {
      const from = rootSite.log.length;
      const { page, errors, failed } = await open(context, rootSite.url + query);
      const embed = query.includes("embed=1");
      const figures = await drawnFigures(page);
      check(figures.length === (embed ? 1 : figureCount), `root ${query}: ${figures.length} figures`);
      // Golden link whose Fig. 3 is left blank on purpose (run.cjs has the same exception).
      const broken = query.includes("K=2,0.5;0.5,1&C=1,0;0,2") && !query.includes("lrs=");
      for (const f of figures) if (!(broken && f.id === "3")) check(f.full && f.colours > 20, `root ${query}: figure ${f.id} not drawn`);
      const shown = await page.$$eval("#notices li", (items) => items.length);
      check(shown === Number(notices), `root ${query}: ${shown} notices shown, ${notices} expected`);
      check(errors.length === 0, `root ${query}: console errors ${JSON.stringify(errors)}`);
      check(failed.length === 0 && failedSince(rootSite, from).length === 0, `root ${query}: failed requests ${JSON.stringify([failed, failedSince(rootSite, from)])}`);
      const link = await canonical(page);
      check(link.startsWith(rootSite.url + "?") || link === rootSite.url, `root ${query}: canonical link ${link}`);
      rootLinks += 1;
      await page.close();
    }
    measures.golden_links_at_root = rootLinks;

    for (const site of [rootSite, subSite]) {
      for (const page_path of ["", "index.html"]) {
        const base = site.url + page_path;
        const from = site.log.length;
        const { page, errors, failed } = await open(context, base + "?fig=5a&lr_k=2.5");
        check(await allDrawn(page, figureCount), `${base}: not every figure drawn`);
        const link = await copied(page, "5a", "Copy link");
        check(link.startsWith(base + "?") && link.includes("fig=5a") && link.includes("lr_k=2.5"), `${base}: Copy link wrote ${link}`);
        const code = await copied(page, "2a", "Copy embed code");
        check(code.startsWith(`<iframe src="${base}?`) && code.includes("embed=1"), `${base}: embed code ${code.slice(0, 100)}`);
        check((await canonical(page)).startsWith(base + "?"), `${base}: canonical ${await canonical(page)}`);
        // An edit rewrites the canonical link (and the address) after the debounce.
        await page.$eval('#fig-2a .control[data-key="C"] input.slider', (el) => { el.value = "300"; el.dispatchEvent(new Event("input")); });
        await page.waitForFunction((b) => (document.querySelector('link[rel="canonical"]')?.href || "").startsWith(b + "?v=1&fig=2a"), base, { timeout: 5000 }).catch(() => {});
        check((await canonical(page)).startsWith(base + "?v=1&fig=2a"), `${base}: canonical after an edit ${await canonical(page)}`);
        check(errors.length === 0 && failed.length === 0 && failedSince(site, from).length === 0, `${base}: errors ${JSON.stringify([errors, failed, failedSince(site, from)])}`);
        await page.close();

        // The embed code, on a lecture page of another origin.
        const hostPage = `<!doctype html><meta charset="utf-8"><title>lecture</title><link rel="icon" href="data:,"><p>Embedded:</p>${code}`;
        const host = http.createServer((req, res) => { res.writeHead(200, { "content-type": "text/html" }); res.end(hostPage); });
        await new Promise((r) => host.listen(0, "127.0.0.1", r));
        const lecture = await context.newPage();
        const lectureErrors = [];
        lecture.on("pageerror", (e) => lectureErrors.push(String(e)));
        lecture.on("requestfailed", (r) => lectureErrors.push(`${r.url()} failed`));
        await lecture.goto(`http://localhost:${host.address().port}/`);
        await lecture.waitForFunction(() => { const f = document.querySelector("iframe"); return f && parseInt(f.style.height, 10) > 200; }, null, { timeout: 60000 });
        const frame = lecture.frames().find((f) => f !== lecture.mainFrame());
        await frame.waitForSelector("#app[data-theory-drawn-ms]");
        check(await allDrawn(frame, 1), `${base}: the embedded figure is not drawn`);
        const open_link = await frame.evaluate(() => document.querySelector("a.open-link")?.href || "");
        check(open_link.startsWith(base + "?") && !open_link.includes("embed"), `${base}: embed's open-in-playground link ${open_link}`);
        check(lectureErrors.length === 0, `${base}: lecture page errors ${JSON.stringify(lectureErrors)}`);
        await lecture.close();
        host.close();
      }
    }
    // The folder without its trailing slash: redirected, as static servers do.
    {
      const { page } = await open(context, subSite.url.slice(0, -1) + "?fig=2a");
      check(page.url().startsWith(subSite.url + "?fig=2a") && await allDrawn(page, figureCount), `folder without slash: ${page.url()}`);
      await page.close();
    }
    await context.close();
  }

  // 2. The engine cannot load: a message, not "Loading…" forever. (No service worker here: each
  // case must reach the host.)
  if (sections.includes(2)) {
    const noWasm = (name) => (name.endsWith(".wasm") ? { status: 404 } : null);
    const cases = [
      ["its .wasm missing", "?fig=2a", noWasm, null, /could not be loaded.*404/],
      ["its .wasm corrupt", "?fig=2a", (name) => (name.endsWith(".wasm") ? { body: Buffer.from("not a WebAssembly module at all") } : null), null, /could not be loaded/],
      ["its .js missing", "?fig=2a", (name) => (name.endsWith(".js") && name !== "sw.js" ? { status: 404 } : null), null, /could not be loaded/],
      ["no WebAssembly", "?fig=2a", () => null, () => { delete window.WebAssembly; }, /cannot run WebAssembly/],
      ["embedded, its .wasm missing", "?fig=2a&embed=1&ctl=C", noWasm, null, /could not be loaded/],
    ];
    for (const [what, query, fault, init, expected] of cases) {
      const context = await browser.newContext({ serviceWorkers: "block" });
      if (init) await context.addInitScript(init);
      subSite.fault = fault;
      const { page } = await open(context, subSite.url + query, { wait: false });
      const shown = await page.waitForSelector(".load-failed", { timeout: 20000 }).then((el) => el.textContent()).catch(() => "");
      check(expected.test(shown) && /What to try/.test(shown), `engine failure (${what}): shown ${JSON.stringify(shown)}`);
      const loading = await page.$("#app > .loading");
      check(loading === null, `engine failure (${what}): "Loading…" still shown`);
      const intro = await page.$eval(".page-intro", (el) => getComputedStyle(el).display);
      check((intro === "none") === query.includes("embed=1"), `engine failure (${what}): the introduction's display is ${intro}`);
      await context.close();
    }
    subSite.fault = () => null;
    // Without service workers (blocked, as in some private windows): the page works as before.
    {
      const context = await browser.newContext({ serviceWorkers: "block" });
      const { page, errors, failed } = await open(context, subSite.url + "?fig=2a&C=2&seed=7");
      check(await allDrawn(page, figureCount) && errors.length === 0 && failed.length === 0, `without a service worker: ${JSON.stringify([errors, failed])}`);
      await context.close();
    }
    // Opened as a file: the message says to serve the folder.
    const context = await browser.newContext({ serviceWorkers: "block" });
    const page = await context.newPage();
    await page.goto("file://" + path.join(dist, "index.html"));
    const shown = await page.waitForSelector(".load-failed", { timeout: 20000 }).then((el) => el.textContent()).catch(() => "");
    check(/file/.test(shown) && /http\.server/.test(shown), `file:// page: shown ${JSON.stringify(shown)}`);
    await context.close();
  }

  // 3. Offline after the first visit; a new deployment replaces the cache.
  if (sections.includes(3)) {
    const site = await siteServer(dist, SUB_FOLDER);
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const swReady = (page) => page.waitForFunction(() => navigator.serviceWorker.controller !== null, null, { timeout: 60000 });
    const cached = (page) => page.evaluate(async () => {
      const out = {};
      for (const key of await caches.keys()) out[key] = (await (await caches.open(key)).keys()).map((r) => r.url.split("/").pop());
      return out;
    });
    const loaded = (page) => page.evaluate(() => performance.getEntriesByType("resource").map((e) => e.name.split("/").pop()));

    // First visit: everything it transfers until the service worker controls the page.
    let from = site.log.length;
    const first = await open(context, site.url + "?fig=2a");
    await swReady(first.page);
    await first.page.waitForTimeout(500);
    measures.first_visit = { requests: site.log.length - from, bytes: bytesSince(site, from), paths: site.log.slice(from).map((r) => `${r.path} ${r.status} ${r.bytes}`) };
    check(first.errors.length === 0 && failedSince(site, from).length === 0, `first visit: ${JSON.stringify([first.errors, failedSince(site, from)])}`);
    const v1Cache = await cached(first.page);
    const v1Files = Object.values(v1Cache).flat();
    check(Object.keys(v1Cache).length === 1 && v1Files.includes(wasmName) && v1Files.includes("index.html"), `cache after the first visit: ${JSON.stringify(v1Cache)}`);
    await first.page.close();

    // Repeat visit, online.
    from = site.log.length;
    const repeat = await open(context, site.url + "?fig=3");
    // Until the update check of sw.js (after the page's load event) has reached the host.
    for (let i = 0; i < 100 && !site.log.slice(from).some((r) => r.path.endsWith("/sw.js")); i += 1) await repeat.page.waitForTimeout(100);
    measures.repeat_visit = { requests: site.log.length - from, bytes: bytesSince(site, from), paths: site.log.slice(from).map((r) => `${r.path} ${r.status} ${r.bytes}`) };
    await repeat.page.close();

    // Offline: the host unreachable and the browser offline; golden links open from the cache.
    site.down = true;
    await context.setOffline(true);
    from = site.log.length;
    let offlineLinks = 0;
    for (const [query] of golden.filter(([q]) => !q.includes("embed=1")).slice(0, 6)) {
      const { page, errors } = await open(context, site.url + query);
      check(await allDrawn(page, figureCount) || query.includes("K=2,0.5;0.5,1&C=1,0;0,2"), `offline ${query}: not every figure drawn`);
      check(errors.length === 0, `offline ${query}: console errors ${JSON.stringify(errors)}`);
      offlineLinks += 1;
      await page.close();
    }
    {
      const { page } = await open(context, site.url + "?fig=2a&embed=1&ctl=C");
      check(await allDrawn(page, 1), "offline embed: not drawn");
      await page.reload();
      await page.waitForSelector("#app[data-theory-drawn-ms]", { timeout: 60000 });
      check(await allDrawn(page, 1), "offline embed, reloaded: not drawn");
      await page.close();
    }
    measures.offline_golden_links = offlineLinks;
    check(site.log.length === from, `offline: ${site.log.length - from} requests reached the host`);

    // A new deployment (other hashed names), served once back online, is picked up.
    const v2 = rebuiltCopy(dist, root);
    const v2Wasm = v2.renames.map(([, to]) => to).find((n) => n.endsWith(".wasm"));
    site.dir = v2.dir;
    site.down = false;
    await context.setOffline(false);
    const updated = await open(context, site.url + "?fig=2a");
    check((await loaded(updated.page)).includes(v2Wasm) && await allDrawn(updated.page, figureCount), `after the rebuild: the page did not load ${v2Wasm}`);
    let onlyV2 = false;
    for (let i = 0; i < 120 && !onlyV2; i += 1) {
      const now = Object.values(await cached(updated.page));
      onlyV2 = now.length === 1 && now[0].includes(v2Wasm) && !now[0].includes(wasmName);
      if (!onlyV2) await updated.page.waitForTimeout(250);
    }
    check(onlyV2, `after the rebuild: the cache holds ${JSON.stringify(await cached(updated.page))}`);
    check(updated.errors.length === 0, `after the rebuild: console errors ${JSON.stringify(updated.errors)}`);
    await updated.page.close();
    site.down = true;
    await context.setOffline(true);
    const offlineV2 = await open(context, site.url + "?fig=5a");
    const v2Loaded = await loaded(offlineV2.page);
    check(v2Loaded.includes(v2Wasm) && !v2Loaded.includes(wasmName) && await allDrawn(offlineV2.page, figureCount), `offline after the rebuild: loaded ${JSON.stringify(v2Loaded)}`);
    await offlineV2.page.close();
    await context.close();
    site.server.close();
    fs.rmSync(v2.dir, { recursive: true, force: true });
  }

  rootSite.server.close();
  subSite.server.close();
  const size = fs.readdirSync(dist).reduce((sum, f) => sum + fs.statSync(path.join(dist, f)).size, 0);
  console.log(JSON.stringify({ measure: "hosting", site_bytes: size, ...measures }));
}

module.exports = { siteServer, run, SUB_FOLDER };
