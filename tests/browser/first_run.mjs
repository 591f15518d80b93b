// End-to-end "first run" test for Chorus in headless Chromium.
//
// Starts a fresh `chorus serve` on a free loopback port with an empty data
// folder, then, as a person would in the browser:
//   1. opens the set-up link printed on stdout and creates the organization,
//   2. signs out and signs in again,
//   3. invites a person and checks the People list (screenshot: people.png).
//
// Usage:  npm install && node first_run.mjs
// Env:    CHORUS_BIN      chorus binary (default ../../target/debug/chorus,
//                         relative to this file)
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
const SCREENSHOT = path.join(HERE, 'people.png');
const SETUP_LINK_TIMEOUT_MS = 30_000;
const STEP_TIMEOUT_MS = 15_000;
const WATCHDOG_MS = Number(process.env.E2E_TIMEOUT_MS || 180_000);

const OWNER = { org: 'Acme Test', name: 'Ada Owner', email: 'ada@acme.test', password: 'correct-horse-battery' };
const INVITEE = { name: 'Bea Invitee', email: 'bea@acme.test' };

let server = null;
let serverLog = '';
let browser = null;
let dataDir = null;
let cleanedUp = false;
const problems = []; // page errors and failed requests, checked at the end

function log(msg) {
  console.log(`[first_run] ${msg}`);
}

function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

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

// Spawns the server and resolves with the set-up link it prints on stdout.
function startServer(port) {
  return new Promise((resolve, reject) => {
    const args = ['serve', '--bind', `127.0.0.1:${port}`, '--data-dir', dataDir];
    log(`starting ${CHORUS_BIN} ${args.join(' ')}`);
    server = spawn(CHORUS_BIN, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1' },
    });
    let stdout = '';
    let settled = false;
    const settle = (fn, value) => {
      if (!settled) {
        settled = true;
        clearTimeout(timer);
        fn(value);
      }
    };
    const timer = setTimeout(
      () => settle(reject, new Error(`no set-up link on the server's stdout within ${SETUP_LINK_TIMEOUT_MS} ms`)),
      SETUP_LINK_TIMEOUT_MS,
    );
    const linkRe = new RegExp(`http://127\\.0\\.0\\.1:${port}/setup\\?token=[0-9a-f]{64}`);
    server.stdout.setEncoding('utf8');
    server.stderr.setEncoding('utf8');
    server.stdout.on('data', (chunk) => {
      stdout += chunk;
      serverLog += chunk;
      const m = stdout.match(linkRe);
      if (m) settle(resolve, m[0]);
    });
    server.stderr.on('data', (chunk) => {
      serverLog += chunk;
    });
    server.on('error', (err) => settle(reject, new Error(`could not start chorus: ${err.message}`)));
    server.on('exit', (code, signal) => {
      settle(reject, new Error(`chorus exited early (code ${code}, signal ${signal})`));
    });
  });
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

async function cleanup() {
  if (cleanedUp) return;
  cleanedUp = true;
  if (browser) await withTimeout(browser.close(), 10_000, 'browser to close').catch(() => {});
  await stopServer().catch(() => {});
  if (dataDir) await rm(dataDir, { recursive: true, force: true }).catch(() => {});
}

async function fail(err) {
  console.error(`[first_run] error: ${err && err.stack ? err.stack : err}`);
  if (serverLog) {
    const tail = serverLog.split('\n').slice(-40).join('\n');
    console.error(`[first_run] last lines of the server's output:\n${tail}`);
  }
  await cleanup();
  console.log('FAIL: browser first-run test');
  console.log('0 passed, 1 failed');
  process.exit(1);
}

for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => fail(new Error(`interrupted by ${sig}`)));
}
const watchdog = setTimeout(() => fail(new Error(`whole test exceeded ${WATCHDOG_MS} ms`)), WATCHDOG_MS);
watchdog.unref();

async function expectHeading(page, name) {
  await page.getByRole('heading', { name, exact: true }).waitFor({ state: 'visible' });
}

function expect(cond, msg) {
  if (!cond) throw new Error(`expectation failed: ${msg}`);
}

async function main() {
  if (!existsSync(CHORUS_BIN)) throw new Error(`chorus binary not found at ${CHORUS_BIN} (set CHORUS_BIN)`);
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`);

  dataDir = await mkdtemp(path.join(os.tmpdir(), 'chorus-e2e-'));
  const port = await freePort();
  const setupLink = await startServer(port);
  const base = `http://127.0.0.1:${port}`;
  log(`set-up link: ${setupLink}`);

  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    timeout: 30_000,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  context.setDefaultTimeout(STEP_TIMEOUT_MS);
  context.setDefaultNavigationTimeout(STEP_TIMEOUT_MS);
  const page = await context.newPage();
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('requestfailed', (req) => {
    problems.push(`request failed: ${req.method()} ${req.url()} (${req.failure()?.errorText})`);
  });
  page.on('response', (res) => {
    const url = new URL(res.url());
    if (res.status() >= 400 && url.pathname !== '/favicon.ico') {
      problems.push(`HTTP ${res.status()} for ${res.request().method()} ${res.url()}`);
    }
  });

  // 1. Set up the organization and the owner account.
  log('step 1: create the organization from the set-up link');
  await page.goto(setupLink);
  await expectHeading(page, 'Welcome to Chorus');
  await page.getByLabel('Organization name').fill(OWNER.org);
  await page.getByLabel('Your name').fill(OWNER.name);
  await page.getByLabel('Your e-mail').fill(OWNER.email);
  await page.getByLabel('Choose a password').fill(OWNER.password);
  await page.getByRole('button', { name: 'Create organization' }).click();
  await expectHeading(page, 'Hello, Ada');
  expect(new URL(page.url()).pathname !== '/setup', `still on the set-up page: ${page.url()}`);
  const css = await page.evaluate(() =>
    [...document.styleSheets].some((s) => s.href && s.href.endsWith('/assets/app.css') && s.cssRules.length > 0),
  );
  expect(css, 'the stylesheet /assets/app.css is loaded and has rules');

  // 2. Sign out, then sign in again.
  log('step 2: sign out and sign in again');
  await page.getByRole('banner').getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor({ state: 'detached' });
  await page.goto(`${base}/login`);
  await expectHeading(page, 'Sign in');
  await page.getByLabel('E-mail', { exact: true }).fill(OWNER.email);
  await page.getByLabel('Password', { exact: true }).fill(OWNER.password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await expectHeading(page, 'Hello, Ada');

  // 3. Invite a person and find them on the People list.
  log('step 3: invite a person');
  await page.goto(`${base}/people/new`);
  await expectHeading(page, 'Invite a person');
  await page.getByLabel('Name', { exact: true }).fill(INVITEE.name);
  await page.getByLabel('E-mail', { exact: true }).fill(INVITEE.email);
  await page.getByRole('button', { name: 'Send invitation' }).click();
  await page.waitForURL((url) => url.pathname === '/people');
  await expectHeading(page, 'People');
  const row = page.getByRole('row').filter({ hasText: INVITEE.email });
  await row.waitFor({ state: 'visible' });
  expect((await row.count()) === 1, `exactly one row for ${INVITEE.email}`);
  await row.getByRole('link', { name: INVITEE.name, exact: true }).waitFor({ state: 'visible' });
  await row.getByRole('cell', { name: INVITEE.email, exact: true }).waitFor({ state: 'visible' });
  await row.getByText('invited', { exact: true }).waitFor({ state: 'visible' });
  await page.screenshot({ path: SCREENSHOT, fullPage: true });
  log(`screenshot: ${SCREENSHOT}`);

  expect(problems.length === 0, `no page errors or failed requests, got:\n  ${problems.join('\n  ')}`);
}

try {
  await withTimeout(main(), WATCHDOG_MS, 'the whole test');
  await cleanup();
  clearTimeout(watchdog);
  console.log('PASS: browser first-run test (set up, sign out/in, invite)');
  console.log('1 passed, 0 failed');
  process.exit(0);
} catch (err) {
  await fail(err);
}
