// The frame-path benchmark, UI half: how fast decoded frames reach the viewer window and how
// much latency the path adds. It opens the real viewer page (the mock build in dist-mock/, served
// from loopback with the production CSP) in Debian's headless Chromium, points its session at a
// frame server, lets it warm up, then measures N seconds.
//
//   node bench/frame-path.mjs --url ws://127.0.0.1:PORT/frames?... --seconds N --renderer webgl|2d
//        [--warmup 2] [--viewport 1920x1080]
//
// stdout: exactly one JSON line (only on success):
//   {"renderer":"webgl","seconds":N,"frames":F,"fps":F/N,"draw_ms_median":D,
//    "latency_ms_median":L,"latency_ms_p95":P,"bad_frames":B}
//   frames       frames whose draw completed during the N measured seconds
//   fps          frames / N
//   draw_ms_*    a frame's arrival on the socket to its draw completing (median of those frames)
//   latency_ms_* the frame's publish stamp (header field 6, low 32 bits of Unix ms) to its draw
//                completing, same clock (median, nearest-rank 95th percentile of those frames);
//                null when no frame carried a stamp
//   bad_frames   messages the page refused as frames, since it opened (warm-up included)
// Everything else goes to stderr. Exit status: 0 measured, 1 failed (the reason on stderr),
// 2 bad arguments. The whole run is bounded: N + 60 s once dist-mock/ is ready (building it,
// when missing or older than the sources, has its own bound of 300 s).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS, startStaticServer } from '../e2e/shared.mjs';

const UI_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const DIST = join(UI_ROOT, 'dist-mock');
const BUILD_TIMEOUT_S = 300;
/** The first frame must be drawn within this long after the page opened. */
const FIRST_FRAME_TIMEOUT_S = 20;

/** Diagnostics go to stderr, never with the frame socket's secret. */
const log = (msg) => process.stderr.write(`frame-path: ${String(msg).replace(/(secret=)[^&\s'"]+/g, '$1…')}\n`);

function fail(msg, code = 1) {
  log(`error: ${msg}`);
  process.exit(code);
}

const USAGE =
  'usage: node bench/frame-path.mjs --url ws://127.0.0.1:PORT/PATH --seconds N --renderer webgl|2d ' +
  '[--warmup S] [--viewport WxH]';

function parseArgs(argv) {
  const o = { url: '', seconds: NaN, renderer: '', warmup: 2, viewport: [1920, 1080] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '-h' || a === '--help') {
      process.stderr.write(USAGE + '\n');
      process.exit(0);
    }
    const v = argv[i + 1];
    if (v === undefined) fail(`${a} needs a value\n${USAGE}`, 2);
    i++;
    switch (a) {
      case '--url':
        o.url = v;
        break;
      case '--seconds':
        o.seconds = Number(v);
        break;
      case '--renderer':
        o.renderer = v;
        break;
      case '--warmup':
        o.warmup = Number(v);
        break;
      case '--viewport': {
        const m = /^(\d+)x(\d+)$/.exec(v);
        if (!m) fail(`--viewport must be WIDTHxHEIGHT, not ${v}`, 2);
        o.viewport = [Number(m[1]), Number(m[2])];
        break;
      }
      default:
        fail(`unknown argument ${a}\n${USAGE}`, 2);
    }
  }
  if (!o.url) fail(`--url is required\n${USAGE}`, 2);
  let u;
  try {
    u = new URL(o.url);
  } catch {
    fail(`--url is not a URL: ${o.url}`, 2);
  }
  // The windows' CSP allows only ws://127.0.0.1:* (not localhost, not wss).
  if (u.protocol !== 'ws:' || u.hostname !== '127.0.0.1' || !u.port) {
    fail(`--url must be ws://127.0.0.1:PORT/... (what the viewer's CSP allows), not ${redact(o.url)}`, 2);
  }
  if (!(o.seconds > 0 && o.seconds <= 3600)) fail(`--seconds must be a number in (0, 3600]\n${USAGE}`, 2);
  if (o.renderer !== 'webgl' && o.renderer !== '2d') fail(`--renderer must be webgl or 2d\n${USAGE}`, 2);
  if (!(o.warmup >= 0 && o.warmup <= 60)) fail('--warmup must be in [0, 60] seconds', 2);
  return o;
}

/** The URL without its query (which holds the session's secret). */
function redact(url) {
  return url.replace(/\?.*/, '?…');
}

/** Newest modification time (ms) of the files the mock build is made from. */
function newestSource() {
  let newest = 0;
  const visit = (p) => {
    const st = statSync(p);
    if (st.isDirectory()) for (const e of readdirSync(p)) visit(join(p, e));
    else newest = Math.max(newest, st.mtimeMs);
  };
  for (const p of [
    'src',
    'index.html',
    'accept.html',
    'viewer.html',
    'vite.config.ts',
    'svelte.config.js',
    'package.json',
    'e2e/mock-backend.ts',
    'e2e/fake-backend.ts',
  ]) {
    const abs = join(UI_ROOT, p);
    if (existsSync(abs)) visit(abs);
  }
  return newest;
}

/** dist-mock/ as the sources are now: built (vite build --mode mock) when missing or older. */
function ensureMockBuild() {
  const marker = join(DIST, 'viewer.html');
  if (existsSync(marker) && statSync(marker).mtimeMs >= newestSource()) return;
  log(existsSync(marker) ? 'dist-mock/ is older than the sources: rebuilding' : 'dist-mock/ is missing: building');
  const started = Date.now();
  // The build's output goes to stderr: stdout is for the result line only.
  const r = spawnSync('npx', ['vite', 'build', '--mode', 'mock', '--logLevel', 'warn'], {
    cwd: UI_ROOT,
    stdio: ['ignore', 2, 2],
    timeout: BUILD_TIMEOUT_S * 1000,
    killSignal: 'SIGKILL',
  });
  if (r.error) fail(`could not build dist-mock/ (npx vite build --mode mock): ${r.error.message}`);
  if (r.status !== 0) fail(`building dist-mock/ (npx vite build --mode mock) failed with status ${r.status ?? r.signal}`);
  if (!existsSync(marker)) fail('the mock build did not produce dist-mock/viewer.html');
  log(`built dist-mock/ in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

function median(values) {
  if (!values.length) return null;
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Nearest rank, like the page's FrameStats: the smallest value with p% at or below it. */
function percentile(values, p) {
  if (!values.length) return null;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length, Math.max(1, Math.ceil((p / 100) * s.length))) - 1];
}

const round2 = (x) => (x === null ? null : Math.round(x * 100) / 100);

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (!existsSync(CHROMIUM)) fail(`Chromium not found at ${CHROMIUM} (install Debian's "chromium" package or set LATCHKEY_CHROMIUM)`);
  ensureMockBuild();

  const hardTimeoutS = opts.seconds + 60;
  setTimeout(() => {
    // process.exit runs playwright-core's exit handler, which kills Chromium's process group.
    fail(`no result after ${hardTimeoutS} s (hard timeout); stopping`);
  }, hardTimeoutS * 1000);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => fail(`stopped by ${sig}`));

  const { server, origin } = await startStaticServer(DIST);
  let browser = null;
  const consoleErrors = [];
  try {
    // A fresh temporary profile, removed on close (and on exit).
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, timeout: 30_000, args: [...CHROMIUM_ARGS] });
    log(`Chromium ${browser.version()}, viewport ${opts.viewport.join('x')}, renderer=${opts.renderer}, frames from ${redact(opts.url)}`);
    const context = await browser.newContext({
      viewport: { width: opts.viewport[0], height: opts.viewport[1] },
      deviceScaleFactor: 1,
    });
    context.setDefaultTimeout(30_000);
    const page = await context.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
    page.on('pageerror', (e) => consoleErrors.push(`page error: ${e.message}`));
    // The mock backend's session: one 1920x1080 display, frames from the given URL, view only.
    const config = {
      session: {
        host_id: '123456789',
        permissions: [],
        displays: [{ id: 1, name: 'bench', x: 0, y: 0, width: 1920, height: 1080, primary: true }],
        display: 1,
        frames_url: opts.url,
      },
    };
    await page.addInitScript((cfg) => {
      window.__LATCHKEY_MOCK_CONFIG__ = cfg;
    }, config);
    await page.goto(`${origin}/viewer.html?session=bench&renderer=${opts.renderer}`);

    // The first frame drawn.
    const firstBy = Date.now() + FIRST_FRAME_TIMEOUT_S * 1000;
    let stats = null;
    for (;;) {
      stats = await page.evaluate(() => window.__latchkeyFrameStats ?? null);
      if (stats && stats.frames > 0) break;
      if (Date.now() > firstBy) {
        const shown = await page
          .locator('[role=status], [role=alert]')
          .allInnerTexts()
          .catch(() => []);
        const what = shown.map((t) => t.trim().replace(/\s+/g, ' ')).filter(Boolean).join(' | ');
        fail(
          `no frame drawn within ${FIRST_FRAME_TIMEOUT_S} s of opening the viewer` +
            (stats ? ` (${stats.badFrames} messages refused as frames)` : ' (the stream never started)') +
            (what ? `; the window says: ${what}` : '') +
            (consoleErrors.length ? `; console: ${consoleErrors.slice(-3).join(' / ')}` : '') +
            `. Is a frame server publishing at ${redact(opts.url)}?`,
        );
      }
      await page.waitForTimeout(100);
    }
    if (stats.renderer !== opts.renderer) fail(`asked for renderer=${opts.renderer} but the viewer draws with ${stats.renderer}`);
    const gl = await page.evaluate(() => {
      const c = document.createElement('canvas').getContext('webgl');
      const ext = c && c.getExtension('WEBGL_debug_renderer_info');
      return c ? String(c.getParameter(ext ? ext.UNMASKED_RENDERER_WEBGL : c.RENDERER)) : 'none';
    });
    log(`first frame drawn; WebGL here: ${gl}; warming up ${opts.warmup} s`);
    await page.waitForTimeout(opts.warmup * 1000);

    // Measure in the page: every frame drawn during N s, from the viewer's per-frame samples.
    const run = await page.evaluate(async (ms) => {
      const samplesSince = window.__latchkeyFrameSamples;
      const before = window.__latchkeyFrameStats;
      const t0 = performance.now();
      let last = before.frames;
      let missed = 0;
      const got = [];
      const pull = () => {
        const s = samplesSince(last);
        if (s.length && s[0].frame !== last + 1) missed += s[0].frame - last - 1;
        for (const x of s) got.push(x);
        if (s.length) last = s[s.length - 1].frame;
      };
      await new Promise((done) => {
        const iv = setInterval(pull, 200);
        setTimeout(() => {
          clearInterval(iv);
          done();
        }, ms);
      });
      pull();
      const t1 = t0 + ms;
      const after = window.__latchkeyFrameStats;
      return {
        samples: got.filter((x) => x.doneMs > t0 && x.doneMs <= t1),
        missed,
        before,
        after,
      };
    }, opts.seconds * 1000);

    const { samples, missed, before, after } = run;
    if (missed) log(`warning: ${missed} frames drawn but not sampled (the page was blocked too long); frames undercounted`);
    const frames = samples.length;
    const draw = samples.map((x) => x.drawMs);
    const lat = samples.map((x) => x.latencyMs).filter((x) => x !== null);
    const dropped = after.dropped - before.dropped;
    log(
      `measured ${opts.seconds} s: ${frames} frames drawn, ${dropped} received but replaced by a newer one before drawing, ` +
        `${lat.length} with a publish stamp; bad frames ${after.badFrames}`,
    );
    if (consoleErrors.length) log(`console errors: ${consoleErrors.length} (last: ${consoleErrors.at(-1)})`);
    if (frames === 0) fail(`no frame was drawn during the ${opts.seconds} measured seconds (the stream stalled)`);
    if (frames && !lat.length) log('warning: no frame carried a publish stamp (header field 6 was 0): latency is null');
    const result = {
      renderer: after.renderer,
      seconds: opts.seconds,
      frames,
      fps: round2(frames / opts.seconds),
      draw_ms_median: round2(median(draw)),
      latency_ms_median: round2(median(lat)),
      latency_ms_p95: round2(percentile(lat, 95)),
      bad_frames: after.badFrames,
    };
    await browser.close();
    browser = null;
    return result;
  } finally {
    if (browser) await browser.close().catch(() => {});
    server.closeAllConnections();
    await new Promise((ok) => server.close(() => ok()));
  }
}

main().then(
  (result) => process.stdout.write(JSON.stringify(result) + '\n', () => process.exit(0)),
  (e) => fail(e instanceof Error ? e.message : String(e)),
);
