// End-to-end single sign-on test for Chorus in headless Chromium (issue 8, acceptance 3a), against
// a real OpenID provider: panva's `oidc-provider` (tests/peers/oidc/op.mjs) with its own login and
// consent pages.
//
// In the demo company:
//   1. Olivia (owner) sets the provider up on the settings page: discovery is checked on save;
//   2. Ada, who has no Chorus account, clicks "Sign in with SSO", names the organization, signs in
//      on the provider's login page, consents, and lands signed in on Chorus with a new account
//      in the Research department (created from the `department` claim) and her title;
//   3. Ada signs out: the Chorus session ends and the provider's sign-out page (reached with
//      `id_token_hint`) sends her back to Chorus's sign-in page.
// Screenshots: sso-*.png next to this file.
//
// Usage:  CHORUS_TEST_OIDC_ISSUER=http://127.0.0.1:PORT node sso.mjs  (.ci/run starts op.mjs with
//         OP_ANY_LOOPBACK_PORT=1, so its client accepts this test server's random port; env: harness.mjs)

import { LAPTOP, demoRun } from './harness.mjs';

const ISSUER = process.env.CHORUS_TEST_OIDC_ISSUER;
const CLIENT_ID = process.env.CHORUS_TEST_OIDC_CLIENT_ID || 'chorus';
const CLIENT_SECRET = process.env.CHORUS_TEST_OIDC_CLIENT_SECRET || 'chorus-secret';
const OLIVIA = { name: 'Olivia', email: 'olivia@northwind.example' }; // owner
const ORG = 'northwind-outdoor';

if (!ISSUER) {
  console.error('CHORUS_TEST_OIDC_ISSUER is not set: start tests/peers/oidc/op.mjs (see .ci/run)');
  console.log('FAIL: browser sso test');
  process.exit(1);
}

const t = demoRun('sso');

await t.run(async () => {
  t.log('step 1: Olivia sets up single sign-on');
  const olivia = await t.signIn(OLIVIA, LAPTOP);
  let page = olivia.page;
  await page.goto(`${t.base}/settings/sso`);
  await page.getByRole('heading', { level: 1, name: 'Single sign-on (OpenID Connect)' }).waitFor();
  t.expect((await page.locator('#redirect-uri').innerText()) === `${t.base}/auth/oidc/callback`, 'the page shows the redirect URI to register');
  t.expect((await page.locator('#sso-status').innerText()).includes('off'), 'single sign-on starts off in the demo');
  await page.getByLabel('Issuer URL').fill(ISSUER);
  await page.getByLabel('Client ID').fill(CLIENT_ID);
  await page.getByLabel(/^Client secret/).fill(CLIENT_SECRET);
  t.expect((await page.getByLabel('Claim with the department').inputValue()) === 'department', 'department claim defaults to "department"');
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await page.waitForURL((url) => url.pathname === '/settings/sso' && url.searchParams.get('notice') === 'saved');
  t.expect((await page.locator('#sso-status').innerText()).includes('on'), 'saved after the issuer passed discovery');
  await t.shot(page, 'settings');
  await olivia.context.close();

  t.log('step 2: Ada signs in through the provider for the first time');
  const context = await t.browser.newContext(LAPTOP);
  context.setDefaultTimeout(t.stepTimeout);
  context.setDefaultNavigationTimeout(t.stepTimeout);
  page = await context.newPage();
  t.watch(page, 'Ada');
  await page.goto(`${t.base}/login`);
  await page.getByRole('link', { name: 'Sign in with SSO' }).click();
  await page.getByLabel(/^Organization/).fill(ORG);
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.waitForURL((url) => url.origin === ISSUER);
  t.ok(`the browser is at the provider (${new URL(page.url()).pathname})`);
  await page.locator('input[name="login"]').fill('ada');
  await page.locator('input[name="password"]').fill('any password works here');
  await t.shot(page, 'provider-login');
  await page.getByRole('button', { name: 'Sign-in' }).click();
  await page.getByRole('button', { name: 'Continue' }).click(); // the provider's consent page
  await page.waitForURL((url) => url.origin === t.base && url.pathname === '/');
  await page.getByRole('button', { name: 'Sign out' }).waitFor({ state: 'attached' });
  t.ok('back on Chorus, signed in');
  await page.goto(`${t.base}/account`);
  const who = await page.locator('main').innerText();
  t.expect(/Ada Lovelace · ada@northwind\.example · Employee/i.test(who),
    `a new account made just in time from the provider's claims (name, e-mail), as an employee: ${who.split('\n').find((l) => l.includes('@'))}`);
  await page.getByRole('link', { name: 'Edit your profile' }).click();
  await page.getByRole('heading', { level: 1, name: 'Ada Lovelace' }).waitFor();
  const summary = await page.locator('main h1 + p').innerText();
  t.expect(summary.trim().endsWith('· Research'), `in the department from the "department" claim (${summary.trim()})`);
  t.expect((await page.getByLabel('Job title').inputValue()) === 'Data Analyst', 'with the title from the "title" claim');
  await t.shot(page, 'signed-in');

  t.log('step 3: Ada signs out of Chorus and of the provider');
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.waitForURL((url) => url.origin === ISSUER);
  t.ok('signed out of Chorus, then sent on to the provider\'s sign-out page');
  await t.shot(page, 'provider-logout');
  await page.getByRole('button', { name: 'Yes, sign me out' }).click();
  await page.waitForURL((url) => url.origin === t.base && url.pathname === '/login');
  t.ok('the provider sent her back to Chorus\'s sign-in page');
  await page.goto(`${t.base}/account`);
  t.expect(new URL(page.url()).pathname === '/login', 'the Chorus session is over');
  await context.close();
}, 'SSO set-up, first sign-in through oidc-provider with JIT account and department, sign-out at the provider');
