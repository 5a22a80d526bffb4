// Viewer input helpers: mapping canvas positions to host pixels, mouse buttons, wheel notches,
// held keys (released when focus leaves) and the shortcut that hands focus back to the window.
import type { InputEvent, MouseButton } from './api';

export interface Rect {
  left: number;
  top: number;
  width: number;
  height: number;
}

/**
 * Where a frame of `fw`x`fh` sits inside an element of `rect` when scaled to fit
 * (`object-fit: contain`): centred, letterboxed. In 1:1 mode the element has the frame's
 * aspect ratio, so the same box is the whole element.
 */
export function contentBox(rect: Rect, fw: number, fh: number): Rect & { scale: number } {
  const scale = Math.min(rect.width / fw, rect.height / fh);
  const width = fw * scale;
  const height = fh * scale;
  return {
    left: rect.left + (rect.width - width) / 2,
    top: rect.top + (rect.height - height) / 2,
    width,
    height,
    scale,
  };
}

/**
 * A pointer position in CSS pixels -> the host pixel under it, for a frame of `fw`x`fh` that
 * shows a display of `hostW`x`hostH` (the host may send a scaled-down picture). Null over the
 * letterbox bars.
 */
export function mapToHost(
  clientX: number,
  clientY: number,
  rect: Rect,
  fw: number,
  fh: number,
  hostW: number = fw,
  hostH: number = fh,
): { x: number; y: number } | null {
  if (fw <= 0 || fh <= 0 || rect.width <= 0 || rect.height <= 0) return null;
  const box = contentBox(rect, fw, fh);
  const fx = (clientX - box.left) / box.width;
  const fy = (clientY - box.top) / box.height;
  if (fx < 0 || fy < 0 || fx > 1 || fy > 1) return null;
  return {
    x: Math.min(hostW - 1, Math.max(0, Math.floor(fx * hostW))),
    y: Math.min(hostH - 1, Math.max(0, Math.floor(fy * hostH))),
  };
}

/** DOM `MouseEvent.button` -> the wire name; null for back/forward buttons. */
export function mouseButton(button: number): MouseButton | null {
  return button === 0 ? 'left' : button === 1 ? 'middle' : button === 2 ? 'right' : null;
}

/** A button press or release, as `send_input` takes it. */
export function buttonInput(button: MouseButton, down: boolean): InputEvent {
  return down ? { type: 'button_down', button } : { type: 'button_up', button };
}

/** A key press or release (DOM `KeyboardEvent.code`), as `send_input` takes it. */
export function keyInput(code: string, down: boolean): InputEvent {
  return down ? { type: 'key_down', code } : { type: 'key_up', code };
}

/** Pixels of DOM wheel delta that make one notch. */
export const PIXELS_PER_NOTCH = 100;
/** Lines of DOM wheel delta that make one notch. */
export const LINES_PER_NOTCH = 3;

/**
 * The host scrolls by whole notches (DOM sign: dy > 0 scrolls down). Smooth touchpad deltas
 * are summed until they make a notch; the remainder is kept for the next event.
 */
export class WheelAccumulator {
  private x = 0;
  private y = 0;

  add(deltaX: number, deltaY: number, deltaMode: number): { dx: number; dy: number } | null {
    const toNotches = (d: number) =>
      deltaMode === 1 ? d / LINES_PER_NOTCH : deltaMode === 2 ? d * 3 : d / PIXELS_PER_NOTCH;
    this.x += toNotches(deltaX);
    this.y += toNotches(deltaY);
    const dx = Math.trunc(this.x);
    const dy = Math.trunc(this.y);
    if (dx === 0 && dy === 0) return null;
    this.x -= dx;
    this.y -= dy;
    return { dx, dy };
  }

  reset(): void {
    this.x = this.y = 0;
  }
}

/** Keys held down on the host, so they can all be released when the canvas loses focus. */
export class HeldKeys {
  private held = new Set<string>();
  /** True when this is a new press (not an auto-repeat of a held key). */
  down(code: string): boolean {
    if (this.held.has(code)) return false;
    this.held.add(code);
    return true;
  }
  /** True when the key was held. */
  up(code: string): boolean {
    return this.held.delete(code);
  }
  /** Forget every held key and return them, for sending key-ups. */
  releaseAll(): string[] {
    const all = [...this.held];
    this.held.clear();
    return all;
  }
  get size(): number {
    return this.held.size;
  }
}

/** Ctrl+Alt+Home leaves the remote screen: focus goes back to the toolbar; never sent to the host. */
export function isReleaseShortcut(e: { code: string; ctrlKey: boolean; altKey: boolean }): boolean {
  return e.ctrlKey && e.altKey && e.code === 'Home';
}
export const RELEASE_SHORTCUT_TEXT = 'Ctrl+Alt+Home';
