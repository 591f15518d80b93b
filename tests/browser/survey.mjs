// End-to-end "knowledge survey" test for Chorus in headless Chromium (issue 6, acceptance 5).
//
// The demo company has an open autumn round of the anonymous survey that Marcus has not answered.
//   1. Marcus, on a phone, finds it under "Waiting for your answers", reads what is stored,
//      answers every question by touch, and sends it: a thank-you, the survey no longer waiting,
//      and no sideways scroll anywhere;
//   2. Grace (admin), on a laptop, closes the round and opens its results: the gap chart is drawn
//      (one bar per topic, the weakest in red), names the weakest topic, and the table beside it
//      compares with the spring round.
// Screenshots: survey-*.png next to this file.
//
// Usage:  npm install && node survey.mjs   (env: see harness.mjs)

import { LAPTOP, PHONE, demoRun } from './harness.mjs';

const MARCUS = { name: 'Marcus', email: 'marcus@northwind.example' }; // employee, seniority 1
const GRACE = { name: 'Grace', email: 'grace@northwind.example' }; // admin
const ROUND = 'Social media basics — autumn round'; // crates/chorus/src/demo.rs

const t = demoRun('survey');

await t.run(async () => {
  t.log('step 1: Marcus answers the survey on his phone');
  const marcus = await t.signIn(MARCUS, PHONE);
  let page = marcus.page;
  await page.goto(`${t.base}/surveys`);
  const waiting = page.locator('section', { has: page.getByRole('heading', { name: 'Waiting for your answers' }) });
  await waiting.getByRole('link', { name: ROUND }).tap();
  await page.getByRole('heading', { level: 1, name: ROUND }).waitFor();
  const note = await page.locator('aside.privacy').innerText();
  t.expect(/no name, no e-mail, no id and no\s+time/.test(note), 'the page says plainly what is stored');
  await t.noSidewaysScroll(page, 'the survey form');
  const questions = page.locator('form.survey-form fieldset.question');
  const n = await questions.count();
  t.expect(n >= 10, `the form asks ${n} questions`);
  for (let i = 0; i < n; i++) {
    const q = questions.nth(i);
    const radios = q.locator('input[type=radio]');
    if ((await radios.count()) > 0) {
      // The second option: right for the knowledge questions (the demo's X question included).
      const choice = q.locator('label.choice').nth(1);
      const box = await choice.boundingBox();
      t.expect(box && box.height >= 44, `question ${i + 1}: options are comfortable touch targets (${Math.round(box.height)} px tall)`);
      await choice.tap();
    } else {
      await q.locator('textarea').fill('More examples from colleagues, please');
    }
  }
  await t.shot(page, 'phone-form');
  await page.getByRole('button', { name: 'Send my answers' }).tap();
  await page.waitForURL((url) => url.searchParams.get('notice') === 'answered');
  await page.getByRole('status').filter({ hasText: 'Your answers are in' }).first().waitFor();
  t.ok('sent: the thank-you notice says nothing ties the answers to him');
  t.expect((await page.locator('form.survey-form').count()) === 0, 'the form is gone: one answer per person');
  await t.noSidewaysScroll(page, 'the thank-you page');
  await page.goto(`${t.base}/surveys`);
  t.expect((await page.getByRole('heading', { name: 'Waiting for your answers' }).count()) === 0, 'the survey list no longer asks him');
  await t.shot(page, 'phone-done');

  t.log('step 2: Grace closes the round and reads the gaps');
  const grace = await t.signIn(GRACE, LAPTOP);
  page = grace.page;
  await page.goto(`${t.base}/surveys`);
  await page.getByRole('link', { name: ROUND }).click();
  await page.getByRole('button', { name: 'Close now' }).click();
  await page.waitForURL((url) => url.searchParams.get('notice') === 'saved');
  await page.getByRole('link', { name: 'Results and gaps' }).click();
  await page.getByRole('heading', { level: 1, name: `Results: ${ROUND}` }).waitFor();
  const chart = page.locator('svg#gap-chart');
  await chart.waitFor({ state: 'visible' });
  const box = await chart.boundingBox();
  t.expect(box && box.width > 300 && box.height > 100, `the gap chart is visible (${Math.round(box.width)}×${Math.round(box.height)} px)`);
  const bars = await chart.locator('rect').evaluateAll((rs) => rs.map((r) => ({ w: Number(r.getAttribute('width')), fill: r.getAttribute('fill') })));
  const topics = await page.locator('table tbody th[scope=row]').allInnerTexts();
  t.expect(bars.length === topics.length && bars.length >= 3, `one bar per topic (${bars.length}: ${topics.join(', ')})`);
  const weakest = (await page.locator('p.weakest strong').innerText()).trim();
  t.expect(weakest === topics[0], `the weakest topic is named: ${weakest}`);
  t.expect(bars[0].fill === '#c0392b' && bars.slice(1).every((b) => b.fill !== '#c0392b' || b.w === bars[0].w), 'its bar is the red one');
  const desc = await chart.locator('desc').textContent();
  t.expect(desc.includes(`${weakest}:`), `the chart's description carries the numbers: "${desc.slice(0, 60)}…"`);
  const previous = await page.locator('table').first().locator('tbody tr').first().locator('td').last().innerText();
  t.expect(/\d+ %/.test(previous), `the spring round is there to compare (${weakest} then: ${previous})`);
  await t.shot(page, 'gap-chart');
}, 'phone: answer the survey; laptop: close it and read the gap chart');
