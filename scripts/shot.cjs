// Screenshot of a page in headless Chromium (Playwright with the system browser):
//   node scripts/shot.cjs URL OUT.png [WIDTH] [HEIGHT] [WAIT_MS] [--full]
// Prints the console errors of the page. Needs `playwright-core` (scripts/setup.sh --browser
// installs it in .tools/).
const path = require("path");
const { chromium } = require(path.join(__dirname, "..", ".tools", "node_modules", "playwright-core"));

(async () => {
  const [url, out, width = "1280", height = "900", wait = "1500"] = process.argv.slice(2);
  const full = process.argv.includes("--full");
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
  });
  const page = await browser.newPage({ viewport: { width: +width, height: +height } });
  const errors = [];
  page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
  page.on("pageerror", (e) => errors.push(String(e)));
  await page.goto(url);
  await page.waitForSelector("#app[data-theory-drawn-ms]", { timeout: 30000 });
  await page.waitForTimeout(+wait);
  await page.screenshot({ path: out, fullPage: full });
  console.log(JSON.stringify({ out, errors, theoryDrawnMs: await page.getAttribute("#app", "data-theory-drawn-ms") }));
  await browser.close();
})().catch((e) => { console.error(e); process.exit(1); });
