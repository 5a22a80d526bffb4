// Runs once around the e2e suite: clears old screenshots, guards the whole run with a
// watchdog (it must stop by itself), and lists the screenshots at the end.
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ARTIFACTS, CHROMIUM, DIST, UI_ROOT } from './harness';

const WATCHDOG_MS = 8 * 60_000;

export default function setup() {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium not found at ${CHROMIUM} (install Debian's "chromium" package)`);
  }
  if (!existsSync(join(DIST, 'index.html'))) {
    throw new Error('dist-mock is missing: run "vite build --mode mock" first (npm run e2e does)');
  }
  rmSync(ARTIFACTS, { recursive: true, force: true });
  const watchdog = setTimeout(() => {
    console.error(`e2e: still running after ${WATCHDOG_MS / 1000} s; stopping.`);
    process.exit(2);
  }, WATCHDOG_MS);
  watchdog.unref();
  return () => {
    clearTimeout(watchdog);
    const files = existsSync(ARTIFACTS)
      ? readdirSync(ARTIFACTS)
          .filter((f) => f.endsWith('.png'))
          .sort()
      : [];
    const lines = files.map((f) => {
      const p = join(ARTIFACTS, f);
      return `  ${relative(UI_ROOT, p)} (${Math.round(statSync(p).size / 1024)} KiB)`;
    });
    console.log(`\nScreenshots (${files.length}) in ${ARTIFACTS}:\n${lines.join('\n')}\n`);
  };
}
