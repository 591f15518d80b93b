// Shared harness for the headless-Chromium tests: starts `chorus serve --demo` on a free loopback
// port with an empty data folder, launches Chromium with no host resolving but the server's,
// signs people in, records page errors and failed requests, and cleans up however the run ends.
//
// Env: CHORUS_BIN (default ../../target/debug/chorus, relative to this file), CHROMIUM_PATH
// (default /usr/bin/chromium), E2E_TIMEOUT_MS (watchdog, default 180000).

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const CHORUS_BIN = path.resolve(process.env.CHORUS_BIN || path.join(HERE, '../../target/debug/chorus'));
export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
export const PASSWORD = 'chorus-demo-password'; // crates/chorus/src/demo.rs
const READY_TIMEOUT_MS = 60_000;
const STEP_TIMEOUT_MS = 15_000;
const WATCHDOG_MS = Number(process.env.E2E_TIMEOUT_MS || 180_000);

export const PHONE = {
  viewport: { width: 390, height: 844 },
  screen: { width: 390, height: 844 },
  deviceScaleFactor: 3,
  isMobile: true,
  hasTouch: true,
  userAgent:
    'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Mobile Safari/537.36',
};
export const LAPTOP = { viewport: { width: 1280, height: 900 } };

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

/// One test run named `name`: `run(main, summary)` starts the demo and the browser, calls
/// `main(t)`, and prints PASS/FAIL with the checks made.
export function demoRun(name) {
  const t = {
    base: '',
    browser: null,
    problems: [],
    /// Requests to other hosts: none resolves (Chromium runs with every host but the server's
    /// mapped to nothing), so they fail, and a test may check which were attempted.
    outside: [],
    checked: [],
    stepTimeout: STEP_TIMEOUT_MS,
    log: (msg) => console.log(`[${name}] ${msg}`),
  };
  let server = null;
  let serverLog = '';
  let dataDir = null;
  let cleanupDone = null;
  let failing = false;

  t.ok = (msg) => {
    t.checked.push(msg);
    t.log(`  ok: ${msg}`);
  };
  t.expect = (cond, msg) => {
    if (!cond) throw new Error(`expectation failed: ${msg}`);
    t.ok(msg);
  };
  t.withTimeout = withTimeout;
  t.shot = (page, shot) => page.screenshot({ path: path.join(HERE, `${name}-${shot}.png`), fullPage: true });

  async function startServer(port) {
    const args = ['serve', '--demo', '--bind', `127.0.0.1:${port}`, '--data-dir', dataDir];
    t.log(`starting ${CHORUS_BIN} ${args.join(' ')}`);
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
      server.kill('SIGKILL');
      await withTimeout(exited, 5_000, 'chorus to stop after SIGKILL').catch(() => {});
    }
  }

  function cleanup() {
    cleanupDone ||= (async () => {
      if (t.browser) await withTimeout(t.browser.close(), 10_000, 'browser to close').catch(() => {});
      await stopServer().catch(() => {});
      if (dataDir) await rm(dataDir, { recursive: true, force: true }).catch(() => {});
    })();
    return cleanupDone;
  }

  async function fail(err) {
    if (failing) return;
    failing = true;
    console.error(`[${name}] error: ${err && err.stack ? err.stack : err}`);
    if (serverLog) console.error(`[${name}] last lines of the server's output:\n${serverLog.split('\n').slice(-40).join('\n')}`);
    await cleanup();
    console.log(`${t.checked.length} checks passed before the failure`);
    console.log(`FAIL: browser ${name} test`);
    console.log('0 passed, 1 failed');
    process.exit(1);
  }

  t.watch = (page, who) => {
    page.on('pageerror', (err) => t.problems.push(`${who}: page error: ${err.message}`));
    page.on('requestfailed', (req) => {
      const failure = `${req.method()} ${req.url()} (${req.failure()?.errorText})`;
      if (new URL(req.url()).hostname !== '127.0.0.1') t.outside.push(failure);
      else t.problems.push(`${who}: request failed: ${failure}`);
    });
    page.on('response', (res) => {
      if (res.status() >= 400 && new URL(res.url()).pathname !== '/favicon.ico') {
        t.problems.push(`${who}: HTTP ${res.status()} for ${res.request().method()} ${res.url()}`);
      }
    });
  };

  /// A browser context for one demo person, signed in through the real form.
  t.signIn = async (person, device) => {
    const context = await t.browser.newContext(device);
    context.setDefaultTimeout(STEP_TIMEOUT_MS);
    context.setDefaultNavigationTimeout(STEP_TIMEOUT_MS);
    const page = await context.newPage();
    t.watch(page, person.name);
    await page.goto(`${t.base}/login`);
    await page.getByLabel('E-mail', { exact: true }).fill(person.email);
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    const button = page.getByRole('button', { name: 'Sign in', exact: true });
    await (device.hasTouch ? button.tap() : button.click());
    await page.waitForURL((url) => url.pathname !== '/login');
    await page.getByRole('button', { name: 'Sign out' }).waitFor({ state: 'attached' });
    t.ok(`${person.name} signed in on a ${device.isMobile ? 'phone' : 'laptop'}-sized screen (${device.viewport.width}×${device.viewport.height})`);
    return { context, page };
  };

  t.noSidewaysScroll = async (page, what) => {
    const limit = page.viewportSize().width;
    const m = await page.evaluate((limit) => {
      const wide = [...document.querySelectorAll('body *')]
        .filter((el) => el.getBoundingClientRect().right > limit + 0.5)
        .slice(0, 5)
        .map((el) => `<${el.tagName.toLowerCase()}${el.className ? `.${String(el.className).trim().split(/\s+/).join('.')}` : ''}>`);
      return { scrollWidth: document.documentElement.scrollWidth, wide };
    }, limit);
    t.expect(
      m.scrollWidth <= limit,
      `${what} does not scroll sideways at ${limit} px (scrollWidth ${m.scrollWidth})` + (m.wide.length ? `; too wide: ${m.wide.join(', ')}` : ''),
    );
  };

  t.run = async (main, summary) => {
    for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => fail(new Error(`interrupted by ${sig}`)));
    process.on('unhandledRejection', (err) => fail(err));
    const watchdog = setTimeout(() => fail(new Error(`whole test exceeded ${WATCHDOG_MS} ms`)), WATCHDOG_MS + 30_000);
    watchdog.unref();
    const started = Date.now();
    try {
      if (!existsSync(CHORUS_BIN)) throw new Error(`chorus binary not found at ${CHORUS_BIN} (set CHORUS_BIN)`);
      if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`);
      dataDir = await mkdtemp(path.join(os.tmpdir(), 'chorus-e2e-'));
      const port = await freePort();
      t.base = `http://127.0.0.1:${port}`;
      await startServer(port);
      t.log(`demo company is up at ${t.base}`);
      t.browser = await chromium.launch({
        executablePath: CHROMIUM,
        headless: true,
        timeout: 30_000,
        handleSIGINT: false,
        handleSIGTERM: false,
        handleSIGHUP: false,
        args: ['--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      });
      await withTimeout(main(t), WATCHDOG_MS, 'the whole test');
      t.expect(t.problems.length === 0, `no page errors or failed requests${t.problems.length ? `, got:\n  ${t.problems.join('\n  ')}` : ''}`);
      await cleanup();
      clearTimeout(watchdog);
      console.log(`${t.checked.length} checks in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      console.log(`PASS: browser ${name} test (${summary})`);
      console.log('1 passed, 0 failed');
      process.exit(0);
    } catch (err) {
      await fail(err);
    }
  };
  return t;
}
