import { describe, expect, it } from 'vitest';
import {
  buttonInput,
  contentBox,
  HeldKeys,
  isReleaseShortcut,
  keyInput,
  mapToHost,
  mouseButton,
  WheelAccumulator,
} from './input';

describe('mapToHost', () => {
  const rect = { left: 100, top: 50, width: 800, height: 600 };

  it('maps 1:1 when the element has the frame size', () => {
    const r = { left: 0, top: 0, width: 1920, height: 1080 };
    expect(mapToHost(0, 0, r, 1920, 1080)).toEqual({ x: 0, y: 0 });
    expect(mapToHost(960.5, 540.5, r, 1920, 1080)).toEqual({ x: 960, y: 540 });
    expect(mapToHost(1920, 1080, r, 1920, 1080)).toEqual({ x: 1919, y: 1079 });
  });

  it('honours scale-to-fit letterboxing (wide frame in a 4:3 box)', () => {
    // 1600x900 in 800x600: scale 0.5, 450 px tall, 75 px bars top and bottom.
    const box = contentBox(rect, 1600, 900);
    expect(box).toEqual({ left: 100, top: 125, width: 800, height: 450, scale: 0.5 });
    expect(mapToHost(100, 125, rect, 1600, 900)).toEqual({ x: 0, y: 0 });
    expect(mapToHost(500, 350, rect, 1600, 900)).toEqual({ x: 800, y: 450 });
    expect(mapToHost(500, 100, rect, 1600, 900)).toBeNull(); // on the bar
  });

  it('scales to the display size when the host sends a smaller picture', () => {
    const r = { left: 0, top: 0, width: 960, height: 540 };
    expect(mapToHost(480, 270, r, 960, 540, 3840, 2160)).toEqual({ x: 1920, y: 1080 });
  });

  it('has nothing to map before the first frame', () => {
    expect(mapToHost(1, 1, rect, 0, 0)).toBeNull();
  });
});

describe('mouse buttons', () => {
  it('maps the three buttons and ignores others', () => {
    expect([0, 1, 2, 3, 4].map(mouseButton)).toEqual(['left', 'middle', 'right', null, null]);
  });
});

describe('input events on the wire (latchkey_media::InputEvent)', () => {
  it('sends presses and releases as button_down / button_up', () => {
    expect(JSON.stringify(buttonInput('left', true))).toBe('{"type":"button_down","button":"left"}');
    expect(JSON.stringify(buttonInput('right', false))).toBe('{"type":"button_up","button":"right"}');
  });
  it('sends keys as key_down / key_up with the DOM code', () => {
    expect(JSON.stringify(keyInput('KeyA', true))).toBe('{"type":"key_down","code":"KeyA"}');
    expect(JSON.stringify(keyInput('ShiftLeft', false))).toBe('{"type":"key_up","code":"ShiftLeft"}');
  });
});

describe('WheelAccumulator', () => {
  it('turns pixel deltas into whole notches, keeping the rest', () => {
    const w = new WheelAccumulator();
    expect(w.add(0, 100, 0)).toEqual({ dx: 0, dy: 1 });
    expect(w.add(0, 40, 0)).toBeNull();
    expect(w.add(0, 70, 0)).toEqual({ dx: 0, dy: 1 });
    expect(w.add(-250, 0, 0)).toEqual({ dx: -2, dy: 0 });
  });
  it('counts lines (3 per notch) and pages', () => {
    const w = new WheelAccumulator();
    expect(w.add(0, 3, 1)).toEqual({ dx: 0, dy: 1 });
    expect(w.add(0, -1, 2)).toEqual({ dx: 0, dy: -3 });
  });
});

describe('HeldKeys', () => {
  it('ignores auto-repeat and releases everything held', () => {
    const k = new HeldKeys();
    expect(k.down('KeyA')).toBe(true);
    expect(k.down('KeyA')).toBe(false);
    expect(k.down('ShiftLeft')).toBe(true);
    expect(k.up('KeyA')).toBe(true);
    expect(k.up('KeyA')).toBe(false);
    expect(k.releaseAll()).toEqual(['ShiftLeft']);
    expect(k.size).toBe(0);
  });
});

describe('release shortcut', () => {
  it('is Ctrl+Alt+Home only', () => {
    expect(isReleaseShortcut({ code: 'Home', ctrlKey: true, altKey: true })).toBe(true);
    expect(isReleaseShortcut({ code: 'Home', ctrlKey: true, altKey: false })).toBe(false);
    expect(isReleaseShortcut({ code: 'End', ctrlKey: true, altKey: true })).toBe(false);
  });
});
