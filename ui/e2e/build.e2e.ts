// The production build (dist) must never carry the mock backend, and no page may load anything
// from outside or run inline script (the CSP is default-src 'self').
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DIST, UI_ROOT } from './harness';

const PROD = join(UI_ROOT, 'dist');
const files = (dir: string) => readdirSync(join(dir, 'assets')).map((f) => join(dir, 'assets', f));

describe('builds', () => {
  it('the production build has no trace of the mock backend', () => {
    const all = files(PROD).map((f) => readFileSync(f, 'utf8')).join('\n');
    for (const marker of ['__latchkeyMock', 'FakeBackend', 'mock backend', 'open sesame 42', '__TAURI_EVENT_PLUGIN_INTERNALS__.unregisterListener=']) {
      expect(all.includes(marker), marker).toBe(false);
    }
    const mock = files(DIST).map((f) => readFileSync(f, 'utf8')).join('\n');
    expect(mock.includes('__latchkeyMock')).toBe(true);
  });

  it.each(['index.html', 'accept.html', 'viewer.html', 'files.html'])('%s loads only its own files, with no inline script', (page) => {
    const html = readFileSync(join(PROD, page), 'utf8');
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/\b(?:src|href)="(?:https?:)?\/\//);
    expect(html).not.toMatch(/\sstyle=/);
    expect(html).not.toMatch(/\son[a-z]+=/);
  });

  it('stylesheets load nothing from outside', () => {
    for (const f of files(PROD).filter((x) => x.endsWith('.css'))) {
      expect(readFileSync(f, 'utf8')).not.toMatch(/url\(\s*['"]?(?:https?:)?\/\//);
      expect(readFileSync(f, 'utf8')).not.toMatch(/@import/);
    }
  });
});
