/**
 * The Playground analyses one input of EACH modality through the real server (startTestServer:
 * the production composition root serving web/dist, every modality's analyzers, silero_vad
 * served from models/bundled) in Debian's Chromium, and the page shows the answer as a person
 * wants it: the decision with its reasons, labels and boxes drawn on the image, the transcript and
 * speech segments of a recording, the timeline of a video. The inputs are committed fixtures
 * (test/fixtures/images/dog.jpg, test/fixtures/audio/spoken-email.flac,
 * test/fixtures/video/two-scenes.mp4), so the expected findings are known.
 *
 * This server runs with auth.mode=disabled: the console must say "sign-in is off" and log no error
 * (GET /v1/auth/session answers 200 {auth: "disabled"}, not 404). Screenshots go to docs/images/.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BUNDLED_REPOSITORY,
  FIXTURE_REPOSITORY,
  REPO_ROOT,
  startTestServer,
  type TestServer,
} from '../helpers/kaleido-server.js';
import { axeViolations, CHROMIUM, ensureWebBuild, launchChromium, screenshot } from './browser.js';

const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) console.warn(`browser e2e skipped: no Chromium at ${CHROMIUM} (apt-get install chromium)`);

const FIXTURES = join(REPO_ROOT, 'test', 'fixtures');
let server: TestServer;
let browser: Browser;
let context: BrowserContext;
const pageErrors: string[] = [];

async function open(path: string): Promise<Page> {
  const page = await context.newPage();
  await page.emulateMedia({ colorScheme: 'light', reducedMotion: 'reduce' });
  await page.setViewportSize({ width: 1280, height: 860 });
  page.on('console', (m) => {
    if (m.type() === 'error') pageErrors.push(`${path}: ${m.text()} (${m.location().url})`);
  });
  page.on('pageerror', (e) => pageErrors.push(`${path}: ${e.message}`));
  await page.goto(`${server.httpUrl}${path}`);
  await page.locator('main h1').first().waitFor();
  return page;
}

/** Picks a committed fixture in the file tab, analyses it, and waits for the safety decision. */
async function analyseFile(page: Page, file: string, mimeType: string): Promise<void> {
  await page.getByRole('tab', { name: 'Image, audio or video' }).click();
  const name = file.split('/').pop()!;
  await page
    .getByLabel('Choose a file to analyse')
    .setInputFiles({ name, mimeType, buffer: readFileSync(join(FIXTURES, file)) });
  // An <img alt> for images, an <audio>/<video aria-label> for the rest.
  await page.locator(`[alt="Preview of ${name}"], [aria-label="Preview of ${name}"]`).waitFor();
  await page.getByRole('button', { name: 'Analyse', exact: true }).click();
  await waitForDecision(page);
}

async function waitForDecision(page: Page): Promise<void> {
  const outcome = page.locator('section.verdict, .state.error');
  await outcome.first().waitFor({ timeout: 120_000 });
  if ((await page.locator('.state.error').count()) > 0)
    throw new Error(`analysis failed: ${await page.locator('.state.error').first().textContent()}`);
}

/** The transcript's captions track (a blob: URL) loaded: 2 = LOADED, 3 = ERROR. */
async function captionsLoaded(page: Page): Promise<void> {
  await expect
    .poll(() => page.evaluate("document.querySelector('track')?.readyState"), { timeout: 10_000 })
    .toBe(2);
}

const action = (page: Page) => page.locator('section.verdict .verdict-action').textContent();

async function expectAccessible(page: Page): Promise<void> {
  const violations = await axeViolations(page);
  expect(violations, JSON.stringify(violations, null, 2)).toEqual([]);
}

describe.skipIf(!haveChromium)('Playground: one input of each modality, in Chromium', () => {
  beforeAll(async () => {
    ensureWebBuild();
    server = await startTestServer({
      repositories: [FIXTURE_REPOSITORY, BUNDLED_REPOSITORY],
      startupModels: ['silero_vad', 'spam_classifier'],
    });
    browser = await launchChromium();
    context = await browser.newContext({ acceptDownloads: false });
  }, 180_000);

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await server?.close();
  }, 300_000);

  it('text: PII redacted, highlighted, with the statement of reasons (and no sign-in: auth is off)', async () => {
    const page = await open('/playground');
    // auth.mode=disabled: the session route answers 200 {auth: "disabled"} and the top bar says so.
    await page.getByTestId('auth-disabled').waitFor({ timeout: 15_000 });
    expect(await page.getByRole('button', { name: 'Sign in' }).count()).toBe(0);
    const session = await fetch(`${server.httpUrl}/v1/auth/session`);
    expect(session.status).toBe(200);
    expect(await session.json()).toMatchObject({ auth: 'disabled', principal: null });

    await page
      .getByRole('textbox', { name: 'Text' })
      .fill('Mail me at jane.doe@example.com or call 555-0100.');
    await page.getByRole('button', { name: 'Analyse', exact: true }).click();
    await waitForDecision(page);
    expect(await action(page)).toBe('Redacted');
    expect(await page.locator('ol.reasons').textContent()).toMatch(/pii/i);
    expect(await page.locator('.analysed-text mark.pii').count()).toBeGreaterThanOrEqual(1);
    expect(await page.locator('mark.redaction').count()).toBeGreaterThan(0);
    await expectAccessible(page);
    await page.close();
  }, 120_000);

  it('image: labels with score bars, boxes drawn on the photo and listed, the decision', async () => {
    const page = await open('/playground');
    await analyseFile(page, 'images/dog.jpg', 'image/jpeg');
    expect(await action(page)).toMatch(/^(Allowed|Flagged|Sent to review|Redacted)$/);
    await page.getByRole('heading', { name: 'Image', exact: true }).waitFor();
    // The YOLO sample photo: a dog, a bicycle and a car, each boxed and listed.
    const detections = page.getByRole('table', { name: 'Detections' });
    const labels = (await detections.locator('tbody tr td:nth-child(2)').allTextContents()).join(' ');
    expect(labels).toMatch(/dog/);
    expect(labels).toMatch(/bicycle|car|truck/);
    expect(await page.locator('.media-figure svg rect').count()).toBeGreaterThanOrEqual(2);
    expect(await page.getByRole('img', { name: /^dog\.jpg, with \d+ detections outlined$/ }).count()).toBe(1);
    // Classifier labels as score bars.
    expect(await page.locator('.scores .bar').count()).toBeGreaterThan(0);
    await expectAccessible(page);
    await screenshot(page, 'console-playground-image');
    await page.close();
  }, 180_000);

  it('audio: speech segments, a timed transcript whose words seek the player, spoken PII redacted', async () => {
    const page = await open('/playground');
    await analyseFile(page, 'audio/spoken-email.flac', 'audio/flac');
    await page.getByRole('heading', { name: 'Audio and transcript' }).waitFor();
    // Voice activity: at least one segment inside the 0.5 s silences either side.
    const segments = page
      .getByRole('heading', { name: 'Speech segments' })
      .locator('xpath=following-sibling::ul[1]/li');
    expect(await segments.count()).toBeGreaterThanOrEqual(1);
    // The transcript's words are buttons that play from their time.
    const words = page.locator('p.transcript button');
    expect(await words.count()).toBeGreaterThan(3);
    expect(await words.first().getAttribute('aria-label')).toMatch(/, at \d+:\d\d/);
    expect((await page.locator('p.transcript').textContent())?.toLowerCase()).toMatch(/email|example|today/);
    // Spoken PII (the e-mail address) is redacted by the default policy.
    expect(await action(page)).toBe('Redacted');
    expect(
      await page.getByRole('heading', { name: 'Transcript as the policy lets it through' }).count(),
    ).toBe(1);
    await expectAccessible(page);
    await screenshot(page, 'console-playground-audio');
    await captionsLoaded(page);
    await page.close();
  }, 180_000);

  it('video: a timeline with the scene cut, per-segment on-screen text and speech, the decision', async () => {
    const page = await open('/playground');
    await analyseFile(page, 'video/two-scenes.mp4', 'video/mp4');
    await page.getByRole('heading', { name: 'Video and transcript' }).waitFor();
    await page.getByRole('heading', { name: 'Timeline' }).waitFor();
    const summary = (await page.locator('.video-timeline > p').first().textContent()) ?? '';
    expect(summary).toMatch(/2 segments/);
    expect(summary).toMatch(/1 scene cut \(at 0:02/);
    expect(await page.locator('.timeline-track .timeline-cut').count()).toBe(1);
    expect(await page.locator('.timeline-track .timeline-segment').count()).toBe(2);
    const items = page.locator('ol.timeline-segments > li');
    expect(await items.count()).toBe(2);
    expect(await items.nth(0).textContent()).toMatch(/HELLO/);
    expect(await items.nth(1).textContent()).toMatch(/SECOND/);
    // A segment's button plays from its start, by keyboard too.
    await items
      .nth(1)
      .getByRole('button', { name: /^Play from 0:02/ })
      .focus();
    await page.keyboard.press('Enter');
    await expect
      .poll(
        () =>
          page.evaluate(`document.querySelector('video[aria-label="Video: two-scenes.mp4"]')?.currentTime`),
        {
          timeout: 5_000,
        },
      )
      .toBeGreaterThanOrEqual(1.9);
    // The speech track was transcribed on the video's timeline.
    expect(await page.locator('p.transcript button').count()).toBeGreaterThan(2);
    expect(await action(page)).not.toBe('Blocked');
    await expectAccessible(page);
    await screenshot(page, 'console-playground-video');
    await captionsLoaded(page);
    await page.close();
  }, 180_000);

  it('records from the (fake) microphone: a beep is no speech, so nothing to transcribe and nothing to block', async () => {
    const page = await open('/playground');
    await page.getByRole('tab', { name: 'Image, audio or video' }).click();
    await page.getByRole('button', { name: 'Record audio' }).click();
    const stop = page.getByRole('button', { name: 'Stop recording' });
    await stop.waitFor({ timeout: 15_000 });
    await page.getByLabel('Elapsed time').getByText('0:02').waitFor({ timeout: 15_000 });
    await stop.click();
    await page.getByText(/^recording-.+\.webm$/).waitFor({ timeout: 15_000 });
    await page.getByRole('button', { name: 'Analyse', exact: true }).click();
    await waitForDecision(page);
    // Chromium's fake microphone plays beeps: voice activity finds no speech, so the recogniser
    // is skipped and no text rule has anything to match; with every safety step delivered, the
    // policy allows it (a server that cannot run the VAD at all fails closed instead: the
    // statement of reasons then names the failed analyzer, see console.test.ts).
    await page.getByRole('heading', { name: 'Audio and transcript' }).waitFor();
    expect(await page.getByText('No speech was recognised.').count()).toBe(1);
    expect(await page.getByRole('heading', { name: 'Speech segments' }).count()).toBe(0);
    expect(await action(page)).toBe('Allowed');
    expect(await page.locator('section.verdict').textContent()).toContain('No rule of the policy matched');
    expect(await page.locator('ul.stages').textContent()).toMatch(/vad\s+\(silero_vad/);
    await expectAccessible(page);
    await page.close();
  }, 120_000);

  it('logged no console error and no uncaught exception (no 404 from the session route)', () => {
    expect(pageErrors).toEqual([]);
  });
});
