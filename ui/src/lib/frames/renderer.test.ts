import { describe, expect, it } from 'vitest';
import { createRenderer, rendererPreference } from './renderer';

describe('rendererPreference (the viewer URL diagnostics switch)', () => {
  it.each([
    ['?session=s1', 'auto'],
    ['?session=s1&renderer=2d', '2d'],
    ['?renderer=webgl&session=s1', 'webgl'],
    ['?session=s1&renderer=WebGL', 'auto'],
    ['?session=s1&renderer=', 'auto'],
    ['', 'auto'],
  ])('%s -> %s', (search, want) => {
    expect(rendererPreference(search)).toBe(want);
  });
});

/** A WebGL context that accepts every call (enough for the renderer's set-up). */
function fakeGl(): WebGLRenderingContext {
  return new Proxy({}, { get: () => () => ({}) }) as unknown as WebGLRenderingContext;
}

/** A canvas offering the given contexts, recording which were asked for. */
function fakeCanvas(contexts: { webgl?: 'ok' | 'none' | 'throws' }) {
  const asked: string[] = [];
  const canvas = {
    width: 0,
    height: 0,
    addEventListener() {},
    removeEventListener() {},
    getContext(kind: string) {
      asked.push(kind);
      if (kind === '2d') return { createImageData: () => ({}), putImageData() {} };
      if (contexts.webgl === 'throws') throw new Error('GPU process gone');
      return contexts.webgl === 'ok' ? fakeGl() : null;
    },
  };
  return { canvas: canvas as unknown as HTMLCanvasElement, asked };
}

describe('createRenderer', () => {
  it('auto: WebGL when available, else the 2D canvas', () => {
    expect(createRenderer(fakeCanvas({ webgl: 'ok' }).canvas).kind).toBe('webgl');
    expect(createRenderer(fakeCanvas({ webgl: 'none' }).canvas, 'auto').kind).toBe('2d');
    expect(createRenderer(fakeCanvas({ webgl: 'throws' }).canvas, 'auto').kind).toBe('2d');
  });

  it('2d: never tries WebGL', () => {
    const c = fakeCanvas({ webgl: 'ok' });
    expect(createRenderer(c.canvas, '2d').kind).toBe('2d');
    expect(c.asked).toEqual(['2d']);
  });

  it('webgl: WebGL or an error, never a silent fallback', () => {
    expect(createRenderer(fakeCanvas({ webgl: 'ok' }).canvas, 'webgl').kind).toBe('webgl');
    const c = fakeCanvas({ webgl: 'none' });
    expect(() => createRenderer(c.canvas, 'webgl')).toThrow(/renderer=webgl.*unavailable: no WebGL context/);
    expect(c.asked).toEqual(['webgl']);
    expect(() => createRenderer(fakeCanvas({ webgl: 'throws' }).canvas, 'webgl')).toThrow(/GPU process gone/);
  });
});
