// A stand-in for src-tauri's frame server, to try bench/frame-path.mjs without the Rust side:
// a WebSocket server on 127.0.0.1 (a free port) publishing synthetic I420 frames in the
// Latchkey wire format (24-byte header: magic 0x4C4B4631, width, height, format 1, sequence,
// sent = low 32 bits of Unix ms at publication; then Y, U, V) at a fixed rate.
//
// Like the real server (a tokio watch channel per session), each client gets the newest frame:
// while a send is still being written, a newer frame replaces the waiting one, so a slow window
// drops frames instead of queueing them.
//
//   node bench/fake-source.mjs [--fps 60] [--size 1920x1080] [--seconds S]
//
// Prints one line to stdout, the URL (ws://127.0.0.1:PORT/frames?secret=...), then runs until
// SIGINT/SIGTERM (or for S seconds). Statistics go to stderr when it stops.
import { randomBytes } from 'node:crypto';
import { WebSocketServer } from 'ws';

const MAGIC = 0x4c4b4631;
const FORMAT_I420 = 1;
const HEADER = 24;

function usage(msg) {
  if (msg) console.error(`fake-source: ${msg}`);
  console.error('usage: node bench/fake-source.mjs [--fps 60] [--size 1920x1080] [--seconds S]');
  process.exit(2);
}

const opts = { fps: 60, width: 1920, height: 1080, seconds: 0 };
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const v = argv[i + 1];
  switch (argv[i]) {
    case '--fps':
      opts.fps = Number(v);
      i++;
      break;
    case '--seconds':
      opts.seconds = Number(v);
      i++;
      break;
    case '--size': {
      const m = /^(\d+)x(\d+)$/.exec(v ?? '');
      if (!m) usage(`bad --size ${v}`);
      opts.width = Number(m[1]);
      opts.height = Number(m[2]);
      i++;
      break;
    }
    case '-h':
    case '--help':
      usage();
      break;
    default:
      usage(`unknown argument ${argv[i]}`);
  }
}
if (!(opts.fps > 0 && opts.fps <= 1000)) usage('--fps must be in (0, 1000]');
if (!(opts.seconds >= 0)) usage('--seconds must be >= 0');
if (!opts.width || !opts.height || opts.width % 2 || opts.height % 2) usage('--size must be even, non-zero');

const { width: W, height: H } = opts;
const ySize = W * H;
const cSize = (W / 2) * (H / 2);
const frameBytes = HEADER + ySize + 2 * cSize;

// A few distinct pictures (a gradient with a moving bright bar), built once; each publication
// copies one into a fresh buffer and stamps its header, so no buffer is changed while sent.
const PICTURES = 8;
const pictures = Array.from({ length: PICTURES }, (_, k) => {
  const p = new Uint8Array(ySize + 2 * cSize);
  const bar = Math.floor(((k + 0.5) / PICTURES) * W);
  for (let y = 0; y < H; y++) {
    const row = p.subarray(y * W, (y + 1) * W);
    for (let x = 0; x < W; x++) row[x] = Math.abs(x - bar) < W / 40 ? 235 : 16 + ((x + y) * 200) / (W + H);
  }
  p.fill(128 - 40 + k * 10, ySize, ySize + cSize); // U
  p.fill(128 + 40 - k * 10, ySize + cSize); // V
  return p;
});

let sequence = 0;
function publishOne() {
  const out = Buffer.allocUnsafe(frameBytes);
  sequence = (sequence + 1) >>> 0;
  out.writeUInt32LE(MAGIC, 0);
  out.writeUInt32LE(W, 4);
  out.writeUInt32LE(H, 8);
  out.writeUInt32LE(FORMAT_I420, 12);
  out.writeUInt32LE(sequence, 16);
  out.set(pictures[sequence % PICTURES], HEADER);
  out.writeUInt32LE(Date.now() >>> 0, 20); // stamped last: the moment it is published
  return out;
}

const secret = randomBytes(16).toString('hex');
const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false, maxPayload: 1024 });
await new Promise((ok, fail) => {
  wss.once('listening', ok);
  wss.once('error', fail);
});
const port = wss.address().port;

/** Per client: whether a send is being written, and the newest frame waiting for it. */
const clients = new Map();
const counts = { published: 0, sent: 0, replaced: 0, clients: 0 };

function pump(ws, c) {
  if (c.busy || !c.waiting || ws.readyState !== ws.OPEN) return;
  const frame = c.waiting;
  c.waiting = null;
  c.busy = true;
  ws.send(frame, { binary: true }, (err) => {
    c.busy = false;
    if (err) return;
    counts.sent++;
    pump(ws, c);
  });
}

wss.on('connection', (ws, req) => {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  if (url.pathname !== '/frames' || url.searchParams.get('secret') !== secret) {
    ws.close(1008, 'bad secret');
    return;
  }
  counts.clients++;
  const c = { busy: false, waiting: null };
  clients.set(ws, c);
  ws.on('close', () => clients.delete(ws));
  ws.on('error', () => clients.delete(ws));
});

// Publish on a fixed schedule (no drift): frame n at start + n / fps.
const start = performance.now();
const period = 1000 / opts.fps;
let n = 0;
let timer = null;
function tick() {
  const now = performance.now();
  // Catch up at most one frame late; skip publications that are further behind.
  const due = Math.floor((now - start) / period);
  if (due >= n) {
    n = due + 1;
    if (clients.size) {
      const frame = publishOne();
      counts.published++;
      for (const [ws, c] of clients) {
        if (c.waiting) counts.replaced++;
        c.waiting = frame;
        pump(ws, c);
      }
    }
  }
  timer = setTimeout(tick, Math.max(0, start + n * period - performance.now()));
}
tick();

process.stdout.write(`ws://127.0.0.1:${port}/frames?secret=${secret}\n`);
console.error(`fake-source: ${W}x${H} I420 at ${opts.fps} fps on 127.0.0.1:${port}`);

let stopping = false;
function stop(why) {
  if (stopping) return;
  stopping = true;
  clearTimeout(timer);
  console.error(
    `fake-source: stopping (${why}): published ${counts.published}, sent ${counts.sent}, ` +
      `replaced before sending ${counts.replaced}, clients ${counts.clients}`,
  );
  for (const ws of clients.keys()) ws.terminate();
  wss.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 1000).unref();
}
process.on('SIGINT', () => stop('SIGINT'));
process.on('SIGTERM', () => stop('SIGTERM'));
if (opts.seconds) setTimeout(() => stop(`${opts.seconds} s elapsed`), opts.seconds * 1000);
