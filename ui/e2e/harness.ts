// Shared e2e machinery: a loopback static server for dist-mock (with the production CSP),
// Debian's Chromium through playwright-core, pages preloaded with the mock configuration,
// light+dark screenshots, and a check that no page logged an error or a CSP violation.
// The server, the CSP and Chromium's arguments live in shared.mjs (bench/frame-path.mjs uses them).
import type { Server } from 'node:http';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import type { EventPayloads } from '../src/bindings';
import type { MockConfig } from './fake-backend';
import { CHROMIUM, CHROMIUM_ARGS, startStaticServer as serveStatic } from './shared.mjs';

export const UI_ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
export const DIST = join(UI_ROOT, 'dist-mock');
export const ARTIFACTS = join(UI_ROOT, 'e2e', 'artifacts');
export { CHROMIUM, CSP } from './shared.mjs';

export async function startStaticServer(root = DIST): Promise<{ server: Server; origin: string }> {
  return serveStatic(root);
}

export interface Harness {
  origin: string;
  browser: Browser;
  context: BrowserContext;
  /** Errors and CSP violations logged by any page so far. */
  problems: string[];
  open(path: string, config?: MockConfig, opts?: { width?: number; height?: number }): Promise<Page>;
  close(): Promise<void>;
}

export async function startHarness(): Promise<Harness> {
  const { server, origin } = await startStaticServer();
  // playwright-core gives every launch a fresh temporary profile and removes it on close.
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    timeout: 30_000,
    args: [...CHROMIUM_ARGS],
  });
  const context = await browser.newContext({
    viewport: { width: 1100, height: 820 },
    colorScheme: 'light',
    reducedMotion: 'reduce',
    locale: 'en-GB',
    timezoneId: 'UTC',
  });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin });
  context.setDefaultTimeout(10_000);
  const problems: string[] = [];
  return {
    origin,
    browser,
    context,
    problems,
    async open(path, config = {}, opts = {}) {
      const page = await context.newPage();
      if (opts.width || opts.height) {
        await page.setViewportSize({ width: opts.width ?? 1100, height: opts.height ?? 820 });
      }
      page.on('console', (m) => {
        if (m.type() === 'error') problems.push(`${path}: console error: ${m.text()}`);
      });
      page.on('pageerror', (e) => problems.push(`${path}: page error: ${e.message}`));
      await page.addInitScript((cfg) => {
        (window as unknown as { __LATCHKEY_MOCK_CONFIG__: unknown }).__LATCHKEY_MOCK_CONFIG__ = cfg;
      }, config);
      await page.goto(origin + '/' + path.replace(/^\//, ''));
      return page;
    },
    async close() {
      await context.close().catch(() => {});
      await browser.close().catch(() => {});
      await new Promise<void>((ok) => server.close(() => ok()));
    },
  };
}

/** Screenshot the page in light and dark: e2e/artifacts/<name>-light.png and -dark.png. */
export async function shot(page: Page, name: string): Promise<string[]> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const paths: string[] = [];
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    // Let transitions of the theme switch settle.
    await page.waitForTimeout(60);
    const path = join(ARTIFACTS, `${name}-${scheme}.png`);
    await page.screenshot({ path, fullPage: true, animations: 'disabled', caret: 'hide' });
    paths.push(path);
  }
  await page.emulateMedia({ colorScheme: 'light' });
  return paths;
}

/** Calls the mock backend recorded for `cmd`. */
export async function callsOf(page: Page, cmd: string): Promise<unknown[]> {
  return page.evaluate(
    (c) => window.__latchkeyMock!.backend.calls.filter((x) => x.cmd === c).map((x) => x.args),
    cmd,
  );
}

/** Emit a backend event into the page, with the payload type the Rust side sends. */
export async function emitEvent<K extends keyof EventPayloads>(page: Page, event: K, payload: EventPayloads[K]): Promise<void> {
  await page.evaluate(([e, p]) => window.__latchkeyMock!.emit(e as string, p), [event, payload] as const);
}
