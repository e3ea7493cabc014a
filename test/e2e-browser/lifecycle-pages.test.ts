/**
 * The console's lifecycle pages end to end against the real Kaleido (startTestServer) in Debian's
 * Chromium: upload a data set through the form (and see a refused one explained row by row),
 * start a small study through the New study form, watch its trials arrive and the study
 * complete with its charts and registered model, compare two of its trial runs; axe-core finds no
 * WCAG 2.1 A/AA violation on any of these pages at 360 px and 1280 px, light and dark, and no page
 * scrolls sideways. Screenshots go to the test's output folder; the key ones to docs/images/.
 *
 * Authentication is required: the flow runs as a maintainer signed in through the console's form;
 * an analyst sees the same pages read-only (actions hidden or disabled, with the reason), and the
 * system admin gets the tenant switcher.
 */
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, startTestServer, TEST_ADMIN_KEY, type TestServer } from '../helpers/kaleido-server.js';
import {
  axeViolations,
  CHROMIUM,
  createConsoleUser,
  ensureWebBuild,
  launchChromium,
  SCREENSHOT_DIR,
} from './browser.js';

const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) console.warn(`browser e2e skipped: no Chromium at ${CHROMIUM} (apt-get install chromium)`);

/** Every screenshot of this file; KEY ones are copied to docs/images/. */
const OUT_DIR = join(REPO_ROOT, '.cache', 'e2e-browser', 'lifecycle-pages');
const KEY_SCREENSHOTS = [
  'console-datasets-detail',
  'console-study-new',
  'console-study-live',
  'console-study-detail-dark',
  'console-runs-compare',
];

let server: TestServer;
let browser: Browser;
let context: BrowserContext;
let workDir: string;
const pageErrors: string[] = [];
/** Every answer ≥ 400 the pages got (method, path, status): only the ones a test provokes are expected. */
const badResponses: string[] = [];
const MAINTAINER = { username: 'ui-maintainer', password: 'lifecycle pages passphrase', role: 'maintainer' };
const ANALYST = { username: 'ui-analyst', password: 'lifecycle pages passphrase', role: 'analyst' };
/** An admin of the system tenant (the admin key's tenant): may administer every tenant. */
const SYSTEM_ADMIN = { username: 'ui-admin', password: 'lifecycle pages passphrase', role: 'admin' };
/** Test-side API calls authenticate with the server's admin key (the browser uses its cookie). */
const AUTH = { authorization: `Bearer ${TEST_ADMIN_KEY}` };

/** A small labelled text set (UCI sentences from the `sentiment` package's fixtures), as CSV. */
function sentimentCsv(perSource: number): string {
  const fixtures = join(
    dirname(createRequire(import.meta.url).resolve('sentiment/package.json')),
    'test',
    'fixtures',
  );
  const quote = (s: string) => `"${s.replace(/"/g, '""')}"`;
  const lines = ['text,label'];
  for (const source of ['amazon', 'imdb', 'yelp']) {
    const rows = JSON.parse(readFileSync(join(fixtures, `${source}.json`), 'utf8')) as Array<{
      text: string;
      class: number;
    }>;
    for (const r of rows.slice(0, perSource))
      lines.push(`${quote(r.text.trim())},${r.class === 1 ? 'positive' : 'negative'}`);
  }
  return lines.join('\n') + '\n';
}

function watch(page: Page, path: string): void {
  page.on('console', (m) => {
    // Failed loads are recorded with their URL below; Chromium's console line does not name it.
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource'))
      pageErrors.push(`${path}: ${m.text()}`);
  });
  page.on('pageerror', (e) => pageErrors.push(`${path}: ${e.message}`));
  page.on('response', (r) => {
    if (r.status() >= 400)
      badResponses.push(`${r.request().method()} ${new URL(r.url()).pathname} ${r.status()}`);
  });
}

async function open(
  path: string,
  options: { colorScheme?: 'light' | 'dark'; width?: number; in?: BrowserContext } = {},
): Promise<Page> {
  const page = await (options.in ?? context).newPage();
  await page.emulateMedia({ colorScheme: options.colorScheme ?? 'light', reducedMotion: 'reduce' });
  await page.setViewportSize({ width: options.width ?? 1280, height: 900 });
  watch(page, path);
  await page.goto(`${server.httpUrl}${path}`);
  await page.locator('main h1').first().waitFor();
  return page;
}

/**
 * Signs in through the console's form. Opened at a page whose API calls need a session, the
 * console asks by itself (the first 401 opens the form); waiting for that, instead of clicking the
 * top bar's button, avoids racing the form's own opening.
 */
async function signIn(
  page: Page,
  creds: { username: string; password: string },
  path = '/datasets',
): Promise<void> {
  await page.goto(`${server.httpUrl}${path}`);
  const form = page.getByRole('form', { name: 'Sign in' });
  await form.waitFor({ timeout: 15_000 });
  const method = form.getByRole('radio', { name: 'Username and password' });
  if ((await method.count()) > 0) await method.check();
  await form.getByRole('textbox', { name: 'Username' }).fill(creds.username);
  await form.getByLabel('Password', { exact: true }).fill(creds.password);
  await form.getByRole('button', { name: 'Sign in' }).click();
  await page.getByTestId('signed-in-as').waitFor({ timeout: 30_000 });
}

async function shot(page: Page, name: string): Promise<void> {
  mkdirSync(OUT_DIR, { recursive: true });
  await page.screenshot({ path: join(OUT_DIR, `${name}.png`), fullPage: true, animations: 'disabled' });
}

const WIDE_ELEMENTS = `document.documentElement.scrollWidth <= window.innerWidth + 1 ? [] :
  [...document.querySelectorAll('body *')]
    .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 1 && !el.closest('.table-wrap'))
    .slice(0, 5)
    .map((el) => el.tagName.toLowerCase() + '.' + el.className + ': ' + (el.textContent ?? '').slice(0, 40))`;

async function expectAccessible(page: Page, where: string): Promise<void> {
  const violations = await axeViolations(page);
  expect(violations, `${where}: ${JSON.stringify(violations, null, 2)}`).toEqual([]);
}

/** axe and the sideways-scroll check at 360 px and 1280 px, light and dark. */
async function checkEverywhere(
  path: string,
  ready: (page: Page) => Promise<void>,
  name?: string,
): Promise<void> {
  for (const colorScheme of ['light', 'dark'] as const) {
    for (const width of [360, 1280]) {
      const page = await open(path, { colorScheme, width });
      await ready(page);
      await page.locator('.spinner').first().waitFor({ state: 'detached', timeout: 15_000 });
      await expectAccessible(page, `${path} ${colorScheme} ${width}px`);
      expect(
        await page.evaluate(WIDE_ELEMENTS),
        `${path} scrolls sideways at ${width} px (${colorScheme})`,
      ).toEqual([]);
      if (name) await shot(page, `${name}-${width}-${colorScheme}`);
      await page.close();
    }
  }
}

let studyName = '';
const GOOD_ROWS = Array.from(
  { length: 20 },
  (_, i) => `review ${i},${i % 2 === 0 ? 'positive' : 'negative'}`,
);

describe.skipIf(!haveChromium)('lifecycle pages in Chromium', () => {
  beforeAll(async () => {
    ensureWebBuild();
    workDir = mkdtempSync(join(tmpdir(), 'kaleido-ui-lifecycle-'));
    writeFileSync(join(workDir, 'reviews.csv'), sentimentCsv(80));
    writeFileSync(
      join(workDir, 'broken.csv'),
      // Line 3 has no label; enough good rows around it for a split once it is skipped.
      ['text,label', 'great phone,positive', 'missing label,', ...GOOD_ROWS, ''].join('\n'),
    );
    writeFileSync(join(workDir, 'notes.txt'), 'not a data set\n');
    // auth.mode=required with TEST_ADMIN_KEY as the bootstrap admin key.
    server = await startTestServer({ startupModels: ['add_sub_fp32'], auth: {} });
    await createConsoleUser(server, MAINTAINER);
    await createConsoleUser(server, ANALYST);
    await createConsoleUser(server, SYSTEM_ADMIN);
    browser = await launchChromium();
    context = await browser.newContext({ acceptDownloads: false });
    // Every page of this context shares the maintainer's session cookie.
    const page = await context.newPage();
    await signIn(page, MAINTAINER);
    await page.close();
  }, 120_000);

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await server?.close();
    if (workDir) rmSync(workDir, { recursive: true, force: true });
    // The key screenshots, for the README and docs.
    for (const name of KEY_SCREENSHOTS) {
      const from = join(OUT_DIR, `${name}.png`);
      if (existsSync(from)) copyFileSync(from, join(SCREENSHOT_DIR, `${name}.png`));
    }
  });

  it('explains refused uploads: a wrong file type at the field, bad rows line by line', async () => {
    const page = await open('/datasets');
    await page.getByRole('heading', { name: 'No data sets yet' }).waitFor();
    // Nothing chosen: the form says so before sending anything.
    await page.getByRole('button', { name: 'Upload', exact: true }).click();
    await page.getByRole('alert').filter({ hasText: 'need a change' }).waitFor();
    expect(await page.getByRole('alert').first().textContent()).toContain(
      'Choose a JSONL, CSV, TSV or zip file.',
    );
    await page.getByLabel('Data file').setInputFiles(join(workDir, 'notes.txt'));
    await page.getByRole('button', { name: 'Upload', exact: true }).click();
    await page.getByText('“notes.txt” is not a data set file').first().waitFor();

    // A row without a label: the server refuses the upload and lists the row by line number.
    await page.getByLabel('Data file').setInputFiles(join(workDir, 'broken.csv'));
    expect(await page.getByLabel('Name', { exact: true }).inputValue()).toBe('broken');
    await page.getByRole('button', { name: 'Upload', exact: true }).click();
    const refused = page.getByRole('region', { name: 'Rows the server refused' });
    await refused.waitFor({ timeout: 15_000 });
    expect(await refused.textContent()).toContain('line 3');
    expect(await page.locator('main').textContent()).not.toMatch(/\bat .+:\d+:\d+\)/);
    await expectAccessible(page, 'refused upload');
    await shot(page, 'console-datasets-refused');
    // One click to skip bad rows, then it goes through with the row reported.
    await page.getByRole('button', { name: 'Skip bad rows' }).click();
    await page.getByRole('button', { name: 'Upload', exact: true }).click();
    await page.getByText(/Uploaded broken version 1 \(21 rows, 1 rejected\)/).waitFor({ timeout: 15_000 });
    await page.close();
  }, 60_000);

  it('uploads a data set through the form and shows its schema, balance and splits', async () => {
    const page = await open('/datasets');
    await page.getByLabel('Data file').setInputFiles(join(workDir, 'reviews.csv'));
    await page.getByLabel('Name', { exact: true }).fill('reviews');
    await page.getByLabel('Split seed').fill('7');
    await page.getByRole('button', { name: 'Upload', exact: true }).click();
    await page.getByText(/Uploaded reviews version 1 \(240 rows, 0 rejected\)/).waitFor({ timeout: 20_000 });
    // The list updates without a reload.
    await page
      .getByRole('row', { name: /reviews/ })
      .first()
      .waitFor();
    await page.getByRole('link', { name: 'Open it' }).click();
    await page.getByRole('heading', { name: 'reviews version 1' }).waitFor();
    const balance = page.getByRole('region', { name: 'Class balance' });
    expect(await balance.textContent()).toMatch(/negative\d+/);
    const splits = await page.getByRole('region', { name: 'Rows per split and class' }).textContent();
    expect(splits).toContain('All');
    expect(await page.getByRole('region', { name: 'Schema' }).textContent()).toMatch(/textstring/);
    await expectAccessible(page, 'data set detail');
    await shot(page, 'console-datasets-detail');
    await page.close();
    await checkEverywhere(
      '/datasets',
      (p) =>
        p
          .getByRole('row', { name: /reviews/ })
          .first()
          .waitFor(),
      'console-datasets',
    );
    await checkEverywhere('/datasets/reviews/1', (p) =>
      p.getByRole('heading', { name: 'reviews version 1' }).waitFor(),
    );
  }, 180_000);

  it('starts a study through the form, shows trials arriving live, and the result when it completes', async () => {
    const page = await open('/studies');
    await page.getByRole('heading', { name: 'No studies yet' }).waitFor();
    await page.getByRole('link', { name: 'New study' }).first().click();
    await page.getByRole('heading', { name: 'New study' }).waitFor();
    // Checked before sending: a bad range is reported at its field.
    studyName = 'ui-reviews';
    await page.getByLabel('Study name').fill(studyName);
    await page.getByLabel('Data set', { exact: true }).selectOption('reviews');
    await page.getByLabel('Feature dimensions').waitFor();
    await page.getByLabel('Trials', { exact: true }).fill('4');
    await page.getByLabel('Concurrency', { exact: true }).fill('2');
    await page.getByLabel('Epochs per trial').fill('2');
    await page.getByLabel('Feature dimensions').fill('256');
    await page.getByLabel('Low', { exact: true }).nth(1).fill('0');
    await page.getByRole('button', { name: 'Start the study' }).click();
    await page.getByText('A log scale needs a low above 0.').first().waitFor();
    await page.getByLabel('Low', { exact: true }).nth(1).fill('4');
    await page.getByLabel('High', { exact: true }).nth(1).fill('16');
    await expectAccessible(page, 'new study form');
    await shot(page, 'console-study-new');
    await page.getByRole('button', { name: 'Start the study' }).click();

    await page.getByRole('heading', { name: studyName, level: 2 }).waitFor({ timeout: 15_000 });
    expect(new URL(page.url()).pathname).toBe(`/studies/${studyName}`);
    // Trials arrive while the study runs: seen in the table before the study completes.
    const trialRows = page.getByRole('region', { name: 'Trials', exact: true }).last().locator('tbody tr');
    await trialRows.first().waitFor({ timeout: 60_000 });
    const seenWhileRunning = await page.getByText('Live: updating every 1.5 seconds.').count();
    await shot(page, 'console-study-live');
    try {
      await page.locator('.badge', { hasText: /^(completed|failed)$/ }).waitFor({ timeout: 300_000 });
    } catch (e) {
      // Say where the study stood (and its jobs), not only that the page did not change.
      const view = await (await fetch(`${server.httpUrl}/v1/studies/${studyName}`, { headers: AUTH })).text();
      const jobs = await (await fetch(`${server.httpUrl}/v1/training-jobs`, { headers: AUTH })).text();
      throw new Error(`the study did not finish: ${view.slice(0, 1500)}\njobs: ${jobs.slice(0, 1500)}`, {
        cause: e,
      });
    }
    expect(
      await page.locator('.badge', { hasText: 'failed' }).count(),
      await page.locator('main').innerText(),
    ).toBe(0);
    expect(await trialRows.count()).toBe(4);
    expect(seenWhileRunning).toBe(1);
    // Charts with their text alternatives, importance, and the registered result.
    const objective = page.getByRole('img', { name: /by trial/ });
    expect(await objective.locator('circle, path.chart-mark').count()).toBeGreaterThan(0);
    expect(await page.getByRole('img', { name: /against/ }).count()).toBe(1);
    // Parallel coordinates: a line per trial with a value, the best one marked, described in words.
    const parallel = page.getByRole('img', { name: /^Parallel coordinates/ });
    expect(await parallel.locator('path.pc-line').count()).toBeGreaterThanOrEqual(2);
    expect(await parallel.locator('path.pc-line.best').count()).toBe(1);
    expect(await parallel.locator('desc').textContent()).toMatch(
      /trials drawn across \d+ parameters? and .+ Best: trial \d+/,
    );
    await page.getByLabel('Parameter', { exact: true }).selectOption('model');
    await page.getByRole('heading', { name: 'Result' }).waitFor();
    const result = (await page.getByRole('region', { name: 'Result' }).textContent()) ?? '';
    expect(result).toMatch(/Registered version1/);
    expect(result).toMatch(/Aliaschampion/);
    expect(result).toMatch(/Accuracy\d+(\.\d)?%/);
    const study = (await (
      await fetch(`${server.httpUrl}/v1/studies/${studyName}`, { headers: AUTH })
    ).json()) as {
      state: string;
      trials: unknown[];
    };
    expect(study.state).toBe('completed');
    expect(study.trials).toHaveLength(4);
    // Another alias on the registered version, from the result panel.
    await page.getByLabel('Set an alias on version 1').fill('staging');
    await page.getByRole('button', { name: 'Set alias' }).click();
    await page.getByText('ui-reviews@staging now serves version 1.').waitFor();
    await expectAccessible(page, 'study detail');
    await shot(page, 'console-study-detail');
    await page.close();

    const dark = await open(`/studies/${studyName}`, { colorScheme: 'dark' });
    await dark.getByRole('heading', { name: 'Result' }).waitFor();
    await shot(dark, 'console-study-detail-dark');
    await dark.close();
    await checkEverywhere(
      '/studies',
      (p) => p.getByRole('link', { name: studyName }).waitFor(),
      'console-studies',
    );
    await checkEverywhere('/studies/new', (p) => p.getByRole('heading', { name: 'New study' }).waitFor());
    await checkEverywhere(`/studies/${studyName}`, (p) =>
      p.getByRole('heading', { name: 'Result' }).waitFor(),
    );
  }, 480_000);

  it('compares two trial runs side by side with a metric history chart', async () => {
    const experiments = (await (
      await fetch(`${server.httpUrl}/api/2.0/mlflow/experiments/search?max_results=100`, { headers: AUTH })
    ).json()) as { experiments?: Array<{ experiment_id: string; name: string }> };
    const experiment = experiments.experiments?.find((e) => e.name === `kaleido-study-${studyName}`);
    expect(experiment, 'the study logs to its experiment').toBeDefined();
    const path = `/experiments/${experiment!.experiment_id}`;
    const page = await open(path);
    const boxes = page.getByRole('checkbox', { name: /^Compare / });
    await boxes.nth(1).waitFor({ timeout: 15_000 });
    await boxes.nth(0).check();
    await boxes.nth(1).check();
    await page.getByRole('heading', { name: 'Comparing 2 runs' }).waitFor();
    await page.getByLabel('Metric history').selectOption('val_accuracy');
    const chart = page.getByRole('img', { name: 'val_accuracy by step' });
    await chart.waitFor();
    expect(await chart.locator('path.chart-line').count()).toBe(2);
    await expectAccessible(page, 'run comparison');
    await shot(page, 'console-runs-compare');
    for (const colorScheme of ['light', 'dark'] as const) {
      const narrow = await open(path, { colorScheme, width: 360 });
      const b = narrow.getByRole('checkbox', { name: /^Compare / });
      await b.nth(1).waitFor({ timeout: 15_000 });
      await b.nth(0).check();
      await b.nth(1).check();
      await narrow.getByRole('img', { name: /by step/ }).waitFor();
      await expectAccessible(narrow, `run comparison ${colorScheme} 360px`);
      expect(await narrow.evaluate(WIDE_ELEMENTS)).toEqual([]);
      await narrow.close();
    }
    await page.close();
  }, 120_000);

  it('shows an analyst the same pages read-only: actions hidden or disabled, with the reason', async () => {
    const analyst = await browser.newContext({ acceptDownloads: false });
    try {
      const first = await analyst.newPage();
      await signIn(first, ANALYST);
      await first.close();
      const datasets = await open('/datasets', { in: analyst });
      await datasets
        .getByRole('row', { name: /reviews/ })
        .first()
        .waitFor();
      expect(await datasets.getByLabel('Data file').count()).toBe(0);
      await datasets.getByText('Your role (analyst) may not create data sets.', { exact: false }).waitFor();
      await expectAccessible(datasets, 'data sets as analyst');
      await datasets.close();

      const studies = await open('/studies', { in: analyst, colorScheme: 'dark' });
      await studies.getByRole('link', { name: studyName }).waitFor();
      expect(await studies.getByRole('button', { name: 'New study' }).isDisabled()).toBe(true);
      await studies.getByText('Your role (analyst) may not create studies.', { exact: false }).waitFor();
      await expectAccessible(studies, 'studies as analyst (dark)');
      await shot(studies, 'console-studies-analyst-dark');
      await studies.close();

      const detail = await open(`/studies/${studyName}`, { in: analyst });
      await detail.getByRole('heading', { name: 'Result' }).waitFor();
      expect(await detail.getByRole('button', { name: 'Set alias' }).isDisabled()).toBe(true);
      await detail.getByText('Your role (analyst) may not update models.', { exact: false }).waitFor();
      await detail.close();
    } finally {
      await analyst.close();
    }
  }, 90_000);

  it('gives a system admin a tenant switcher for the admin lists', async () => {
    const res = await fetch(`${server.httpUrl}/v1/tenants`, {
      method: 'POST',
      headers: { ...AUTH, 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'acme', name: 'Acme' }),
    });
    expect(res.status).toBe(201);
    const admin = await browser.newContext({ acceptDownloads: false });
    try {
      const page = await admin.newPage();
      await page.emulateMedia({ colorScheme: 'light', reducedMotion: 'reduce' });
      await signIn(page, SYSTEM_ADMIN, '/studies');
      // Watched from here: before sign-in the page's calls answer 401, as they should.
      watch(page, 'tenant switcher');
      const switcher = page.getByLabel('Administer tenant');
      await switcher.waitFor();
      expect(await switcher.locator('option').allTextContents()).toEqual(
        expect.arrayContaining(['Acme (acme)']),
      );
      await switcher.selectOption('acme');
      await page.reload();
      await page.getByLabel('Administer tenant').waitFor();
      expect(await page.getByLabel('Administer tenant').inputValue()).toBe('acme');
      await expectAccessible(page, 'tenant switcher');
      await page.close();
    } finally {
      await admin.close();
    }
  }, 60_000);

  it('logged no console error and no uncaught exception (CSP included); only provoked failures', () => {
    expect(pageErrors).toEqual([]);
    // The broken CSV is refused on purpose; nothing else failed.
    expect([...new Set(badResponses)]).toEqual(['POST /v1/datasets 400']);
  });
});
