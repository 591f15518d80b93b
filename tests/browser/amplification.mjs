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
// Usage:  npm install && node amplification.mjs   (env: see harness.mjs)

import { LAPTOP, PHONE, demoRun } from './harness.mjs';

const ORG = 'Northwind Outdoor';
const MARCUS = { name: 'Marcus', email: 'marcus@northwind.example' }; // employee, Field Operations
const SAM = { name: 'Sam', email: 'sam@northwind.example' }; // social media team
const DISCLOSURE = `(I work at ${ORG})`; // chorus_app::amplify::disclosure

const t = demoRun('amplification');

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
    const first = await t.withTimeout(Promise.race([away, blocked.then((csp) => ({ csp }))]), t.stepTimeout, what);
    if (first.csp) throw new Error(`${what}: the browser blocked it: ${first.csp}`);
    await errorPage;
    return first;
  } finally {
    page.off('console', onConsole);
  }
}

async function main(t) {
  const base = t.base;
  // 1. The share hub on a phone.
  t.log('step 1: Marcus opens the share hub on his phone');
  const marcus = await t.signIn(MARCUS, PHONE);
  let page = marcus.page;
  await page.goto(`${base}/share`);
  await page.getByRole('heading', { name: 'Share', exact: true, level: 1 }).waitFor();
  const cards = page.locator('form.share-card');
  const count = await cards.count();
  t.expect(count >= 1, `the hub shows ${count} item card(s)`);
  const card = cards.first();
  const itemTitle = (await card.locator('h2').evaluate((h) => h.firstChild.textContent)).trim(); // without the badge
  const kind = (await card.locator('h2 .badge').innerText()).trim();
  const caption = await card.getByLabel('Caption', { exact: true }).inputValue();
  t.expect(caption.length > DISCLOSURE.length && caption.endsWith(DISCLOSURE), `"${itemTitle}" (${kind}) has a suggested caption ending with the disclosure: "${caption.slice(0, 40)}… ${DISCLOSURE}"`);
  const buttons = await card.locator('.share-buttons button').allInnerTexts();
  t.expect(buttons.includes('Share on X') && buttons.includes('Share on LinkedIn'), `the card offers ${buttons.join(', ')}`);
  await t.noSidewaysScroll(page, '/share');
  await t.shot(page, 'hub');

  // 2. Share on X: the form makes the tracked link and redirects to X's share intent.
  t.log('step 2: he shares it on X');
  const toX = await navigationAway(
    page,
    () => card.getByRole('button', { name: 'Share on X', exact: true }).tap(),
    'the share form to lead to X',
  );
  const post = toX.redirectedFrom();
  const postStatus = post ? (await post.response())?.status() : 0;
  t.expect(post && post.method() === 'POST' && new URL(post.url()).pathname === '/share' && postStatus === 303, `POST /share answers ${postStatus}`);
  const intent = new URL(toX.url());
  t.expect(intent.origin + intent.pathname === 'https://x.com/intent/tweet', `and the browser goes to X's share intent (${intent.origin}${intent.pathname})`);
  const tracked = intent.searchParams.get('url') || '';
  const m = new RegExp(`^${base.replace(/\./g, '\\.')}/s/([0-9A-Za-z]+)$`).exec(tracked);
  t.expect(m !== null, `its url= is the tracked link: ${tracked}`);
  const code = m[1];
  t.expect(code.length >= 8, `the code "${code}" is ${code.length} base62 characters`);
  t.expect((intent.searchParams.get('text') || '').trim() === caption.trim(), 'its text= is the caption, disclosure included');

  // 3. The tracked link redirects to the content's link, tagged.
  t.log('step 3: someone follows the tracked link');
  const toSite = await navigationAway(page, () => page.goto(tracked).catch(() => {}), 'the tracked link to lead on');
  const hop = toSite.redirectedFrom();
  const hopStatus = hop ? (await hop.response())?.status() : 0;
  t.expect(hop && hop.url() === tracked && hopStatus === 302, `GET /s/${code} answers ${hopStatus}`);
  const dest = new URL(toSite.url());
  t.expect(dest.protocol === 'https:', `and the browser goes to the content's own page: ${dest.origin}${dest.pathname}`);
  const utm = Object.fromEntries([...dest.searchParams].filter(([k]) => k.startsWith('utm_')));
  t.expect(
    utm.utm_source === 'x' && utm.utm_medium === 'employee_advocacy' && utm.utm_content === code && !!utm.utm_campaign,
    `tagged ${new URLSearchParams(utm)}`,
  );

  // 4. "My shares" lists it, with the one click (written by the click writer within ~100 ms).
  t.log('step 4: "My shares" counts the click');
  let row = null;
  let people = '';
  for (const until = Date.now() + 5_000; ; ) {
    await page.goto(`${base}/me/shares`);
    row = page.locator('table.list tbody tr').filter({ has: page.locator('code', { hasText: tracked }) });
    if ((await row.count()) === 1) people = (await row.locator('td').nth(3).innerText()).trim();
    if (people === '1' || Date.now() > until) break;
    await new Promise((r) => setTimeout(r, 300));
  }
  t.expect((await row.count()) === 1, `/me/shares lists the share (${tracked})`);
  const cells = (await row.locator('td').allInnerTexts()).map((c) => c.trim());
  t.expect(cells[0] === itemTitle && cells[1] === 'X', `the row reads "${cells[0]}" on ${cells[1]}, shared ${cells[2]}`);
  t.expect(people === '1', `it shows ${people} person's click (preview robots: ${cells[4]})`);
  await t.shot(page, 'my-shares');

  // 5. The analytics dashboard on a laptop.
  t.log('step 5: Sam opens the analytics dashboard');
  const sam = await t.signIn(SAM, LAPTOP);
  page = sam.page;
  await page.goto(`${base}/analytics`);
  await page.getByRole('heading', { name: 'Analytics', exact: true, level: 1 }).waitFor();
  const chart = page.locator('svg.chart');
  await chart.waitFor({ state: 'visible' });
  const box = await chart.boundingBox();
  t.expect(box && box.width > 300 && box.height > 100, `the chart is visible (${Math.round(box.width)}×${Math.round(box.height)} px)`);
  const bars = await chart.locator('g.bars rect').evaluateAll((rs) => rs.map((r) => Number(r.getAttribute('height'))));
  const drawn = bars.filter((h) => h > 0).length;
  t.expect(drawn >= 1, `${drawn} of its ${bars.length} day bars have a height above 0`);
  const desc = await chart.locator('desc').textContent();
  const [clicks, shares] = [...desc.matchAll(/in all: (\d+)/g)].map((x) => Number(x[1]));
  t.expect(clicks > 0 && shares > 0, `its description gives the totals: "${desc}"`);
  const summary = Object.fromEntries(
    (await page.locator('#summary tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.cells].map((c) => c.textContent.trim())))),
  );
  t.expect(
    Number(summary["People's clicks"]) === clicks && Number(summary.Shares) === shares,
    `the chart agrees with the summary table (${summary["People's clicks"]} people's clicks, ${summary.Shares} shares)`,
  );
  const works = page.locator('section#what-works');
  const worksRows = await works.locator('tbody tr').count();
  t.expect(worksRows > 0, `"What works" lists ${worksRows} item(s), first: "${(await works.locator('tbody tr td').first().innerText()).trim()}"`);
  const headers = (await works.locator('thead th').allInnerTexts()).map((h) => h.trim());
  const href = await works.getByRole('link', { name: 'CSV', exact: true }).getAttribute('href');
  const csv = await page.request.get(new URL(href, base).href);
  const text = await csv.text();
  const lines = text.trim().split(/\r?\n/);
  t.expect(csv.ok() && (csv.headers()['content-type'] || '').startsWith('text/csv'), `GET ${href} → ${csv.status()} ${csv.headers()['content-type']}`);
  t.expect(lines[0] === headers.join(','), `the CSV starts with the table's header line: ${lines[0]}`);
  t.expect(lines.length - 1 === worksRows, `and has the table's ${worksRows} row(s)`);
  await t.shot(page, 'analytics');

  t.expect(t.outside.length === 2, `nothing left the machine: the ${t.outside.length} navigations to other hosts did not resolve (${t.outside.map((o) => o.replace(/\?.*\(/, '… (')).join('; ')})`);
}

await t.run(main, 'phone: share hub, share on X, tracked link, my shares; laptop: analytics chart and CSV');
