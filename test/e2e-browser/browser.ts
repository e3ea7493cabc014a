/**
 * Browser plumbing for the console's end-to-end tests: the console build, Debian's Chromium
 * driven by playwright-core (never a downloaded browser), axe-core checks, screenshots, and
 * signing in through the console's form (servers run with auth.mode=required).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { AxeBuilder } from '@axe-core/playwright';
import { chromium, type Browser, type Page } from 'playwright-core';
import { REPO_ROOT, TEST_ADMIN_KEY } from '../helpers/kaleido-server.js';

export const WEB_DIR = join(REPO_ROOT, 'web');
export const SCREENSHOT_DIR = join(REPO_ROOT, 'docs', 'images');
/** Debian's Chromium; KALEIDO_CHROMIUM names another binary. */
export const CHROMIUM = process.env.KALEIDO_CHROMIUM ?? '/usr/bin/chromium';

function newestMtime(path: string): number {
  const info = statSync(path);
  if (!info.isDirectory()) return info.mtimeMs;
  return Math.max(info.mtimeMs, ...readdirSync(path).map((name) => newestMtime(join(path, name))));
}

/**
 * Builds web/dist when it is missing or older than the console's sources, so the tests never
 * drive a stale console (vite alone: the type check is the build's and the linter's job).
 */
export function ensureWebBuild(): void {
  const index = join(WEB_DIR, 'dist', 'index.html');
  const sources = Math.max(
    newestMtime(join(WEB_DIR, 'src')),
    newestMtime(join(WEB_DIR, 'index.html')),
    newestMtime(join(WEB_DIR, 'public')),
    newestMtime(join(REPO_ROOT, 'client', 'src')),
  );
  if (existsSync(index) && statSync(index).mtimeMs >= sources) return;
  const vite = join(REPO_ROOT, 'node_modules', 'vite', 'bin', 'vite.js');
  const result = spawnSync(process.execPath, [vite, 'build', '--logLevel', 'warn'], {
    cwd: WEB_DIR,
    encoding: 'utf8',
    // Vitest sets NODE_ENV=test, which would make Vite bundle React's development build: the
    // browser tests must drive the production console that `npm run build` makes.
    env: { ...process.env, NODE_ENV: 'production' },
  });
  if (result.status !== 0)
    throw new Error(`building the web console failed:\n${result.stdout}\n${result.stderr}`);
}

export async function launchChromium(): Promise<Browser> {
  // launch() gives every run a fresh temporary profile.
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-dev-shm-usage',
      // A synthetic microphone and camera, granted without a prompt: the Playground records.
      '--use-fake-device-for-media-stream',
      '--use-fake-ui-for-media-stream',
    ],
  });
}

export interface AxeViolation {
  id: string;
  impact: string | null | undefined;
  help: string;
  targets: string[];
}

/** axe-core against WCAG 2.0/2.1 A and AA; returns the violations, compactly. */
export async function axeViolations(page: Page): Promise<AxeViolation[]> {
  const results = await new AxeBuilder({ page })
    .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'])
    .analyze();
  return results.violations.map((v) => ({
    id: v.id,
    impact: v.impact,
    help: v.help,
    targets: v.nodes.slice(0, 5).map((n) => n.target.join(' ')),
  }));
}

export async function screenshot(page: Page, name: string, fullPage = true): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage, animations: 'disabled' });
  return path;
}

/** A console user's credentials, or an API key (the bootstrap admin key signs in too). */
export type ConsoleCredentials =
  { readonly username: string; readonly password: string } | { readonly apiKey: string };

/**
 * Creates a console user through the admin API (as `adminKey`, default the test servers' admin
 * key) and returns its credentials for `signIn`.
 */
export async function createConsoleUser(
  server: { readonly httpUrl: string },
  user: {
    readonly username: string;
    readonly password: string;
    readonly role: string;
    readonly tenant?: string;
  },
  adminKey: string = TEST_ADMIN_KEY,
): Promise<{ username: string; password: string }> {
  const res = await fetch(`${server.httpUrl}/v1/users`, {
    method: 'POST',
    headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
    body: JSON.stringify(user),
  });
  if (res.status !== 201)
    throw new Error(`creating user ${user.username}: ${res.status} ${await res.text()}`);
  return { username: user.username, password: user.password };
}

/**
 * Signs in through the console's form, as a person would: opens the console (at `path`, default
 * "/"), opens the form if the page did not already ask, picks the method, types, submits, and
 * waits for "Signed in as …". The session cookie then belongs to the page's browser context, so
 * every later page of that context is signed in. Throws with the form's message when refused.
 */
export async function signIn(
  page: Page,
  server: { readonly httpUrl: string },
  creds: ConsoleCredentials,
  path = '/',
): Promise<void> {
  await page.goto(`${server.httpUrl}${path}`);
  const form = page.getByRole('form', { name: 'Sign in' });
  // The page's first calls may open the form by themselves (401) at any moment: click the top
  // bar's closed toggle only while the form is not shown, and tolerate losing that race.
  const toggle = page.getByRole('button', { name: 'Sign in', expanded: false });
  const until = Date.now() + 20_000;
  while (!(await form.isVisible())) {
    if (Date.now() > until) {
      const bar = await page
        .locator('header')
        .first()
        .innerText()
        .catch(() => '?');
      throw new Error(`the sign-in form did not open on ${path}; top bar: ${bar}`);
    }
    if (await toggle.isVisible()) await toggle.click({ timeout: 1000 }).catch(() => undefined);
    await page.waitForTimeout(250);
  }
  if ('apiKey' in creds) {
    await form.getByRole('radio', { name: 'API key' }).check();
    await form.getByRole('textbox', { name: 'API key' }).fill(creds.apiKey);
  } else {
    await form.getByRole('radio', { name: 'Username and password' }).check();
    await form.getByLabel('Username', { exact: true }).fill(creds.username);
    await form.getByLabel('Password', { exact: true }).fill(creds.password);
  }
  await form.getByRole('button', { name: 'Sign in' }).click();
  // Polled from Node: the console's CSP (rightly) forbids the in-page eval waitForFunction uses. The
  // form may already show "the server asked you to sign in" from the page's first calls: only
  // "Signed in as" or a different message, once the button is back, ends the wait.
  const signedIn = page.getByTestId('signed-in-as');
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (await signedIn.isVisible()) return;
    const submit = form.getByRole('button', { name: 'Sign in' });
    const alert = form.getByRole('alert');
    if ((await submit.isVisible()) && (await alert.isVisible())) {
      const text = (await alert.textContent()) ?? '';
      if (!/asked you to sign in/.test(text)) throw new Error(`sign-in refused: ${text}`);
    }
    if (Date.now() > deadline) throw new Error('sign-in did not finish within 30 s');
    await page.waitForTimeout(100);
  }
}

/** Signs out with the top bar's button and waits until the console shows "Sign in" again. */
export async function signOut(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('button', { name: 'Sign in' }).waitFor();
}
