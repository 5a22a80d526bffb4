import { describe, expect, it } from 'vitest';
import { buildSoundChunk, parseSoundChunk, schedule, SoundChunkError } from './chunk';

describe('sound chunks', () => {
  it('round-trip: header, interleaved samples split into planes', () => {
    const chunk = parseSoundChunk(buildSoundChunk(48_000, 2, new Int16Array([16384, -16384, 0, 32767])));
    expect(chunk.rate).toBe(48_000);
    expect(chunk.channels).toBe(2);
    expect(Array.from(chunk.planes[0])).toEqual([0.5, 0]);
    expect(Array.from(chunk.planes[1])[0]).toBe(-0.5);
    expect(chunk.planes[1][1]).toBeCloseTo(1, 3);
  });

  it('refuses what is not a sound chunk', () => {
    expect(() => parseSoundChunk(new ArrayBuffer(4))).toThrow(SoundChunkError);
    const frame = buildSoundChunk(48_000, 2, new Int16Array(4));
    new DataView(frame).setUint32(0, 0x4c4b4631, true); // a video frame's magic
    expect(() => parseSoundChunk(frame)).toThrow(/not a sound chunk/);
    expect(() => parseSoundChunk(buildSoundChunk(48_000, 2, new Int16Array(3)))).toThrow(/whole frames/);
    expect(() => parseSoundChunk(buildSoundChunk(1, 2, new Int16Array(2)))).toThrow(/rate/);
    expect(() => parseSoundChunk(buildSoundChunk(48_000, 0, new Int16Array(0)))).toThrow(/channel/);
    expect(() => parseSoundChunk(buildSoundChunk(48_000, 1, new Int16Array(48_001)))).toThrow(/too long/);
  });

  it('schedules chunks back to back, and after a gap a little ahead', () => {
    expect(schedule(1, 1.01, 0.02, 0.05)).toEqual([1.01, 1.03]);
    const [start, next] = schedule(2, 1.03, 0.02, 0.05);
    expect(start).toBeCloseTo(2.05);
    expect(next).toBeCloseTo(2.07);
  });
});
