// The frame format of the viewer's loopback WebSocket: one binary message per frame.
//
// A 24-byte little-endian header, `u32 magic 0x4C4B4631, u32 width, u32 height,
// u32 format (1 = I420), u32 sequence, u32 sent`, then the Y plane (width*height bytes),
// then U and V ((width/2)*(height/2) bytes each). Width and height are even. `sent` (formerly
// reserved) is when the frame was published: the low 32 bits of the Unix time in milliseconds
// (`Date.now() >>> 0`), 0 when unknown; the statistics measure the path's latency with it.

export const FRAME_MAGIC = 0x4c4b4631;
export const FRAME_HEADER_BYTES = 24;
export const FORMAT_I420 = 1;
/** Refuse absurd sizes before allocating textures (16K is beyond any display we capture). */
export const MAX_FRAME_SIDE = 16384;

export interface I420Frame {
  width: number;
  height: number;
  sequence: number;
  /** Publish time, low 32 bits of Unix ms; 0: unknown. */
  sentMs: number;
  /** Views into the message's buffer: no copy. */
  y: Uint8Array;
  u: Uint8Array;
  v: Uint8Array;
}

export class FrameError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FrameError';
  }
}

export interface FrameHeader {
  magic: number;
  width: number;
  height: number;
  format: number;
  sequence: number;
  sentMs: number;
}

export function readHeader(buf: ArrayBuffer | ArrayBufferView): FrameHeader {
  const bytes = toBytes(buf);
  if (bytes.byteLength < FRAME_HEADER_BYTES) {
    throw new FrameError(`frame too short for its header: ${bytes.byteLength} bytes`);
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, FRAME_HEADER_BYTES);
  return {
    magic: dv.getUint32(0, true),
    width: dv.getUint32(4, true),
    height: dv.getUint32(8, true),
    format: dv.getUint32(12, true),
    sequence: dv.getUint32(16, true),
    sentMs: dv.getUint32(20, true),
  };
}

function toBytes(buf: ArrayBuffer | ArrayBufferView): Uint8Array {
  return buf instanceof Uint8Array
    ? buf
    : ArrayBuffer.isView(buf)
      ? new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength)
      : new Uint8Array(buf);
}

/** Parse and check one message; the planes are views into `buf`. */
export function parseFrame(buf: ArrayBuffer | ArrayBufferView): I420Frame {
  const bytes = toBytes(buf);
  const h = readHeader(bytes);
  if (h.magic !== FRAME_MAGIC) {
    throw new FrameError(`not a Latchkey frame (magic 0x${h.magic.toString(16)})`);
  }
  if (h.format !== FORMAT_I420) throw new FrameError(`unsupported frame format ${h.format}`);
  if (h.width === 0 || h.height === 0 || h.width % 2 || h.height % 2) {
    throw new FrameError(`bad frame size ${h.width}x${h.height} (must be even, non-zero)`);
  }
  if (h.width > MAX_FRAME_SIDE || h.height > MAX_FRAME_SIDE) {
    throw new FrameError(`frame too large: ${h.width}x${h.height}`);
  }
  const ySize = h.width * h.height;
  const cSize = (h.width / 2) * (h.height / 2);
  const need = FRAME_HEADER_BYTES + ySize + 2 * cSize;
  if (bytes.byteLength < need) {
    throw new FrameError(`truncated frame: ${bytes.byteLength} of ${need} bytes`);
  }
  const base = bytes.byteOffset + FRAME_HEADER_BYTES;
  return {
    width: h.width,
    height: h.height,
    sequence: h.sequence,
    sentMs: h.sentMs,
    y: new Uint8Array(bytes.buffer, base, ySize),
    u: new Uint8Array(bytes.buffer, base + ySize, cSize),
    v: new Uint8Array(bytes.buffer, base + ySize + cSize, cSize),
  };
}

/** Build a message (tests and the e2e frame server use it); `sentMs` 0 means unknown. */
export function buildFrame(
  width: number,
  height: number,
  sequence: number,
  fill: { y: number; u: number; v: number } | ((x: number, y: number) => [number, number, number]),
  sentMs = 0,
): Uint8Array {
  const ySize = width * height;
  const cw = width / 2;
  const ch = height / 2;
  const cSize = cw * ch;
  const out = new Uint8Array(FRAME_HEADER_BYTES + ySize + 2 * cSize);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, FRAME_MAGIC, true);
  dv.setUint32(4, width, true);
  dv.setUint32(8, height, true);
  dv.setUint32(12, FORMAT_I420, true);
  dv.setUint32(16, sequence >>> 0, true);
  dv.setUint32(20, sentMs >>> 0, true);
  const Y = FRAME_HEADER_BYTES;
  const U = Y + ySize;
  const V = U + cSize;
  if (typeof fill === 'function') {
    for (let j = 0; j < height; j++)
      for (let i = 0; i < width; i++) out[Y + j * width + i] = fill(i, j)[0];
    for (let j = 0; j < ch; j++)
      for (let i = 0; i < cw; i++) {
        const [, u, v] = fill(i * 2, j * 2);
        out[U + j * cw + i] = u;
        out[V + j * cw + i] = v;
      }
  } else {
    out.fill(fill.y, Y, U);
    out.fill(fill.u, U, V);
    out.fill(fill.v, V, V + cSize);
  }
  return out;
}

const clamp8 = (x: number) => (x < 0 ? 0 : x > 255 ? 255 : Math.round(x));

/** BT.601 limited range (Y 16..235, Cb/Cr 16..240), the same maths as the WebGL shader. */
export function yuvToRgb(y: number, u: number, v: number): [number, number, number] {
  const c = 1.164383 * (y - 16);
  const d = u - 128;
  const e = v - 128;
  return [clamp8(c + 1.596027 * e), clamp8(c - 0.391762 * d - 0.812968 * e), clamp8(c + 2.017232 * d)];
}

/** The inverse, for making test frames of a known colour. */
export function rgbToYuv(r: number, g: number, b: number): [number, number, number] {
  return [
    clamp8(16 + 0.256788 * r + 0.504129 * g + 0.097906 * b),
    clamp8(128 - 0.148223 * r - 0.290993 * g + 0.439216 * b),
    clamp8(128 + 0.439216 * r - 0.367788 * g - 0.071427 * b),
  ];
}

/** Convert into an RGBA buffer of width*height*4 bytes (the 2D-canvas fallback). */
export function i420ToRgba(f: I420Frame, out: Uint8ClampedArray): void {
  const { width: w, height: h, y: Y, u: U, v: V } = f;
  const cw = w >> 1;
  // Integer BT.601 limited-range coefficients (x 2^16), as commonly used by software decoders.
  for (let j = 0; j < h; j++) {
    const crow = (j >> 1) * cw;
    let o = j * w * 4;
    let yi = j * w;
    for (let i = 0; i < w; i++) {
      const c = (Y[yi++] - 16) * 76309;
      const ci = crow + (i >> 1);
      const d = U[ci] - 128;
      const e = V[ci] - 128;
      out[o] = (c + 104597 * e + 32768) >> 16;
      out[o + 1] = (c - 25675 * d - 53279 * e + 32768) >> 16;
      out[o + 2] = (c + 132201 * d + 32768) >> 16;
      out[o + 3] = 255;
      o += 4;
    }
  }
}
