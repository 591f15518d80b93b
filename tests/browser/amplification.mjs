// End-to-end "amplification" test for Chorus in headless Chromium (issue 5, acceptance point 4).
//
// Starts `chorus serve --demo` (the "Northwind Outdoor" example company, with four weeks of
// shares and clicks) on a free loopback port with an empty data folder, then:
//   1. Marcus (employee), on a phone, opens the share hub: item cards with a suggested caption
//      that carries the disclosure, and no sideways scroll;
//   2. he shares an item on X: the browser lands on X's share intent with the tracked link
//      (http://127.0.0.1:PORT/s/<code>) in it;
//   3. following the tracked link lands on the content's link, tagged utm_source=x,
//      utm_medium=employee_advocacy, utm_content=<code>;
//   4. "My shares" lists the share with his one click;
//   5. Sam (social team), on a laptop, sees the analytics chart (bars, totals), the "What works"
//      table, and downloads its CSV.
// No internet is needed, nor used: Chromium resolves no host but the server's (127.0.0.1). The
// networks' share pages and the content's own site are reached by redirects, which Playwright's
// context.route() cannot intercept (it only sees a navigation's first request, by design:
// microsoft/playwright#3993), so the test checks the browser's navigation request to them, and
// the redirect that led there, and lets it fail to resolve.
// Screenshots: amplification-*.png next to this file.
//
// Usage:  npm install && node amplification.mjs
// Env:    CHORUS_BIN      chorus binary (default ../../target/debug/chorus, relative to this file)
//         CHROMIUM_PATH   browser (default /usr/bin/chromium)
//         E2E_TIMEOUT_MS  watchdog for the whole run (default 180000)

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const CHORUS_BIN = path.resolve(process.env.CHORUS_BIN || path.join(HERE, '../../target/debug/chorus'));
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const READY_TIMEOUT_MS = 60_000;
const STEP_TIMEOUT_MS = 15_000;
const WATCHDOG_MS = Number(process.env.E2E_TIMEOUT_MS || 180_000);

const PASSWORD = 'chorus-demo-password'; // crates/chorus/src/demo.rs
const ORG = 'Northwind Outdoor';
const MARCUS = { name: 'Marcus', email: 'marcus@northwind.example' }; // employee, Field Operations
const SAM = { name: 'Sam', email: 'sam@northwind.example' }; // social media team
const DISCLOSURE = `(I work at ${ORG})`; // chorus_app::amplify::disclosure

const PHONE = {
  viewport: { width: 390, height: 844 },
  screen: { width: 390, height: 844 },
  deviceScaleFactor: 3,
  isMobile: true,
  hasTouch: true,
  userAgent:
    'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Mobile Safari/537.36',
};
const LAPTOP = { viewport: { width: 1280, height: 900 } };

let server = null;
let serverLog = '';
let browser = null;
let dataDir = null;
let cleanupDone = null;
let failing = false;
let base = '';
const problems = []; // page errors, failed requests and HTTP errors, checked at the end
const checked = [];
const outside = []; // navigations to other hosts (they cannot resolve)

const log = (msg) => console.log(`[amplification] ${msg}`);
function ok(msg) {
  checked.push(msg);
  log(`  ok: ${msg}`);
}
function expect(cond, msg) {
  if (!cond) throw new Error(`expectation failed: ${msg}`);
  ok(msg);
}
function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

// ---------------------------------------------------------------- the server

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

async function startServer(port) {
  const args = ['serve', '--demo', '--bind', `127.0.0.1:${port}`, '--data-dir', dataDir];
  log(`starting ${CHORUS_BIN} ${args.join(' ')}`);
  server = spawn(CHORUS_BIN, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
  for (const stream of [server.stdout, server.stderr]) {
    stream.setEncoding('utf8');
    stream.on('data', (chunk) => (serverLog += chunk));
  }
  const died = new Promise((_, reject) => {
    server.on('error', (err) => reject(new Error(`could not start chorus: ${err.message}`)));
    server.on('exit', (code, signal) => reject(new Error(`chorus exited early (code ${code}, signal ${signal})`)));
  });
  died.catch(() => {});
  const ready = (async () => {
    for (;;) {
      try {
        if ((await fetch(`http://127.0.0.1:${port}/login`)).ok) return;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  })();
  await withTimeout(Promise.race([ready, died]), READY_TIMEOUT_MS, 'chorus --demo to answer on /login');
}

async function stopServer() {
  if (!server || server.exitCode !== null || server.signalCode !== null) return;
  const exited = new Promise((resolve) => server.once('exit', resolve));
  server.kill('SIGTERM');
  try {
    await withTimeout(exited, 10_000, 'chorus to stop after SIGTERM');
  } catch {
    log('chorus did not stop after SIGTERM; sending SIGKILL');
    server.kill('SIGKILL');
    await withTimeout(exited, 5_000, 'chorus to stop after SIGKILL').catch(() => {});
  }
}

// One clean-up, however many ways the run ends.
function cleanup() {
  cleanupDone ||= (async () => {
    if (browser) await withTimeout(browser.close(), 10_000, 'browser to close').catch(() => {});
    await stopServer().catch(() => {});
    if (dataDir) await rm(dataDir, { recursive: true, force: true }).catch(() => {});
  })();
  return cleanupDone;
}

async function fail(err) {
  if (failing) return;
  failing = true;
  console.error(`[amplification] error: ${err && err.stack ? err.stack : err}`);
  if (serverLog) console.error(`[amplification] last lines of the server's output:\n${serverLog.split('\n').slice(-40).join('\n')}`);
  await cleanup();
  console.log(`${checked.length} checks passed before the failure`);
  console.log('FAIL: browser amplification test');
  console.log('0 passed, 1 failed');
  process.exit(1);
}

for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => fail(new Error(`interrupted by ${sig}`)));
// A stray promise rejecting (a pending wait when the browser closes) must not exit before the
// server is stopped.
process.on('unhandledRejection', (err) => fail(err));
const watchdog = setTimeout(() => fail(new Error(`whole test exceeded ${WATCHDOG_MS} ms`)), WATCHDOG_MS + 30_000);
watchdog.unref();

// ---------------------------------------------------------------- helpers

function watch(page, who) {
  page.on('pageerror', (err) => problems.push(`${who}: page error: ${err.message}`));
  page.on('requestfailed', (req) => {
    const failure = `${req.method()} ${req.url()} (${req.failure()?.errorText})`;
    if (new URL(req.url()).hostname !== '127.0.0.1') outside.push(failure);
    else problems.push(`${who}: request failed: ${failure}`);
  });
  page.on('response', (res) => {
    if (res.status() >= 400 && new URL(res.url()).pathname !== '/favicon.ico') {
      problems.push(`${who}: HTTP ${res.status()} for ${res.request().method()} ${res.url()}`);
    }
  });
}

// A browser context for one person, signed in.
async function signIn(person, device) {
  const context = await browser.newContext(device);
  context.setDefaultTimeout(STEP_TIMEOUT_MS);
  context.setDefaultNavigationTimeout(STEP_TIMEOUT_MS);
  const page = await context.newPage();
  watch(page, person.name);
  await page.goto(`${base}/login`);
  await page.getByLabel('E-mail', { exact: true }).fill(person.email);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  const button = page.getByRole('button', { name: 'Sign in', exact: true });
  await (device.hasTouch ? button.tap() : button.click());
  await page.waitForURL((url) => url.pathname !== '/login');
  await page.getByRole('button', { name: 'Sign out' }).waitFor({ state: 'attached' });
  ok(`${person.name} signed in on a ${device === PHONE ? 'phone' : 'laptop'}-sized screen (${device.viewport.width}×${device.viewport.height})`);
  return { context, page };
}

async function noSidewaysScroll(page, what) {
  const m = await page.evaluate((limit) => {
    const wide = [...document.querySelectorAll('body *')]
      .filter((el) => el.getBoundingClientRect().right > limit + 0.5)
      .slice(0, 5)
      .map((el) => `<${el.tagName.toLowerCase()}${el.className ? `.${String(el.className).trim().split(/\s+/).join('.')}` : ''}>`);
    return { scrollWidth: document.documentElement.scrollWidth, wide };
  }, PHONE.viewport.width);
  expect(
    m.scrollWidth <= PHONE.viewport.width,
    `${what} does not scroll sideways at phone width (scrollWidth ${m.scrollWidth} <= ${PHONE.viewport.width})` +
      (m.wide.length ? `; too wide: ${m.wide.join(', ')}` : ''),
  );
}

// Does `action`, and resolves with the browser's navigation request to another host than the
// server's (reached by a redirect), or throws what stopped it: a Content-Security-Policy
// violation (reported on the console) or nothing at all.
async function navigationAway(page, action, what) {
  let onConsole;
  const blocked = new Promise((resolve) => {
    onConsole = (m) => /Content Security Policy/i.test(m.text()) && resolve(m.text());
    page.on('console', onConsole);
  });
  const away = page.waitForRequest((req) => req.isNavigationRequest() && new URL(req.url()).hostname !== '127.0.0.1');
  // The host does not resolve: Chromium shows its error page, and the next step starts from it.
  const errorPage = page.waitForEvent('framenavigated', (f) => f === page.mainFrame() && f.url().startsWith('chrome-error:'));
  away.catch(() => {});
  errorPage.catch(() => {});
  await action();
  try {
    const first = await withTimeout(Promise.race([away, blocked.then((csp) => ({ csp }))]), STEP_TIMEOUT_MS, what);
    if (first.csp) throw new Error(`${what}: the browser blocked it: ${first.csp}`);
    await errorPage;
    return first;
  } finally {
    page.off('console', onConsole);
  }
}

const shot = (page, name) => page.screenshot({ path: path.join(HERE, `amplification-${name}.png`), fullPage: true });

// ---------------------------------------------------------------- the walk

async function main() {
  if (!existsSync(CHORUS_BIN)) throw new Error(`chorus binary not found at ${CHORUS_BIN} (set CHORUS_BIN)`);
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`);
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'chorus-e2e-'));
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  await startServer(port);
  log(`demo company is up at ${base}`);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    timeout: 30_000,
    handleSIGINT: false,
    handleSIGTERM: false,
    handleSIGHUP: false,
    // No host resolves but the server's: nothing leaves the machine.
    args: ['--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });

  // 1. The share hub on a phone.
  log('step 1: Marcus opens the share hub on his phone');
  const marcus = await signIn(MARCUS, PHONE);
  let page = marcus.page;
  await page.goto(`${base}/share`);
  await page.getByRole('heading', { name: 'Share', exact: true, level: 1 }).waitFor();
  const cards = page.locator('form.share-card');
  const count = await cards.count();
  expect(count >= 1, `the hub shows ${count} item card(s)`);
  const card = cards.first();
  const itemTitle = (await card.locator('h2').evaluate((h) => h.firstChild.textContent)).trim(); // without the badge
  const kind = (await card.locator('h2 .badge').innerText()).trim();
  const caption = await card.getByLabel('Caption', { exact: true }).inputValue();
  expect(caption.length > DISCLOSURE.length && caption.endsWith(DISCLOSURE), `"${itemTitle}" (${kind}) has a suggested caption ending with the disclosure: "${caption.slice(0, 40)}… ${DISCLOSURE}"`);
  const buttons = await card.locator('.share-buttons button').allInnerTexts();
  expect(buttons.includes('Share on X') && buttons.includes('Share on LinkedIn'), `the card offers ${buttons.join(', ')}`);
  await noSidewaysScroll(page, '/share');
  await shot(page, 'hub');

  // 2. Share on X: the form makes the tracked link and redirects to X's share intent.
  log('step 2: he shares it on X');
  const toX = await navigationAway(
    page,
    () => card.getByRole('button', { name: 'Share on X', exact: true }).tap(),
    'the share form to lead to X',
  );
  const post = toX.redirectedFrom();
  const postStatus = post ? (await post.response())?.status() : 0;
  expect(post && post.method() === 'POST' && new URL(post.url()).pathname === '/share' && postStatus === 303, `POST /share answers ${postStatus}`);
  const intent = new URL(toX.url());
  expect(intent.origin + intent.pathname === 'https://x.com/intent/tweet', `and the browser goes to X's share intent (${intent.origin}${intent.pathname})`);
  const tracked = intent.searchParams.get('url') || '';
  const m = new RegExp(`^${base.replace(/\./g, '\\.')}/s/([0-9A-Za-z]+)$`).exec(tracked);
  expect(m !== null, `its url= is the tracked link: ${tracked}`);
  const code = m[1];
  expect(code.length >= 8, `the code "${code}" is ${code.length} base62 characters`);
  expect((intent.searchParams.get('text') || '').trim() === caption.trim(), 'its text= is the caption, disclosure included');

  // 3. The tracked link redirects to the content's link, tagged.
  log('step 3: someone follows the tracked link');
  const toSite = await navigationAway(page, () => page.goto(tracked).catch(() => {}), 'the tracked link to lead on');
  const hop = toSite.redirectedFrom();
  const hopStatus = hop ? (await hop.response())?.status() : 0;
  expect(hop && hop.url() === tracked && hopStatus === 302, `GET /s/${code} answers ${hopStatus}`);
  const dest = new URL(toSite.url());
  expect(dest.protocol === 'https:', `and the browser goes to the content's own page: ${dest.origin}${dest.pathname}`);
  const utm = Object.fromEntries([...dest.searchParams].filter(([k]) => k.startsWith('utm_')));
  expect(
    utm.utm_source === 'x' && utm.utm_medium === 'employee_advocacy' && utm.utm_content === code && !!utm.utm_campaign,
    `tagged ${new URLSearchParams(utm)}`,
  );

  // 4. "My shares" lists it, with the one click (written by the click writer within ~100 ms).
  log('step 4: "My shares" counts the click');
  let row = null;
  let people = '';
  for (const until = Date.now() + 5_000; ; ) {
    await page.goto(`${base}/me/shares`);
    row = page.locator('table.list tbody tr').filter({ has: page.locator('code', { hasText: tracked }) });
    if ((await row.count()) === 1) people = (await row.locator('td').nth(3).innerText()).trim();
    if (people === '1' || Date.now() > until) break;
    await new Promise((r) => setTimeout(r, 300));
  }
  expect((await row.count()) === 1, `/me/shares lists the share (${tracked})`);
  const cells = (await row.locator('td').allInnerTexts()).map((c) => c.trim());
  expect(cells[0] === itemTitle && cells[1] === 'X', `the row reads "${cells[0]}" on ${cells[1]}, shared ${cells[2]}`);
  expect(people === '1', `it shows ${people} person's click (preview robots: ${cells[4]})`);
  await shot(page, 'my-shares');

  // 5. The analytics dashboard on a laptop.
  log('step 5: Sam opens the analytics dashboard');
  const sam = await signIn(SAM, LAPTOP);
  page = sam.page;
  await page.goto(`${base}/analytics`);
  await page.getByRole('heading', { name: 'Analytics', exact: true, level: 1 }).waitFor();
  const chart = page.locator('svg.chart');
  await chart.waitFor({ state: 'visible' });
  const box = await chart.boundingBox();
  expect(box && box.width > 300 && box.height > 100, `the chart is visible (${Math.round(box.width)}×${Math.round(box.height)} px)`);
  const bars = await chart.locator('g.bars rect').evaluateAll((rs) => rs.map((r) => Number(r.getAttribute('height'))));
  const drawn = bars.filter((h) => h > 0).length;
  expect(drawn >= 1, `${drawn} of its ${bars.length} day bars have a height above 0`);
  const desc = await chart.locator('desc').textContent();
  const [clicks, shares] = [...desc.matchAll(/in all: (\d+)/g)].map((x) => Number(x[1]));
  expect(clicks > 0 && shares > 0, `its description gives the totals: "${desc}"`);
  const summary = Object.fromEntries(
    (await page.locator('#summary tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.cells].map((c) => c.textContent.trim())))),
  );
  expect(
    Number(summary["People's clicks"]) === clicks && Number(summary.Shares) === shares,
    `the chart agrees with the summary table (${summary["People's clicks"]} people's clicks, ${summary.Shares} shares)`,
  );
  const works = page.locator('section#what-works');
  const worksRows = await works.locator('tbody tr').count();
  expect(worksRows > 0, `"What works" lists ${worksRows} item(s), first: "${(await works.locator('tbody tr td').first().innerText()).trim()}"`);
  const headers = (await works.locator('thead th').allInnerTexts()).map((h) => h.trim());
  const href = await works.getByRole('link', { name: 'CSV', exact: true }).getAttribute('href');
  const csv = await page.request.get(new URL(href, base).href);
  const text = await csv.text();
  const lines = text.trim().split(/\r?\n/);
  expect(csv.ok() && (csv.headers()['content-type'] || '').startsWith('text/csv'), `GET ${href} → ${csv.status()} ${csv.headers()['content-type']}`);
  expect(lines[0] === headers.join(','), `the CSV starts with the table's header line: ${lines[0]}`);
  expect(lines.length - 1 === worksRows, `and has the table's ${worksRows} row(s)`);
  await shot(page, 'analytics');

  expect(outside.length === 2, `nothing left the machine: the ${outside.length} navigations to other hosts did not resolve (${outside.map((o) => o.replace(/\?.*\(/, '… (')).join('; ')})`);
  expect(problems.length === 0, `no page errors or failed requests${problems.length ? `, got:\n  ${problems.join('\n  ')}` : ''}`);
}

const started = Date.now();
try {
  await withTimeout(main(), WATCHDOG_MS, 'the whole test');
  await cleanup();
  clearTimeout(watchdog);
  console.log(`${checked.length} checks in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  console.log('PASS: browser amplification test (phone: share hub, share on X, tracked link, my shares; laptop: analytics chart and CSV)');
  console.log('1 passed, 0 failed');
  process.exit(0);
} catch (err) {
  await fail(err);
}
