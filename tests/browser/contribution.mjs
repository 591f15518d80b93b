// End-to-end "contribution" test for Chorus in headless Chromium, on a phone-sized screen.
//
// Starts `chorus serve --demo` (the "Northwind Outdoor" example company) on a free loopback
// port with an empty data folder, then, each person in a browser context of their own, on a
// 390×844 touch screen:
//   1. Marcus (employee, Field Operations) sends a photo with a caption from the submit form:
//      the file input takes images from the camera, the thank-you notice shows, and the photo
//      the server stored is served back and decodes (thumbnail and original);
//   2. no page of the walk scrolls sideways at phone width;
//   3. Tom (Field Operations lead) ticks it in his review queue with the keyboard and approves it
//      with the bulk form; only then does it reach Sam (social team), who approves it from its
//      page; Marcus finds it in the library by a word of the caption;
//   4. on the idea board a vote counts once: a new voter adds exactly one, a second vote (and
//      Elena's, who voted when the demo was seeded) changes nothing;
//   5. the editor checks guidelines while typing and autosaves;
//   6. on a laptop, Sam drags the demo's scheduled post to another day on the calendar.
// Screenshots: contribution-*.png next to this file.
//
// Usage:  npm install && node contribution.mjs
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
import zlib from 'node:zlib';
import { chromium } from 'playwright-core';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const CHORUS_BIN = path.resolve(process.env.CHORUS_BIN || path.join(HERE, '../../target/debug/chorus'));
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const READY_TIMEOUT_MS = 60_000;
const STEP_TIMEOUT_MS = 15_000;
const WATCHDOG_MS = Number(process.env.E2E_TIMEOUT_MS || 180_000);

const PASSWORD = 'chorus-demo-password'; // crates/chorus/src/demo.rs
const MARCUS = { name: 'Marcus', email: 'marcus@northwind.example' }; // employee, Field Operations
const TOM = { name: 'Tom', email: 'tom@northwind.example' }; // lead of Field Operations
const SAM = { name: 'Sam', email: 'sam@northwind.example' }; // social media team
const ELENA = { name: 'Elena', email: 'elena@northwind.example' }; // voted for the idea when seeded
const ROBERT = { name: 'Robert', email: 'robert@northwind.example' }; // has not voted yet
const IDEA = 'Volunteer trail clean-up day'; // seeded on the idea board
const DRAFT = 'Notes from the trail-sensor pilot'; // Elena's seeded draft blog post

// The contribution: no title typed, so the caption's first line becomes the title.
const SEARCH_WORD = 'Kestrel';
const CAPTION_FIRST_LINE = `New footbridge over ${SEARCH_WORD} Creek is open`;
const CAPTION = `${CAPTION_FIRST_LINE}\nThe crew finished the last planks this morning. #trails`;
const PHOTO = { name: 'kestrel-bridge.png', width: 640, height: 480 };
const PHOTO_SECRET = 'GPS 51.4778N 0.0015W'; // a text chunk in the upload that must not be served back

const PHONE = {
  viewport: { width: 390, height: 844 },
  screen: { width: 390, height: 844 },
  deviceScaleFactor: 3,
  isMobile: true,
  hasTouch: true,
  userAgent:
    'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Mobile Safari/537.36',
};

let server = null;
let serverLog = '';
let browser = null;
let dataDir = null;
let cleanupDone = null; // one clean-up, however many ways the run ends
let failing = false;
const problems = []; // page errors and failed requests, checked at the end
const checked = []; // what passed, printed at the end

function log(msg) {
  console.log(`[contribution] ${msg}`);
}

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

// ---------------------------------------------------------------- a real photo, from bytes

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function pngChunk(type, data) {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

// An RGB PNG: sky, a wavy green ridge and a brown footbridge, plus a tEXt chunk standing in
// for location metadata (the upload must lose it).
function makePhoto({ width, height }) {
  const raw = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) {
    const row = y * (width * 3 + 1);
    raw[row] = 0; // filter: none
    for (let x = 0; x < width; x++) {
      const ridge = height * 0.62 + 30 * Math.sin(x / 45);
      let rgb;
      if (y > height * 0.74 && y < height * 0.78 && x > width * 0.2 && x < width * 0.8) rgb = [120, 72, 40];
      else if (y > ridge) rgb = [34, 90 + (y % 40), 52];
      else rgb = [120 + Math.floor(y / 6), 170 + Math.floor(y / 10), 235];
      raw.set(rgb, row + 1 + x * 3);
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8 bits, truecolour, deflate, no filter, no interlace
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('tEXt', Buffer.from(`Location\0${PHOTO_SECRET}`, 'latin1')),
    pngChunk('IDAT', zlib.deflateSync(raw)),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
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

// Spawns `chorus serve --demo` and resolves once its sign-in page answers.
async function startServer(port) {
  const args = ['serve', '--demo', '--bind', `127.0.0.1:${port}`, '--data-dir', dataDir];
  log(`starting ${CHORUS_BIN} ${args.join(' ')}`);
  server = spawn(CHORUS_BIN, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
  server.stdout.setEncoding('utf8');
  server.stderr.setEncoding('utf8');
  server.stdout.on('data', (chunk) => (serverLog += chunk));
  server.stderr.on('data', (chunk) => (serverLog += chunk));
  const died = new Promise((_, reject) => {
    server.on('error', (err) => reject(new Error(`could not start chorus: ${err.message}`)));
    server.on('exit', (code, signal) => reject(new Error(`chorus exited early (code ${code}, signal ${signal})`)));
  });
  died.catch(() => {});
  const ready = (async () => {
    for (;;) {
      try {
        const res = await fetch(`http://127.0.0.1:${port}/login`);
        if (res.ok) return;
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

// Every caller waits for the same clean-up, so a second failure (the watchdog, a signal)
// cannot exit the process while the server is still being stopped.
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
  console.error(`[contribution] error: ${err && err.stack ? err.stack : err}`);
  if (serverLog) {
    const tail = serverLog.split('\n').slice(-40).join('\n');
    console.error(`[contribution] last lines of the server's output:\n${tail}`);
  }
  await cleanup();
  console.log(`${checked.length} checks passed before the failure`);
  console.log('FAIL: browser contribution test');
  console.log('0 passed, 1 failed');
  process.exit(1);
}

for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => fail(new Error(`interrupted by ${sig}`)));
}
// A last resort if the run hangs outside main() (main itself is bounded below).
const watchdog = setTimeout(() => fail(new Error(`whole test exceeded ${WATCHDOG_MS} ms`)), WATCHDOG_MS + 30_000);
watchdog.unref();

// ---------------------------------------------------------------- helpers

let base = '';

function watch(page, who) {
  page.on('pageerror', (err) => problems.push(`${who}: page error: ${err.message}`));
  page.on('requestfailed', (req) => {
    problems.push(`${who}: request failed: ${req.method()} ${req.url()} (${req.failure()?.errorText})`);
  });
  page.on('response', (res) => {
    const url = new URL(res.url());
    if (res.status() >= 400 && url.pathname !== '/favicon.ico') {
      problems.push(`${who}: HTTP ${res.status()} for ${res.request().method()} ${res.url()}`);
    }
  });
}

// A laptop-sized screen with a mouse, for dragging on the calendar.
const DESKTOP = { viewport: { width: 1280, height: 900 } };

// A fresh phone (browser context) for one person, signed in.
async function signIn(person, device = PHONE) {
  const context = await browser.newContext(device);
  context.setDefaultTimeout(STEP_TIMEOUT_MS);
  context.setDefaultNavigationTimeout(STEP_TIMEOUT_MS);
  const page = await context.newPage();
  watch(page, person.name);
  await page.goto(`${base}/login`);
  await page.getByLabel('E-mail', { exact: true }).fill(person.email);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  const signInButton = page.getByRole('button', { name: 'Sign in', exact: true });
  await (device.hasTouch ? signInButton.tap() : signInButton.click());
  await page.waitForURL((url) => url.pathname !== '/login');
  await page.getByRole('button', { name: 'Sign out' }).waitFor({ state: 'attached' });
  ok(`${person.name} signed in on a ${device === PHONE ? 'phone' : 'laptop'}-sized screen (${device.viewport.width}×${device.viewport.height})`);
  return { context, page };
}

// Nothing makes the page wider than the phone; names the widest culprits if something does.
async function noSidewaysScroll(page, what) {
  const m = await page.evaluate((phoneWidth) => {
    const doc = document.documentElement;
    const limit = Math.min(window.innerWidth, phoneWidth);
    const wide = [...document.querySelectorAll('body *')]
      .filter((el) => el.getBoundingClientRect().right > limit + 0.5)
      .slice(0, 5)
      .map((el) => {
        const r = el.getBoundingClientRect();
        const cls = typeof el.className === 'string' && el.className ? `.${el.className.trim().split(/\s+/).join('.')}` : '';
        return `<${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}${cls}> right edge ${Math.round(r.right)}px`;
      });
    return { scrollWidth: doc.scrollWidth, innerWidth: window.innerWidth, limit, wide };
  }, PHONE.viewport.width);
  expect(
    m.scrollWidth <= m.limit,
    `${what} does not scroll sideways at phone width (scrollWidth ${m.scrollWidth} <= ${m.limit})` +
      (m.scrollWidth > m.limit ? `; too wide: ${m.wide.join(', ')}` : ''),
  );
}

async function notice(page, text) {
  await page.getByRole('status').filter({ hasText: text }).waitFor({ state: 'visible' });
  ok(`notice shown: "${text}"`);
}

async function badge(page) {
  const b = page.locator('h1 + p.meta .badge');
  return { cls: await b.getAttribute('class'), text: (await b.innerText()).trim() };
}

function queueRow(page, title) {
  return page.locator('table.queue tbody tr').filter({ has: page.getByRole('link', { name: title, exact: true }) });
}

// The idea's vote button: "Vote for …", or, once the person has voted, a pressed and disabled
// "You voted for …".
function voteButton(page, idea) {
  return page.getByRole('button', { name: new RegExp(`^(Vote for|You voted for) ${idea}$`) });
}

// The number on the idea's vote button, as shown on the board.
async function votesOn(page, idea) {
  return Number((await voteButton(page, idea).locator('.votes').innerText()).trim());
}

async function hasVoted(page, idea) {
  const b = voteButton(page, idea);
  return (await b.getAttribute('aria-pressed')) === 'true' && (await b.isDisabled());
}

// Posts the vote form again without the button (which is disabled once voted), as a second tab
// or a double submit would: the server must still count the vote once.
async function voteAgainBehindTheButton(page, idea) {
  const form = voteButton(page, idea).locator('xpath=ancestor::form');
  const { status, redirected, landed } = await form.evaluate(async (f) => {
    const res = await fetch(f.action, { method: 'POST', body: new URLSearchParams(new FormData(f)) });
    await res.text(); // read to the end, so the reload below does not abort it
    return { status: res.status, redirected: res.redirected, landed: new URL(res.url).pathname };
  });
  expect(redirected && status === 200 && landed === '/ideas', `a repeated vote is accepted and ignored (back on ${landed}, HTTP ${status})`);
  await page.reload();
  await page.getByRole('heading', { name: 'Idea board', exact: true }).waitFor();
}

// Taps the idea's vote button and waits for the board to come back (the form posts, then
// redirects to /ideas, the URL it started from).
async function voteFor(page, idea) {
  const board = page.waitForResponse(
    (res) => res.request().method() === 'GET' && new URL(res.url()).pathname === '/ideas',
  );
  const posted = page.waitForResponse(
    (res) => res.request().method() === 'POST' && new URL(res.url()).pathname.endsWith('/vote'),
  );
  await page.getByRole('button', { name: `Vote for ${idea}`, exact: true }).tap();
  const post = await posted;
  expect(post.status() === 303 || post.status() === 302, `the vote form posts and redirects (HTTP ${post.status()})`);
  await board;
  await page.waitForLoadState('load');
  await page.getByRole('heading', { name: 'Idea board', exact: true }).waitFor();
}

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
    // Our own signal handlers close the browser and stop the server; Playwright's would exit
    // the process first and leave chorus running.
    handleSIGINT: false,
    handleSIGTERM: false,
    handleSIGHUP: false,
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

  // 1. Marcus sends a photo from his phone.
  log('step 1: Marcus sends a photo from the submit form');
  const photo = makePhoto(PHOTO);
  const marcus = await signIn(MARCUS);
  let page = marcus.page;
  await page.goto(`${base}/submit`);
  await page.getByRole('heading', { name: 'Share something worth publishing', exact: true }).waitFor();
  const file = page.getByLabel('Photo or file', { exact: true });
  const accept = (await file.getAttribute('accept')) || '';
  expect(accept.split(',').map((s) => s.trim()).includes('image/*'), `the file input accepts images (accept="${accept}")`);
  const capture = await file.getAttribute('capture');
  expect(capture !== null, `the file input has the capture attribute (capture="${capture}"), so a phone offers the camera`);

  // 2. The submit form fits the phone.
  log('step 2: the submit form fits a phone screen');
  await noSidewaysScroll(page, '/submit');

  const photoKind = page.getByRole('radio', { name: 'Photo', exact: true });
  await photoKind.tap();
  expect(await photoKind.isChecked(), 'kind "Photo" is chosen');
  await file.setInputFiles({ name: PHOTO.name, mimeType: 'image/png', buffer: photo });
  ok(`photo attached: ${PHOTO.name}, ${PHOTO.width}×${PHOTO.height} PNG, ${photo.length} bytes`);
  await page.getByLabel('Caption or text', { exact: true }).fill(CAPTION);
  await page.getByRole('button', { name: 'Send to the social team', exact: true }).tap();
  await page.waitForURL((url) => /^\/submissions\/[0-9a-f-]{36}$/.test(url.pathname));
  const landed = new URL(page.url());
  const submissionId = landed.pathname.split('/').pop();
  expect(
    landed.searchParams.get('notice') === 'submitted',
    `sent for review: redirected to /submissions/${submissionId}?notice=${landed.searchParams.get('notice')}`,
  );
  await notice(page, 'Thank you! It is on its way to review.');
  await page.getByRole('heading', { name: CAPTION_FIRST_LINE, exact: true }).waitFor();
  ok(`the caption's first line became the title: "${CAPTION_FIRST_LINE}"`);
  let b = await badge(page);
  expect(b.cls.includes('status-lead_review'), `status: "${b.text}" (first the Field Operations lead)`);

  const img = page.locator('figure.media img');
  await img.waitFor({ state: 'visible' });
  const src = await img.getAttribute('src');
  const mediaMatch = /^\/media\/([0-9a-f-]{36})\?thumb=1$/.exec(src || '');
  expect(mediaMatch !== null, `the photo is shown from the server: <img src="${src}" alt="${await img.getAttribute('alt')}">`);
  const mediaId = mediaMatch[1];
  await page.waitForFunction((el) => el.complete, await img.elementHandle());
  const thumb = await img.evaluate((el) => ({ w: el.naturalWidth, h: el.naturalHeight }));
  expect(thumb.w > 0 && thumb.h > 0, `the thumbnail decodes in the browser (${thumb.w}×${thumb.h})`);
  expect(
    Math.abs(thumb.w / thumb.h - PHOTO.width / PHOTO.height) < 0.02 && thumb.w <= PHOTO.width,
    'the thumbnail keeps the photo\'s 4:3 shape and is no larger than it',
  );
  const original = await page.evaluate(async (url) => {
    const i = new Image();
    i.src = url;
    await i.decode();
    return { w: i.naturalWidth, h: i.naturalHeight };
  }, `/media/${mediaId}`);
  expect(
    original.w === PHOTO.width && original.h === PHOTO.height,
    `the stored original decodes at full size (${original.w}×${original.h})`,
  );
  const served = await marcus.context.request.get(`${base}/media/${mediaId}`);
  const servedBytes = await served.body();
  expect(
    served.ok() && (served.headers()['content-type'] || '').startsWith('image/'),
    `GET /media/${mediaId} → ${served.status()} ${served.headers()['content-type']}, ${servedBytes.length} bytes`,
  );
  expect(!servedBytes.includes(Buffer.from(PHOTO_SECRET)), 'the location text in the upload is not served back');
  await noSidewaysScroll(page, 'the submission page');
  await page.screenshot({ path: path.join(HERE, 'contribution-submitted.png'), fullPage: true });

  // 3. Tom (lead), then Sam (social team), then it is in the library.
  log('step 3: review by the lead, then the social team');
  const sam = await signIn(SAM);
  await sam.page.goto(`${base}/review`);
  await sam.page.getByRole('heading', { name: 'Waiting for your review', exact: true }).waitFor();
  expect(
    (await queueRow(sam.page, CAPTION_FIRST_LINE).count()) === 0,
    'not yet in the social team\'s queue while it waits for the lead',
  );

  const tom = await signIn(TOM);
  page = tom.page;
  await page.goto(`${base}/review`);
  await page.getByRole('heading', { name: 'Waiting for your review', exact: true }).waitFor();
  let row = queueRow(page, CAPTION_FIRST_LINE);
  expect((await row.count()) === 1, 'Tom\'s queue has the new submission, found by its title');
  await noSidewaysScroll(page, '/review');
  await page.screenshot({ path: path.join(HERE, 'contribution-review.png'), fullPage: true });
  // Keyboard only: from the title link, Shift+Tab back to the row's checkbox and tick it with Space.
  const box = row.getByRole('checkbox', { name: `Select ${CAPTION_FIRST_LINE}`, exact: true });
  await row.getByRole('link', { name: CAPTION_FIRST_LINE, exact: true }).focus();
  await page.keyboard.press('Shift+Tab');
  expect(await box.evaluate((el) => el === document.activeElement), 'Shift+Tab from the title reaches its checkbox');
  await page.keyboard.press('Space');
  expect(await box.isChecked(), 'Space ticks the checkbox');
  const others = await page.locator('table.queue input[name=ids]:checked').count();
  expect(others === 1, 'only that one row is ticked');
  await page.getByLabel(/^Comment/).fill('Great shot, Marcus');
  await page.keyboard.press('Tab');
  const approveSelected = page.getByRole('button', { name: 'Approve selected', exact: true });
  expect(
    await approveSelected.evaluate((el) => el === document.activeElement),
    'Tab from the comment reaches "Approve selected"',
  );
  await page.keyboard.press('Enter');
  await page.waitForURL((url) => url.pathname === '/review' && url.searchParams.get('notice') === 'decided');
  await notice(page, 'Decisions recorded.');
  expect((await queueRow(page, CAPTION_FIRST_LINE).count()) === 0, 'approved by Tom, it has left his queue');

  page = sam.page;
  await page.goto(`${base}/review`);
  row = queueRow(page, CAPTION_FIRST_LINE);
  expect((await row.count()) === 1, 'now it waits in Sam\'s (social team) queue');
  await noSidewaysScroll(page, '/review (social team, several rows)');
  await row.getByRole('link', { name: CAPTION_FIRST_LINE, exact: true }).tap();
  await page.waitForURL((url) => url.pathname === `/submissions/${submissionId}`);
  b = await badge(page);
  expect(b.cls.includes('status-team_review'), `status: "${b.text}"`);
  await page.locator('section.decide').getByLabel(/^Comment/).fill('Scheduling it for the spring campaign');
  await page.locator('section.decide').getByRole('button', { name: 'Approve', exact: true }).tap();
  await page.waitForURL((url) => url.pathname === `/submissions/${submissionId}` && url.searchParams.get('notice') === 'saved');
  await notice(page, 'Saved.');
  b = await badge(page);
  expect(b.cls.includes('status-approved'), `status after Sam's approval: "${b.text}"`);
  const history = await page.locator('ol.history li').allInnerTexts();
  expect(
    history.some((h) => h.includes('Tom') && h.includes('Great shot')) &&
      history.some((h) => h.includes('Sam') && h.includes('spring campaign')),
    'the history records both decisions with their comments',
  );
  await noSidewaysScroll(page, 'the submission page (reviewer)');

  page = marcus.page;
  await page.goto(`${base}/library`);
  const search = page.getByRole('searchbox', { name: 'Search' });
  await search.fill(SEARCH_WORD);
  await search.press('Enter');
  await page.waitForURL((url) => url.pathname === '/library' && url.searchParams.get('q') === SEARCH_WORD);
  const card = page.locator('ul.cards li.card').filter({ has: page.getByRole('link', { name: CAPTION_FIRST_LINE, exact: true }) });
  expect((await card.count()) === 1, `Marcus finds it in the library by searching "${SEARCH_WORD}"`);
  const cards = await page.locator('ul.cards li.card').count();
  expect(cards === 1, `the search shows only matching content (${cards} card)`);
  await noSidewaysScroll(page, `/library?q=${SEARCH_WORD}`);

  // 4. The idea board: a vote counts once.
  log('step 4: votes on the idea board');
  const elena = await signIn(ELENA);
  page = elena.page;
  await page.goto(`${base}/ideas`);
  await page.getByRole('heading', { name: 'Idea board', exact: true }).waitFor();
  await noSidewaysScroll(page, '/ideas');
  const seeded = await votesOn(page, IDEA);
  log(`  "${IDEA}" shows ${seeded} votes`);
  expect(await hasVoted(page, IDEA), 'Elena, who voted when the demo was seeded, sees her vote (pressed, disabled)');
  await voteAgainBehindTheButton(page, IDEA);
  expect((await votesOn(page, IDEA)) === seeded, `Elena's repeated vote leaves it at ${seeded}`);

  const robert = await signIn(ROBERT);
  page = robert.page;
  await page.goto(`${base}/ideas`);
  const before = await votesOn(page, IDEA);
  expect(before === seeded, `Robert sees the same ${before} votes`);
  expect(!(await hasVoted(page, IDEA)), 'Robert has not voted yet: the button is active');
  await voteFor(page, IDEA);
  const after = await votesOn(page, IDEA);
  expect(after === before + 1, `Robert's vote adds exactly one (${before} → ${after})`);
  expect(await hasVoted(page, IDEA), 'the board now shows Robert his vote');
  await voteAgainBehindTheButton(page, IDEA);
  expect((await votesOn(page, IDEA)) === after, `voting again leaves it at ${after}`);
  await page.screenshot({ path: path.join(HERE, 'contribution-ideas.png'), fullPage: true });

  // 5. With JavaScript on: the editor checks the brand guidelines while typing and autosaves the
  // draft (the forms work without it; this is the enhancement).
  log('step 5: live guideline check and autosave in the editor');
  page = elena.page;
  await page.goto(`${base}/submissions`);
  await page.getByRole('link', { name: DRAFT, exact: true }).tap();
  await page.getByRole('link', { name: 'Edit', exact: true }).tap();
  await page.locator('#body').waitFor();
  const addition = ' Sensors survived the frost.';
  await page.locator('#body').press('End');
  await page.locator('#body').pressSequentially(addition);
  await page.locator('#guideline-live').getByText(/x: \d+\/280/).waitFor({ timeout: STEP_TIMEOUT_MS });
  ok('the editor shows the length as X counts it while typing');
  await page.locator('#autosave-status').getByText('Draft saved.').waitFor({ timeout: 12_000 });
  ok('the draft autosaved without pressing Save');
  await page.reload();
  const saved = await page.locator('#body').inputValue();
  expect(saved.endsWith(addition.trim()), `after a reload the typed text is there ("…${saved.slice(-30)}")`);

  // 6. With JavaScript on: the social team drags a scheduled post to another day on the
  // calendar; the post's own "Move" form is submitted, so the server applies the same checks.
  log('step 6: drag a post to another day on the calendar');
  const samDesk = await signIn(SAM, DESKTOP);
  page = samDesk.page;
  let post = null;
  for (const months of [0, 1]) {
    const first = new Date();
    first.setUTCDate(1);
    first.setUTCMonth(first.getUTCMonth() + months);
    await page.goto(`${base}/calendar?view=month&start=${first.toISOString().slice(0, 10)}`);
    post = page.locator('.post[draggable="true"]').first();
    if ((await post.count()) > 0) break;
  }
  expect((await post.count()) > 0, 'the calendar shows the demo\'s scheduled team-chat post, draggable');
  const postId = await post.getAttribute('data-post');
  const time = await post.getAttribute('data-time');
  const from = await post.evaluate((el) => el.closest('td').dataset.date);
  const to = await page.evaluate((day) => {
    const cells = [...document.querySelectorAll('td[data-date]')];
    const i = cells.findIndex((c) => c.dataset.date === day);
    return (cells[i + 1] || cells[i - 1]).dataset.date;
  }, from);
  await post.dragTo(page.locator(`td[data-date="${to}"]`));
  await page.waitForURL((url) => url.search.includes('notice=rescheduled'));
  await notice(page, 'Moved.');
  const moved = page.locator(`#post-${postId}`);
  expect((await moved.evaluate((el) => el.closest('td').dataset.date)) === to, `the post moved from ${from} to ${to}`);
  expect((await moved.getAttribute('data-time')) === time, `at the same time of day (${time} UTC)`);

  expect(problems.length === 0, `no page errors or failed requests${problems.length ? `, got:\n  ${problems.join('\n  ')}` : ''}`);
}

const started = Date.now();
try {
  await withTimeout(main(), WATCHDOG_MS, 'the whole test');
  await cleanup();
  clearTimeout(watchdog);
  console.log(`${checked.length} checks in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  console.log('PASS: browser contribution test (phone: photo submit, lead + team review, library, idea vote; editor; calendar drag)');
  console.log('1 passed, 0 failed');
  process.exit(0);
} catch (err) {
  await fail(err);
}
