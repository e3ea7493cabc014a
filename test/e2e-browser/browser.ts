/**
 * Browser plumbing for the console's end-to-end tests: the console build, Debian's Chromium
 * driven by playwright-core (never a downloaded browser), axe-core checks and screenshots.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { AxeBuilder } from '@axe-core/playwright';
import { chromium, type Browser, type Page } from 'playwright-core';
import { REPO_ROOT } from '../helpers/kaleido-server.js';

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
