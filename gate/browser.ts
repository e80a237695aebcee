/**
 * report.html in a real browser: headless Chromium from Debian's package (`chromium`, driven by
 * playwright-core; no browser download). Loads the page from its file, collects console errors
 * and page errors, checks that every chart canvas was drawn (non-blank pixels), and saves a
 * full-page screenshot. Used by gate/browser.test.ts and gate/screenshot.ts (.ci/run).
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

export const CHROMIUM = process.env['GEMCHECK_CHROMIUM'] ?? '/usr/bin/chromium';

/** Why no browser test can run here, or null. */
export function chromiumMissing(): string | null {
  return existsSync(CHROMIUM) ? null : `${CHROMIUM} is not installed (Debian package chromium; .ci/run installs it as root)`;
}

export interface PageCheck {
  readonly errors: readonly string[];
  readonly charts: readonly { readonly id: string; readonly width: number; readonly height: number; readonly painted: number }[];
  readonly title: string;
}

export async function checkReport(html: string, png?: string): Promise<PageCheck> {
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(String(e)));
    // offline: any request that is not the file itself is an error (the report must be self-contained)
    await page.route('**/*', (route) => {
      const url = route.request().url();
      if (url.startsWith('file:')) return route.continue();
      errors.push(`request outside the file: ${url}`);
      return route.abort();
    });
    await page.goto(pathToFileURL(resolve(html)).href, { waitUntil: 'load' });
    await page.waitForSelector('body[data-charts]', { timeout: 15_000 });
    const charts = await page.evaluate(() =>
      [...document.querySelectorAll('canvas')].map((c) => {
        const ctx = c.getContext('2d');
        let painted = 0;
        if (ctx && c.width && c.height) {
          const d = ctx.getImageData(0, 0, c.width, c.height).data;
          for (let i = 3; i < d.length; i += 4) if (d[i] !== 0) painted++;
        }
        return { id: c.id, width: c.width, height: c.height, painted };
      }),
    );
    if (png) {
      // the whole page, up to 6000 px (a long findings list is cut; the charts are at the top)
      const height = Math.min(6000, await page.evaluate(() => document.documentElement.scrollHeight));
      await page.setViewportSize({ width: 1280, height });
      await page.screenshot({ path: png, timeout: 60_000 });
    }
    return { errors, charts, title: await page.title() };
  } finally {
    await browser.close();
  }
}
