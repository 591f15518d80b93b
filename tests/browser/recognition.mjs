// End-to-end "recognition" test for Chorus in headless Chromium (issue 7, acceptance 5).
//
// In the demo company:
//   1. Jonas, on a phone, thanks Elena for her work with a shout-out from the company feed, and
//      lands on Elena's wall with the shout-out at the top (escaped as text, a reaction button
//      under it, no sideways scroll);
//   2. Elena, on a laptop, sees the thanks on her wall, adds a reaction, finds herself on the
//      all-time leaderboard, hides herself from leaderboards, and is gone from every period's
//      board while her points stay hers; then she comes back.
// Screenshots: recognition-*.png next to this file.
//
// Usage:  npm install && node recognition.mjs   (env: see harness.mjs)

import { LAPTOP, PHONE, demoRun } from './harness.mjs';

const JONAS = { name: 'Jonas', email: 'jonas@northwind.example' }; // employee, Sales
const ELENA = { name: 'Elena', email: 'elena@northwind.example' }; // employee, Engineering
const MESSAGE = 'Thank you for fixing the booking form <so quickly> & for explaining it!';

const t = demoRun('recognition');

await t.run(async () => {
  t.log('step 1: Jonas thanks Elena from his phone');
  const jonas = await t.signIn(JONAS, PHONE);
  let page = jonas.page;
  await page.goto(`${t.base}/shoutouts`);
  await page.getByRole('heading', { level: 1, name: 'Shout-outs' }).waitFor();
  const demoThanks = await page.locator('li.shoutout').count();
  t.expect(demoThanks >= 3, `the company feed shows the demo's thanks (${demoThanks})`);
  await page.getByLabel('Thank').selectOption({ label: 'Elena Petrova' });
  await page.getByLabel('For what?').fill(MESSAGE);
  await t.noSidewaysScroll(page, 'the shout-out form');
  await page.getByRole('button', { name: 'Post the shout-out' }).tap();
  await page.waitForURL((url) => url.pathname.startsWith('/shoutouts/people/') && url.searchParams.get('notice') === 'thanked');
  await page.getByRole('heading', { level: 1, name: 'Thanks for Elena Petrova' }).waitFor();
  const top = page.locator('li.shoutout').first();
  t.expect((await top.locator('blockquote').innerText()).trim() === MESSAGE, 'the shout-out is on her wall, as typed (escaped text)');
  t.expect((await top.locator('.meta').first().innerText()).includes('Jonas Berg'), 'signed by Jonas');
  const button = top.getByRole('button', { name: /^clap/ });
  const box = await button.boundingBox();
  t.expect(box && box.height >= 32, `reactions are tappable (${Math.round(box.height)} px)`);
  await t.noSidewaysScroll(page, 'the wall');
  await t.shot(page, 'phone-wall');

  t.log('step 2: Elena reads it, reacts, and leaves the leaderboards');
  const elena = await t.signIn(ELENA, LAPTOP);
  page = elena.page;
  await page.goto(`${t.base}/notifications`);
  t.expect((await page.getByText('Jonas Berg thanked you').count()) > 0, 'Elena was notified');
  await page.getByRole('button', { name: /Jonas Berg thanked you/ }).first().click();
  await page.getByRole('heading', { level: 1, name: 'Thanks for Elena Petrova' }).waitFor();
  const mine = page.locator('li.shoutout').first();
  t.expect((await mine.locator('blockquote').innerText()).trim() === MESSAGE, 'she sees it on her wall');
  await mine.getByRole('button', { name: 'party (0)' }).click();
  await page.locator('li.shoutout').first().getByRole('button', { name: 'party (1)' }).waitFor();
  t.ok('her reaction is counted, once');
  await t.shot(page, 'laptop-wall');

  await page.goto(`${t.base}/leaderboard?period=all`);
  const board = page.locator('table#leaderboard');
  await board.waitFor();
  const before = await board.locator('tbody th').allInnerTexts();
  t.expect(before.includes('Elena Petrova'), `Elena is on the all-time board (${before.length} people)`);
  t.expect(!before.includes('Robert Wells'), 'Robert, who opted out in the demo, is not');
  await t.shot(page, 'leaderboard');
  await page.getByRole('button', { name: 'Hide me from leaderboards' }).click();
  await page.waitForURL((url) => url.searchParams.get('notice') === 'left_board');
  for (const period of ['week', 'month', 'year', 'all']) {
    await page.goto(`${t.base}/leaderboard?period=${period}`);
    const names = await page.locator('table#leaderboard tbody th').allInnerTexts();
    t.expect(!names.includes('Elena Petrova'), `${period}: Elena is hidden (${names.length} others shown)`);
  }
  t.expect((await page.getByText('You are not shown on leaderboards').count()) === 1, 'the page says so, and how to come back');
  const points = await page.locator('section', { hasText: 'You earned' }).innerText();
  t.expect(/You earned [1-9]\d* points/.test(points), `her points stay hers (${points.match(/You earned \d+ points/)[0]})`);
  await page.getByRole('button', { name: 'Show me on leaderboards again' }).click();
  await page.waitForURL((url) => url.searchParams.get('notice') === 'joined_board');
  await page.goto(`${t.base}/leaderboard?period=all`);
  t.expect((await page.locator('table#leaderboard tbody th').allInnerTexts()).includes('Elena Petrova'), 'back on the board when she asks');
}, 'phone: post a shout-out; laptop: see it on the wall, react, opt out of the leaderboard');
