import { describe, expect, it } from 'vitest';
import {
  buildFrame,
  FORMAT_I420,
  FRAME_HEADER_BYTES,
  FRAME_MAGIC,
  FrameError,
  i420ToRgba,
  parseFrame,
  readHeader,
  rgbToYuv,
  yuvToRgb,
} from './i420';

function header(fields: { magic?: number; w?: number; h?: number; format?: number; seq?: number; sent?: number }, extra = 0) {
  const w = fields.w ?? 4;
  const h = fields.h ?? 2;
  const buf = new ArrayBuffer(FRAME_HEADER_BYTES + w * h + (w / 2) * (h / 2) * 2 + extra);
  const dv = new DataView(buf);
  dv.setUint32(0, fields.magic ?? FRAME_MAGIC, true);
  dv.setUint32(4, w, true);
  dv.setUint32(8, h, true);
  dv.setUint32(12, fields.format ?? FORMAT_I420, true);
  dv.setUint32(16, fields.seq ?? 7, true);
  dv.setUint32(20, fields.sent ?? 0, true);
  return buf;
}

describe('I420 frame header', () => {
  it('reads the little-endian fields', () => {
    const h = readHeader(header({ w: 1920, h: 1080, seq: 0xdeadbeef, sent: 0xfedcba98 }));
    expect(h).toEqual({ magic: 0x4c4b4631, width: 1920, height: 1080, format: 1, sequence: 0xdeadbeef, sentMs: 0xfedcba98 });
  });

  it('carries the publish time (low 32 bits of Unix ms) in the 6th field; 0 is unknown', () => {
    const now = 1_767_225_600_123; // 2026-01-01, beyond 2^32 ms
    const msg = buildFrame(2, 2, 5, { y: 16, u: 128, v: 128 }, now);
    expect(new DataView(msg.buffer).getUint32(20, true)).toBe(now % 2 ** 32);
    expect(parseFrame(msg).sentMs).toBe(now >>> 0);
    expect(parseFrame(buildFrame(2, 2, 5, { y: 16, u: 128, v: 128 })).sentMs).toBe(0);
  });

  it('magic is "LKF1" as a little-endian u32 (bytes 31 46 4B 4C)', () => {
    const bytes = new Uint8Array(header({}), 0, 4);
    expect([...bytes]).toEqual([0x31, 0x46, 0x4b, 0x4c]);
  });

  it('splits the planes without copying', () => {
    const msg = buildFrame(4, 2, 3, (x) => [x * 10, 100 + x, 200 + x]);
    const f = parseFrame(msg.buffer as ArrayBuffer);
    expect(f.width).toBe(4);
    expect(f.height).toBe(2);
    expect(f.sequence).toBe(3);
    expect([...f.y]).toEqual([0, 10, 20, 30, 0, 10, 20, 30]);
    expect([...f.u]).toEqual([100, 102]);
    expect([...f.v]).toEqual([200, 202]);
    expect(f.y.buffer).toBe(msg.buffer);
  });

  it('accepts a view with an offset (e.g. a slice of a bigger buffer)', () => {
    const msg = buildFrame(2, 2, 1, { y: 50, u: 60, v: 70 });
    const big = new Uint8Array(msg.length + 8);
    big.set(msg, 8);
    const f = parseFrame(big.subarray(8));
    expect([...f.y]).toEqual([50, 50, 50, 50]);
    expect([...f.v]).toEqual([70]);
  });

  it.each([
    ['short header', new ArrayBuffer(10), /too short/],
    ['wrong magic', header({ magic: 0x31464b4c }), /magic/],
    ['unknown format', header({ format: 2 }), /format 2/],
    ['odd width', header({ w: 3 }), /even/],
    ['zero height', header({ h: 0 }), /even, non-zero/],
    ['too large', header({ w: 20000, h: 2 }), /too large/],
  ])('refuses %s', (_name, buf, msg) => {
    expect(() => parseFrame(buf)).toThrow(FrameError);
    expect(() => parseFrame(buf)).toThrow(msg);
  });

  it('refuses a truncated body', () => {
    const msg = buildFrame(4, 4, 1, { y: 1, u: 2, v: 3 });
    expect(() => parseFrame(msg.subarray(0, msg.length - 1))).toThrow(/truncated/);
  });
});

describe('BT.601 limited-range conversion', () => {
  it('maps the range ends to black and white', () => {
    expect(yuvToRgb(16, 128, 128)).toEqual([0, 0, 0]);
    expect(yuvToRgb(235, 128, 128)).toEqual([255, 255, 255]);
  });

  it.each([
    [255, 0, 0],
    [0, 255, 0],
    [0, 0, 255],
    [200, 120, 40],
  ])('round-trips rgb(%i, %i, %i) within 3 levels', (r, g, b) => {
    const [y, u, v] = rgbToYuv(r, g, b);
    const back = yuvToRgb(y, u, v);
    [r, g, b].forEach((c, i) => expect(Math.abs(back[i] - c)).toBeLessThanOrEqual(3));
  });

  it('the integer 2D fallback agrees with the float maths', () => {
    const [y, u, v] = rgbToYuv(30, 160, 220);
    const f = parseFrame(buildFrame(2, 2, 0, { y, u, v }));
    const out = new Uint8ClampedArray(2 * 2 * 4);
    i420ToRgba(f, out);
    const want = yuvToRgb(y, u, v);
    for (let p = 0; p < 4; p++) {
      for (let c = 0; c < 3; c++) expect(Math.abs(out[p * 4 + c] - want[c])).toBeLessThanOrEqual(1);
      expect(out[p * 4 + 3]).toBe(255);
    }
  });
});
