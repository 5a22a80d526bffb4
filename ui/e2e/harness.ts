// Shared e2e machinery: a loopback static server for dist-mock (with the production CSP),
// Debian's Chromium through playwright-core, pages preloaded with the mock configuration,
// light+dark screenshots, and a check that no page logged an error or a CSP violation.
import { createServer, type Server } from 'node:http';
import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import type { EventPayloads } from '../src/bindings';
import type { MockConfig } from './fake-backend';

export const UI_ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
export const DIST = join(UI_ROOT, 'dist-mock');
export const ARTIFACTS = join(UI_ROOT, 'e2e', 'artifacts');
export const CHROMIUM = process.env.LATCHKEY_CHROMIUM ?? '/usr/bin/chromium';

/** The policy the Tauri windows run under (connect-src also allows the loopback frame socket). */
export const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self' ws://127.0.0.1:*",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

export async function startStaticServer(root = DIST): Promise<{ server: Server; origin: string }> {
  statSync(join(root, 'index.html')); // fail early when the mock build is missing
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const rel = normalize(decodeURIComponent(url.pathname)).replace(/^([/\\])+/, '');
    const file = resolve(root, rel || 'index.html');
    if (!file.startsWith(root + sep) && file !== root) {
      res.writeHead(403).end();
      return;
    }
    try {
      const body = readFileSync(file);
      res.writeHead(200, {
        'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream',
        'Content-Security-Policy': CSP,
        'Cache-Control': 'no-store',
      });
      res.end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const addr = server.address();
  if (!addr || typeof addr === 'string') throw new Error('no address');
  return { server, origin: `http://127.0.0.1:${addr.port}` };
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
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
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
