// Lighthouse's accessibility category over the pages named on the command line, in one Chrome (Debian's
// Chromium: CHROME_PATH), offline. Prints one JSON object: per URL its score (0-1) and the weighted audits that
// failed, with a few of their elements. Used by tests/browser/test_lighthouse_browser.py (one page of each type)
// and bench/lighthouse_bench.py (every page type in every language).
//
//   CHROME_PATH=/usr/bin/chromium node tests/browser/lighthouse.mjs http://127.0.0.1:8000/sv/ ...
import * as chromeLauncher from "chrome-launcher";
import lighthouse from "lighthouse";

const urls = process.argv.slice(2);
// The accessibility audits only, without what only performance figures need: no full-page screenshot, no pause
// after the first paint or the load, 200 ms of network and CPU quiet (the pages are static files on loopback).
// One page took 8.5 s with the defaults, 5.4 s so; "provided" throttling made it 15 s (bench/RESULTS.md).
const CONFIG = {
  extends: "lighthouse:default",
  settings: {
    onlyCategories: ["accessibility"], disableFullPageScreenshot: true, pauseAfterFcpMs: 0, pauseAfterLoadMs: 0,
    networkQuietThresholdMs: 200, cpuQuietThresholdMs: 200,
  },
};
const chrome = await chromeLauncher.launch({
  chromePath: process.env.CHROME_PATH || "/usr/bin/chromium",
  chromeFlags: ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
    "--disable-background-networking", "--disable-component-update", "--no-first-run"],
});
const out = {};
try {
  for (const url of urls) {
    const started = Date.now();
    const result = await lighthouse(url, { port: chrome.port, logLevel: "error", output: "json" }, CONFIG);
    const lhr = result.lhr;
    const category = lhr.categories.accessibility;
    const weighted = new Set(category.auditRefs.filter((ref) => ref.weight > 0).map((ref) => ref.id));
    const failed = Object.values(lhr.audits)
      .filter((audit) => weighted.has(audit.id) && audit.score !== null && audit.score < 1)
      .map((audit) => ({ id: audit.id, title: audit.title,
        nodes: ((audit.details && audit.details.items) || []).slice(0, 3)
          .map((item) => (item.node && (item.node.selector || item.node.snippet)) || "") }));
    out[url] = { score: category.score, failed, ms: Date.now() - started,
      errors: lhr.runtimeError ? [lhr.runtimeError.message] : [] };
  }
} finally {
  await chrome.kill();
}
process.stdout.write(JSON.stringify(out) + "\n");
