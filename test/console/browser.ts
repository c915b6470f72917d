import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { ROOT } from '../support/build.js';

/**
 * Debian's chromium (installed by .ci/run with apt-get; playwright-core never downloads a
 * browser). CHROMIUM_PATH names another binary.
 */
export function chromiumPath(): string {
  const candidates = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter((p): p is string => Boolean(p));
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new Error(`no chromium found (tried ${candidates.join(', ')}): apt-get install chromium, or set CHROMIUM_PATH`);
  return found;
}

export async function launchBrowser(): Promise<Browser> {
  // --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start.
  return chromium.launch({ executablePath: chromiumPath(), args: ['--no-sandbox', '--disable-dev-shm-usage'] });
}

/** What a page reported that a test must see none of: CSP violations, uncaught errors. */
export interface PageProblems {
  csp: string[];
  errors: string[];
}

export async function openPage(context: BrowserContext): Promise<{ page: Page; problems: PageProblems }> {
  const page = await context.newPage();
  const problems: PageProblems = { csp: [], errors: [] };
  page.on('console', (message) => {
    if (/Content Security Policy|Content-Security-Policy/i.test(message.text())) problems.csp.push(message.text());
  });
  page.on('pageerror', (error) => problems.errors.push(error.message));
  page.setDefaultTimeout(10_000);
  return { page, problems };
}

const SCREENSHOTS = join(ROOT, 'docs', 'console');

/** A screenshot of the page (the whole of it unless fullPage is false) into docs/console/<name>.png (linked from docs/console.md). */
export async function screenshot(page: Page, name: string, { fullPage = true } = {}): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage, animations: 'disabled', caret: 'hide' });
}

/** The accessible label of the focused element: its <label>, aria-label, or text. */
export async function focusedLabel(page: Page): Promise<string> {
  return page.evaluate(() => {
    const el = document.activeElement as HTMLElement | null;
    if (!el) return '';
    const labelled = (el as HTMLInputElement).labels?.[0]?.textContent;
    return (labelled ?? el.getAttribute('aria-label') ?? el.textContent ?? '').trim();
  });
}

/** Presses Tab until the element labelled `label` has the focus; fails when it is not reachable. */
export async function tabTo(page: Page, label: string | RegExp, max = 80): Promise<void> {
  const seen: string[] = [];
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    const now = await focusedLabel(page);
    if (typeof label === 'string' ? now === label : label.test(now)) return;
    seen.push(now);
  }
  throw new Error(`"${String(label)}" not reached with Tab; focus went through: ${seen.join(' | ')}`);
}

/** Waits for a form's "Saved." and fails with the error the console shows instead. */
export async function expectSaved(page: Page): Promise<void> {
  const outcome = page.locator('.warnings .success, [role="alert"]').first();
  await outcome.waitFor();
  if ((await outcome.getAttribute('role')) === 'alert') throw new Error(`not saved: ${await outcome.textContent()}`);
}
