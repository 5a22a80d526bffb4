// The sound format of the viewer's loopback WebSocket (`/sound`, next to `/frames`): one
// binary message per chunk of decoded sound, in order.
//
// A 12-byte little-endian header, `u32 magic 0x4C4B5331, u32 rate, u32 channels`, then the
// interleaved samples as i16 little-endian.

export const SOUND_MAGIC = 0x4c4b5331;
export const SOUND_HEADER_BYTES = 12;
/** More than any chunk the app sends (6 lost frames rebuilt plus one, 20 ms each at 48 kHz). */
export const MAX_CHUNK_FRAMES = 48_000;

export interface SoundChunk {
  rate: number;
  channels: number;
  /** One array per channel, as Web Audio takes them (-1..1). */
  planes: Float32Array<ArrayBuffer>[];
}

export class SoundChunkError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SoundChunkError';
  }
}

/** Parse one message; throws SoundChunkError on anything that is not a sound chunk. */
export function parseSoundChunk(buf: ArrayBuffer): SoundChunk {
  if (buf.byteLength < SOUND_HEADER_BYTES) throw new SoundChunkError(`chunk too short: ${buf.byteLength} bytes`);
  const dv = new DataView(buf);
  const magic = dv.getUint32(0, true);
  if (magic !== SOUND_MAGIC) throw new SoundChunkError(`not a sound chunk (magic ${magic.toString(16)})`);
  const rate = dv.getUint32(4, true);
  const channels = dv.getUint32(8, true);
  if (rate < 8000 || rate > 192_000) throw new SoundChunkError(`unsupported rate ${rate}`);
  if (channels < 1 || channels > 8) throw new SoundChunkError(`unsupported channel count ${channels}`);
  const body = buf.byteLength - SOUND_HEADER_BYTES;
  if (body % (2 * channels) !== 0) throw new SoundChunkError('samples do not fill whole frames');
  const frames = body / (2 * channels);
  if (frames > MAX_CHUNK_FRAMES) throw new SoundChunkError(`chunk too long: ${frames} frames`);
  const planes = Array.from({ length: channels }, () => new Float32Array(frames));
  for (let i = 0; i < frames; i++) {
    for (let c = 0; c < channels; c++) {
      planes[c][i] = dv.getInt16(SOUND_HEADER_BYTES + (i * channels + c) * 2, true) / 32768;
    }
  }
  return { rate, channels, planes };
}

/** Build a chunk (tests and the e2e sound source). */
export function buildSoundChunk(rate: number, channels: number, samples: Int16Array): ArrayBuffer {
  const buf = new ArrayBuffer(SOUND_HEADER_BYTES + samples.length * 2);
  const dv = new DataView(buf);
  dv.setUint32(0, SOUND_MAGIC, true);
  dv.setUint32(4, rate, true);
  dv.setUint32(8, channels, true);
  samples.forEach((s, i) => dv.setInt16(SOUND_HEADER_BYTES + i * 2, s, true));
  return buf;
}

/**
 * When to start a chunk of `duration` seconds on the audio clock: right after the previous
 * one while playback keeps up, else `lead` seconds from now (after a gap, silence or a late
 * chunk) so a little jitter never cuts it. Returns the start and where the next one goes.
 */
export function schedule(now: number, next: number, duration: number, lead: number): [number, number] {
  const start = next >= now ? next : now + lead;
  return [start, start + duration];
}
