/**
 * The web console end to end: the real Kaleido (startTestServer: the production composition root,
 * serving web/dist at /) with authentication required, Debian's Chromium driven by
 * playwright-core. Signs in through the console's form (a console user; the bootstrap API key too)
 * and out again, analyses text and a file, loads a model, moves a registry alias, follows runs and
 * live metrics; axe-core finds no WCAG 2.1 A/AA violation on any page in either theme (the sign-in
 * form included); screenshots of each page go to docs/images/.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BUNDLED_REPOSITORY,
  FIXTURE_REPOSITORY,
  REPO_ROOT,
  startTestServer,
  TEST_ADMIN_KEY,
  type TestServer,
} from '../helpers/kaleido-server.js';
import {
  axeViolations,
  CHROMIUM,
  createConsoleUser,
  ensureWebBuild,
  launchChromium,
  screenshot,
  signIn,
  signOut,
} from './browser.js';

const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) console.warn(`browser e2e skipped: no Chromium at ${CHROMIUM} (apt-get install chromium)`);

let server: TestServer;
let browser: Browser;
let context: BrowserContext;
/** Console errors and uncaught exceptions of every page (CSP violations included). */
const pageErrors: string[] = [];
/** The console user every page below is signed in as (an admin of the system tenant). */
const CONSOLE_USER = { username: 'console-admin', password: 'console e2e passphrase', role: 'admin' };
/** Test-side API calls authenticate with the server's admin key (the browser uses its cookie). */
const AUTH = { authorization: `Bearer ${TEST_ADMIN_KEY}` };

async function api(path: string, body?: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(`${server.httpUrl}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: body === undefined ? AUTH : { ...AUTH, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const json = (await res.json()) as Record<string, unknown>;
  if (!res.ok) throw new Error(`${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

async function open(
  path: string,
  options: { colorScheme?: 'light' | 'dark'; width?: number } = {},
): Promise<Page> {
  const page = await context.newPage();
  await page.emulateMedia({ colorScheme: options.colorScheme ?? 'light', reducedMotion: 'reduce' });
  await page.setViewportSize({ width: options.width ?? 1280, height: 860 });
  page.on('console', (m) => {
    if (m.type() === 'error') pageErrors.push(`${path}: ${m.text()} (${m.location().url})`);
  });
  page.on('pageerror', (e) => pageErrors.push(`${path}: ${e.message}`));
  await page.goto(`${server.httpUrl}${path}`);
  await page.locator('main h1').first().waitFor();
  return page;
}

// Browser-side expressions as strings: the root tsconfig (Node) has no DOM types, on purpose.
const ACTIVE_TEXT = 'document.activeElement?.textContent';
/** Elements sticking out of the viewport, outside the tables' own scroll regions (none when the page fits). */
const WIDE_ELEMENTS = `document.documentElement.scrollWidth <= window.innerWidth + 1 ? [] :
  [...document.querySelectorAll('body *')]
    .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 1 && !el.closest('.table-wrap'))
    .slice(0, 5)
    .map((el) => el.tagName.toLowerCase() + '.' + el.className + ': ' + (el.textContent ?? '').slice(0, 40))`;

async function expectAccessible(page: Page): Promise<void> {
  const violations = await axeViolations(page);
  expect(violations, JSON.stringify(violations, null, 2)).toEqual([]);
}

describe.skipIf(!haveChromium)('web console in Chromium', () => {
  beforeAll(async () => {
    ensureWebBuild();
    server = await startTestServer({
      repositories: [FIXTURE_REPOSITORY, BUNDLED_REPOSITORY],
      startupModels: ['spam_classifier'],
      // auth.mode=required with TEST_ADMIN_KEY as the bootstrap admin key.
      auth: {},
    });
    await createConsoleUser(server, CONSOLE_USER);
    const root = await fetch(`${server.httpUrl}/`);
    const html = await root.text();
    if (root.status !== 200 || !html.includes('id="root"')) {
      throw new Error(
        `the server does not serve the web console at / (HTTP ${root.status}); buildApp must register ` +
          'registerWebUi (src/server/routes/web-ui.ts) with web/dist',
      );
    }
    browser = await launchChromium();
    context = await browser.newContext({ acceptDownloads: false });
    // Every page of this context shares the session cookie: sign in once, through the form.
    const page = await context.newPage();
    await signIn(page, server, CONSOLE_USER);
    await page.close();
  }, 120_000);

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await server?.close();
    // Every modality's models load before ready (tfjs workers, face-api, ffmpeg): minutes on a loaded 2-core machine.
  }, 300_000);

  it('signs in through the form (password or the bootstrap API key), shows who is signed in, and signs out', async () => {
    // A fresh context: nobody signed in. The console asks by itself once the API answers 401.
    const fresh = await browser.newContext({ acceptDownloads: false });
    try {
      const page = await fresh.newPage();
      await page.emulateMedia({ colorScheme: 'light', reducedMotion: 'reduce' });
      await page.setViewportSize({ width: 1280, height: 860 });
      await page.goto(`${server.httpUrl}/models`);
      const form = page.getByRole('form', { name: 'Sign in' });
      await form.waitFor({ timeout: 15_000 });
      expect(await form.getByRole('alert').textContent()).toMatch(/asked you to sign in/);
      await form.getByLabel('Username', { exact: true }).fill(CONSOLE_USER.username);
      await form.getByLabel('Password', { exact: true }).fill('not the password at all');
      await form.getByRole('button', { name: 'Sign in' }).click();
      await form.getByText('Wrong username or password.').waitFor();
      await expectAccessible(page);
      await screenshot(page, 'console-sign-in', false);

      await signIn(page, server, CONSOLE_USER, '/models');
      expect(await page.getByTestId('signed-in-as').textContent()).toBe(
        'Signed in as console-admin (admin, tenant system)',
      );
      // The cookie is HttpOnly (no script can read it), SameSite=Strict, Secure, for the whole site.
      const [cookie] = await fresh.cookies(server.httpUrl);
      expect(cookie).toMatchObject({
        name: 'kaleido_session',
        httpOnly: true,
        sameSite: 'Strict',
        secure: true,
        path: '/',
      });
      expect(await page.evaluate('document.cookie')).toBe('');
      // Signed in, the page's data loads.
      await page
        .getByRole('row', { name: /spam_classifier/ })
        .first()
        .waitFor({ timeout: 15_000 });
      await signOut(page);
      // Signed out on the server too: the old cookie no longer works.
      const replay = await fetch(`${server.httpUrl}/v1/auth/session`, {
        headers: { cookie: `${cookie?.name}=${cookie?.value}` },
      });
      expect(replay.status).toBe(401);

      // The bootstrap admin key (printed once at first start) signs in to the console too.
      await signIn(page, server, { apiKey: TEST_ADMIN_KEY }, '/models');
      expect(await page.getByTestId('signed-in-as').textContent()).toMatch(/^Signed in as bootstrap admin/);
      await page.close();
    } finally {
      await fresh.close();
    }
  }, 90_000);

  it('analyses text: verdict with reasons, highlighted PII, the redacted text and latency per stage', async () => {
    const page = await open('/');
    expect(new URL(page.url()).pathname).toBe('/playground');
    await page.getByRole('button', { name: 'Personal data' }).click();
    await page.getByRole('button', { name: 'Analyse', exact: true }).click();
    const verdict = page.locator('section.verdict');
    await verdict.getByRole('heading', { name: 'Safety decision' }).waitFor({ timeout: 30_000 });
    expect(await verdict.locator('.verdict-action').textContent()).toBe('Redacted');
    expect(await verdict.locator('ol.reasons li').count()).toBeGreaterThan(0);
    expect(await verdict.textContent()).toContain('pii');
    // The findings are marked in the text, and say in words what they are.
    const pii = page.locator('.analysed-text mark.pii');
    expect(await pii.count()).toBeGreaterThanOrEqual(2);
    expect(await pii.first().textContent()).toContain('personal data');
    expect(await page.locator('mark.redaction').count()).toBeGreaterThan(0);
    expect(await page.locator('ul.stages li').count()).toBeGreaterThanOrEqual(8);
    await expectAccessible(page);
    await screenshot(page, 'console-playground-text');
    await page.close();
  }, 60_000);

  it('blocks a prompt injection and states why', async () => {
    const page = await open('/playground');
    await page.getByRole('button', { name: 'Prompt injection' }).click();
    await page.getByRole('button', { name: 'Analyse', exact: true }).click();
    const action = page.locator('section.verdict .verdict-action');
    await action.waitFor({ timeout: 30_000 });
    expect(await action.textContent()).toBe('Blocked');
    expect(await page.locator('ol.reasons').textContent()).toMatch(/prompt-injection scored \d+%/);
    expect(await page.locator('.analysed-text mark.injection').count()).toBeGreaterThan(0);
    await page.close();
  }, 60_000);

  it('switches modality without a reload, by keyboard, and analyses a file (result or a reason)', async () => {
    const page = await open('/playground', { colorScheme: 'dark' });
    await page.getByRole('textbox', { name: 'Text' }).fill('kept while switching');
    await page.evaluate('window.kaleidoMarker = 42');
    const textTab = page.getByRole('tab', { name: 'Text' });
    await textTab.focus();
    await page.keyboard.press('ArrowRight');
    const fileTab = page.getByRole('tab', { name: 'Image, audio or video' });
    expect(await fileTab.getAttribute('aria-selected')).toBe('true');
    expect(await page.evaluate(ACTIVE_TEXT)).toBe('Image, audio or video');

    const png = await sharp({ create: { width: 320, height: 200, channels: 3, background: '#3b82f6' } })
      .png()
      .toBuffer();
    await page
      .getByLabel('Choose a file to analyse')
      .setInputFiles({ name: 'blue.png', mimeType: 'image/png', buffer: png });
    await page.getByRole('img', { name: 'Preview of blue.png' }).waitFor();
    await page.getByRole('button', { name: 'Analyse', exact: true }).click();
    // This server may or may not have image analyzers: either way the page says what happened.
    const outcome = page.locator('section.verdict, .state.error');
    await outcome.first().waitFor({ timeout: 60_000 });
    const text = (await outcome.first().textContent()) ?? '';
    expect(text).not.toMatch(/\bat .+:\d+:\d+\)/); // no stack trace
    if (await page.locator('.state.error').count()) expect(text).toMatch(/image/i);
    else await page.getByRole('heading', { name: 'Image', exact: true }).waitFor();
    await expectAccessible(page);
    await screenshot(page, 'console-playground-file-dark');

    // Back to text: what was typed is still there, and the page never reloaded.
    await page.getByRole('tab', { name: 'Text' }).click();
    expect(await page.getByRole('textbox', { name: 'Text' }).inputValue()).toBe('kept while switching');
    expect(await page.evaluate('window.kaleidoMarker')).toBe(42);
    await page.close();
  }, 90_000);

  it('records from the (fake) microphone; without the VAD model the policy fails closed, and says so', async () => {
    const page = await open('/playground');
    await page.getByRole('tab', { name: 'Image, audio or video' }).click();
    await page.getByRole('button', { name: 'Record audio' }).click();
    const stop = page.getByRole('button', { name: 'Stop recording' });
    await stop.waitFor({ timeout: 15_000 });
    await page.getByLabel('Elapsed time').getByText('0:01').waitFor({ timeout: 15_000 });
    await stop.click();
    await page.getByText(/^recording-.+\.webm$/).waitFor({ timeout: 15_000 });
    await page.getByRole('button', { name: 'Analyse', exact: true }).click();
    // This server starts only spam_classifier (models.startup), so the voice-activity model is not
    // loaded: the VAD cannot run, no transcript is made, the text checks have nothing to read, and
    // the default policy fails closed. The page must say that this "Blocked" is caution, not a
    // finding, and what did not run. (With silero_vad loaded, as by default, the same beep is
    // allowed: playground-modalities.test.ts.)
    const verdict = page.locator('section.verdict');
    await verdict.waitFor({ timeout: 60_000 });
    expect(await verdict.locator('.verdict-action').textContent()).toBe('Blocked');
    expect(await verdict.locator('ol.reasons').textContent()).toMatch(
      /the pii analyzer did not run \(skipped: dependency transcript skipped\), and the policy fails closed/,
    );
    const note = page.getByTestId('fail-closed');
    expect(await note.textContent()).toContain('not a finding in the content');
    expect(await note.textContent()).toMatch(/vad: model "silero_vad" is not (found|loaded)/);
    expect(await note.textContent()).toContain('transcript: dependency vad unavailable');
    await expectAccessible(page);
    await page.close();
  }, 90_000);

  it('loads a model from the Models page and shows its signature', async () => {
    const page = await open('/models');
    const row = page.getByRole('row', { name: /mlp_fp32\b/ }).first();
    await row.getByRole('button', { name: 'Load mlp_fp32' }).click();
    await row.getByText('READY').waitFor({ timeout: 30_000 });
    expect(await page.getByRole('status').first().textContent()).toContain('mlp_fp32 is loaded');
    const index = (await (
      await fetch(`${server.httpUrl}/v2/repository/index`, { method: 'POST', headers: AUTH })
    ).json()) as Array<{
      name: string;
      state: string;
    }>;
    expect(index.find((e) => e.name === 'mlp_fp32')?.state).toBe('READY');
    await expectAccessible(page);
    await screenshot(page, 'console-models');

    await page.getByRole('link', { name: 'mlp_fp32', exact: true }).click();
    await page.getByRole('heading', { name: 'Signature' }).waitFor();
    expect(await page.locator('table').first().textContent()).toContain('features');
    await expectAccessible(page);
    await screenshot(page, 'console-model-detail');
    await page.close();
  }, 60_000);

  it('moves a registry alias from the model page', async () => {
    await api('/api/2.0/mlflow/registered-models/create', {
      name: 'add_sub_fp32',
      description: 'Adds and subtracts.',
    });
    for (const v of ['1', '2']) {
      await api('/api/2.0/mlflow/model-versions/create', {
        name: 'add_sub_fp32',
        source: `models/fixtures/add_sub_fp32/${v}`,
        metrics_snapshot: { accuracy: v === '1' ? 0.91 : 0.94 },
      });
    }
    await api('/api/2.0/mlflow/registered-models/alias', {
      name: 'add_sub_fp32',
      alias: 'champion',
      version: '1',
    });

    const page = await open('/models/add_sub_fp32');
    await page.getByRole('heading', { name: 'Versions' }).waitFor();
    await page.getByLabel('Alias', { exact: true }).fill('champion');
    await page.getByLabel('Version', { exact: true }).selectOption('2');
    await page.getByRole('button', { name: 'Move alias' }).click();
    await page.getByText('champion now points to version 2.').waitFor();
    const byAlias = await api('/api/2.0/mlflow/registered-models/alias?name=add_sub_fp32&alias=champion');
    expect((byAlias.model_version as { version: string }).version).toBe('2');
    await page.getByText('champion → version 2').waitFor();
    await expectAccessible(page);
    await screenshot(page, 'console-model-registry');

    // The model card of version 2, assembled by the server: what is missing says "not recorded".
    const cardButton = page.getByRole('button', { name: 'Model card of version 2' });
    await cardButton.click();
    expect(await cardButton.getAttribute('aria-expanded')).toBe('true');
    const card = page.getByRole('region', { name: 'Model card: add_sub_fp32 version 2' });
    await card.getByRole('heading', { name: 'Intended use' }).waitFor({ timeout: 15_000 });
    expect(await card.getByRole('region', { name: 'Intended use', exact: true }).textContent()).toContain(
      'not recorded',
    );
    expect(await card.getByRole('region', { name: 'Metrics', exact: true }).textContent()).toContain(
      '0.9400',
    );
    expect(
      await card.getByRole('region', { name: 'Slices and fairness', exact: true }).textContent(),
    ).toContain('not evaluated');
    const href = await card.getByRole('link', { name: 'Download Markdown' }).getAttribute('href');
    const markdown = await fetch(href!, { headers: AUTH });
    expect(markdown.headers.get('content-type')).toMatch(/^text\/markdown/);
    expect(await markdown.text()).toMatch(/^# Model card: add_sub_fp32 version 2/);
    await expectAccessible(page);
    await page.close();
  }, 60_000);

  it('lists experiments and runs with their params and metrics', async () => {
    const created = await api('/api/2.0/mlflow/experiments/create', { name: 'spam-heads' });
    const experimentId = created.experiment_id as string;
    for (const [lr, acc] of [
      ['0.01', 0.93],
      ['0.1', 0.88],
    ] as const) {
      const run = (
        await api('/api/2.0/mlflow/runs/create', { experiment_id: experimentId, run_name: `lr-${lr}` })
      ).run as { info: { run_id: string } };
      await api('/api/2.0/mlflow/runs/log-batch', {
        run_id: run.info.run_id,
        params: [{ key: 'learning_rate', value: lr }],
        metrics: [{ key: 'accuracy', value: acc, timestamp: Date.now(), step: 1 }],
      });
      await api('/api/2.0/mlflow/runs/update', {
        run_id: run.info.run_id,
        status: 'FINISHED',
        end_time: Date.now(),
      });
    }
    const page = await open(`/experiments/${experimentId}`);
    await page.getByRole('heading', { name: 'Runs of spam-heads' }).waitFor();
    await page.getByRole('rowheader', { name: /lr-0\.01/ }).waitFor();
    expect(await page.locator('table').textContent()).toContain('0.9300');
    await expectAccessible(page);
    await screenshot(page, 'console-experiments');
    await page.close();
  }, 60_000);

  it('shows live metrics that refresh without a reload', async () => {
    // Traffic for the spam model: every text analysis calls it.
    await api('/v1/analyze', { text: 'hello there' });
    const page = await open('/monitoring');
    const row = page.getByRole('row', { name: /spam_classifier v1/ });
    await row.waitFor({ timeout: 15_000 });
    await page.getByLabel('Update every').selectOption('2');
    const before = await page.getByText(/Last updated/).textContent();
    await api('/v1/analyze', { text: 'and again' });
    // Polled from the test: the console's CSP (rightly) forbids the in-page eval waitForFunction uses.
    await expect
      .poll(() => page.getByText(/Last updated/).textContent(), { timeout: 10_000 })
      .not.toBe(before);
    expect(await row.locator('td').first().textContent()).toBe('READY');
    await page.getByRole('button', { name: 'Pause updates' }).click();
    expect(await page.getByRole('button', { name: 'Resume updates' }).getAttribute('aria-pressed')).toBe(
      'true',
    );
    await expectAccessible(page);
    await screenshot(page, 'console-monitoring');
    await page.close();
  }, 60_000);

  it('opens the data set and study pages signed in: no sign-in prompt, no axe violation', async () => {
    // What these pages do is covered by lifecycle-pages.test.ts; here: they load with the session.
    for (const path of ['/datasets', '/studies']) {
      const page = await open(path);
      await page.locator('.spinner').first().waitFor({ state: 'detached', timeout: 15_000 });
      expect(await page.getByRole('form', { name: 'Sign in' }).count()).toBe(0);
      await page.getByTestId('signed-in-as').waitFor();
      await expectAccessible(page);
      await page.close();
    }
  }, 60_000);

  it('administers API keys: create (the secret shown once, and it works), list, revoke (then refused)', async () => {
    const page = await open('/admin');
    // Offered to this admin in the navigation; /admin opens the first section, the keys.
    await page.getByRole('link', { name: 'Administration' }).waitFor();
    await page.getByRole('heading', { name: 'API keys', exact: true }).waitFor();
    const form = page.getByRole('form', { name: 'Create an API key' });
    await form.getByLabel('Name', { exact: true }).fill('ci-reader');
    await form.getByLabel('Role', { exact: true }).selectOption('analyst');
    await form.getByLabel('Scopes', { exact: true }).fill('model:read');
    await form.getByRole('button', { name: 'Create key' }).click();
    const secretHeading = page.getByRole('heading', { name: 'The key for ci-reader' });
    await secretHeading.waitFor({ timeout: 15_000 });
    const secret = await page.getByLabel('API key', { exact: true }).inputValue();
    expect(secret).toMatch(/^kal_[0-9a-f]{12}_/);
    expect(await page.evaluate(ACTIVE_TEXT)).toBe('The key for ci-reader');
    // The key works at once, with the role and scope it was given.
    const asKey = { authorization: `Bearer ${secret}` };
    expect((await fetch(`${server.httpUrl}/v2/models/spam_classifier`, { headers: asKey })).status).toBe(200);
    expect((await fetch(`${server.httpUrl}/v1/keys`, { headers: asKey })).status).toBe(403);
    const row = page.getByRole('row', { name: /ci-reader/ });
    await row.waitFor();
    expect(await row.textContent()).toContain('model:read');
    await expectAccessible(page);
    await screenshot(page, 'console-admin-keys');

    // Shown once: dismissed (or after a reload) it is nowhere on the page.
    await page.getByRole('button', { name: 'I have stored it' }).click();
    await page.reload();
    await row.waitFor();
    expect(await page.locator('body').textContent()).not.toContain(secret);

    // Revoking asks first, then the key is refused at once.
    await row.getByRole('button', { name: 'Revoke ci-reader' }).click();
    await row.getByRole('button', { name: 'Yes, revoke ci-reader' }).click();
    await page.getByText('ci-reader is revoked: the next request with it is refused.').waitFor();
    expect((await fetch(`${server.httpUrl}/v2/models/spam_classifier`, { headers: asKey })).status).toBe(401);
    await page.getByLabel('Show revoked keys').check();
    await page.getByRole('row', { name: /ci-reader.*revoked/ }).waitFor();
    await page.close();
  }, 60_000);

  it('administers users and reads the audit log (filtered, paged) for the tenant', async () => {
    const page = await open('/admin/users');
    const form = page.getByRole('form', { name: 'Create a user' });
    await form.getByLabel('Username', { exact: true }).fill('ops-olga');
    await form.getByLabel('Password', { exact: true }).fill('a long enough passphrase');
    await form.getByLabel('Role', { exact: true }).selectOption('operator');
    await form.getByRole('button', { name: 'Create user' }).click();
    const row = page.getByRole('row', { name: /ops-olga/ });
    await row.waitFor({ timeout: 15_000 });
    expect(await row.textContent()).toContain('operator');
    await row.getByRole('button', { name: 'Disable ops-olga' }).click();
    await row.getByText('disabled', { exact: true }).waitFor();
    const login = await fetch(`${server.httpUrl}/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: server.httpUrl },
      body: JSON.stringify({ username: 'ops-olga', password: 'a long enough passphrase' }),
    });
    expect(login.status).toBe(401);
    await expectAccessible(page);

    await page.getByRole('link', { name: 'Audit log' }).click();
    await page.getByRole('heading', { name: 'Audit log', exact: true }).waitFor();
    await page.getByText(/^Page 1: \d+ entries\.$/).waitFor({ timeout: 15_000 });
    // This run's failed sign-ins (the wrong password above, and ops-olga's) are in the log.
    await page.getByLabel('Outcome').selectOption('failure');
    await page.getByText(/^Page 1: \d+ of \d+ entries match\.$/).waitFor();
    const failures = page.getByRole('region', { name: 'Audit log entries' }).locator('tbody tr');
    expect(await failures.count()).toBeGreaterThan(0);
    expect(await failures.first().textContent()).toContain('failure');
    await expectAccessible(page);
    await screenshot(page, 'console-admin-audit');
    await page.close();
  }, 60_000);

  it('every page loads by URL (reload, shared link), in the dark theme at 360 px: no axe violation, no sideways scroll', async () => {
    // The light theme at 1280 px is checked page by page above.
    for (const path of [
      '/playground',
      '/models',
      '/models/spam_classifier',
      '/experiments',
      '/datasets',
      '/studies',
      '/monitoring',
      '/admin/keys',
      '/admin/audit',
    ]) {
      const page = await open(path, { colorScheme: 'dark', width: 360 });
      await page.locator('.spinner').first().waitFor({ state: 'detached', timeout: 15_000 });
      await expectAccessible(page);
      if (path === '/playground') await screenshot(page, 'console-playground-360-dark');
      // Wide tables scroll inside their own region; the page itself never scrolls sideways.
      expect(await page.evaluate(WIDE_ELEMENTS), `${path} scrolls sideways at 360 px`).toEqual([]);
      await page.close();
    }
  }, 120_000);

  it('works by keyboard: skip link first, visible focus, navigation moves focus to the page heading', async () => {
    const page = await open('/playground');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(ACTIVE_TEXT)).toBe('Skip to content');
    const outline = await page.evaluate('getComputedStyle(document.activeElement).outlineStyle');
    expect(outline).toBe('solid');
    await page.keyboard.press('Enter');
    expect(await page.evaluate('document.activeElement?.id')).toBe('main');
    await page.getByRole('link', { name: 'Monitoring' }).focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => page.evaluate('document.activeElement?.tagName'), { timeout: 10_000 }).toBe('H1');
    expect(await page.evaluate(ACTIVE_TEXT)).toBe('Monitoring');
    expect(await page.title()).toBe('Monitoring · Kaleido');
    await page.close();
  }, 60_000);

  it('logged no console error and no uncaught exception (CSP included)', () => {
    expect(pageErrors).toEqual([]);
  });

  it('serves the build with caching headers a fast first load needs', async () => {
    const html = readFileSync(join(REPO_ROOT, 'web', 'dist', 'index.html'), 'utf8');
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(script).toBeDefined();
    const res = await fetch(`${server.httpUrl}${script}`, { headers: { 'accept-encoding': 'gzip' } });
    expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(res.headers.get('content-encoding')).toBe('gzip');
  });
});
