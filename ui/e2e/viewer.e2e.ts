// Viewer window: frames from a real loopback WebSocket drawn by WebGL (and the 2D fallback),
// pixels read back from the screen, frame statistics, input, toolbar, and the session ending.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { DisplayInfo, Permission, SessionInfo } from '../src/bindings';
import { callsOf, emitEvent, shot, startHarness, type Harness } from './harness';
import { startFrameServer, type FrameServer } from './frame-server';
import { decodePng, pixel } from './png';
import { DEFAULT_PERMS, DISPLAYS } from './fake-backend';

let h: Harness;
let frames: FrameServer;
beforeAll(async () => {
  h = await startHarness();
  frames = await startFrameServer();
});
afterAll(async () => {
  await frames?.close();
  await h?.close();
});
afterEach(() => {
  const problems = h.problems.splice(0);
  expect(problems).toEqual([]);
});

interface Stats {
  frames: number;
  fps: number;
  lastDrawMs: number;
  medianDrawMs: number;
  renderer: string;
  badFrames: number;
  medianLatencyMs: number | null;
  p95LatencyMs: number | null;
}
const stats = (page: Page) =>
  page.evaluate(() => (window as unknown as { __latchkeyFrameStats?: Stats }).__latchkeyFrameStats ?? null);

async function viewer(session: Partial<SessionInfo> = {}, query = ''): Promise<Page> {
  const before = frames.accepted;
  const page = await h.open(`viewer.html?session=s9${query}`, {
    session: { frames_url: frames.url, ...session },
  });
  await expect.poll(() => frames.accepted, { timeout: 5000 }).toBeGreaterThan(before);
  return page;
}

/** The colour at a point of the screen canvas, from a real screenshot. */
async function colourAt(page: Page, fx: number, fy: number): Promise<[number, number, number]> {
  const canvas = page.getByTestId('screen');
  const box = (await canvas.boundingBox())!;
  const png = decodePng(await page.screenshot({ clip: box }));
  return pixel(png, png.width * fx, png.height * fy);
}

function near(actual: number[], want: number[], tolerance = 14) {
  actual.forEach((v, i) => expect(Math.abs(v - want[i]), `channel ${i}: ${actual} vs ${want}`).toBeLessThanOrEqual(tolerance));
}

describe('viewer', () => {
  it('draws frames with WebGL, keeps the last one when idle, and exposes frame stats', async () => {
    const page = await viewer();
    await frames.sendSolid([220, 30, 30], 12, 25);
    await expect.poll(async () => (await stats(page))?.frames ?? 0).toBeGreaterThanOrEqual(1);
    const s1 = (await stats(page))!;
    expect(s1.renderer).toBe('webgl');
    // Fit to window, letterboxed: read the middle.
    await expect.poll(async () => (await colourAt(page, 0.5, 0.5)).join()).not.toBe('17,17,17');
    near(await colourAt(page, 0.5, 0.5), [220, 30, 30]);

    await frames.sendSolid([30, 60, 220], 10, 25);
    await expect.poll(async () => (await stats(page))!.frames).toBeGreaterThan(s1.frames);
    await expect.poll(async () => Math.abs((await colourAt(page, 0.5, 0.5))[2] - 220) < 14).toBe(true);
    near(await colourAt(page, 0.5, 0.5), [30, 60, 220]);

    await page.waitForTimeout(700); // nothing arrives: the picture stays
    near(await colourAt(page, 0.5, 0.5), [30, 60, 220]);

    frames.sendSplit([20, 200, 40], [240, 240, 240]);
    await expect.poll(async () => (await colourAt(page, 0.3, 0.5))[1] > 150).toBe(true);
    near(await colourAt(page, 0.3, 0.5), [20, 200, 40]);
    near(await colourAt(page, 0.7, 0.5), [240, 240, 240]);

    const s2 = (await stats(page))!;
    expect(s2.frames).toBeGreaterThan(s1.frames);
    expect(s2.medianDrawMs).toBeGreaterThanOrEqual(0);
    expect(s2.medianDrawMs).toBeLessThan(1000);
    expect(typeof s2.lastDrawMs).toBe('number');
    // Publish (the frame's stamp) to drawn, on the same clock: small, never negative.
    expect(s2.medianLatencyMs).not.toBeNull();
    expect(s2.medianLatencyMs!).toBeGreaterThanOrEqual(0);
    expect(s2.p95LatencyMs!).toBeGreaterThanOrEqual(s2.medianLatencyMs!);
    expect(s2.p95LatencyMs!).toBeLessThan(1000);
    // Every frame's sample, for the benchmark.
    const samples = await page.evaluate(
      () => (window as unknown as { __latchkeyFrameSamples(since: number): { frame: number; latencyMs: number | null }[] }).__latchkeyFrameSamples(0),
    );
    expect(samples.map((x) => x.frame)).toEqual(Array.from({ length: s2.frames }, (_, i) => i + 1));
    expect(samples.every((x) => x.latencyMs !== null && x.latencyMs < 1000)).toBe(true);
    await shot(page, 'viewer-webgl');

    frames.sendGarbage();
    await expect.poll(async () => (await stats(page))!.badFrames).toBe(1);
    await page.close();
  });

  it('falls back to a 2D canvas with the same colours', async () => {
    const page = await viewer({}, '&renderer=2d');
    await frames.sendSolid([250, 180, 20], 5, 25);
    await expect.poll(async () => (await stats(page))?.frames ?? 0).toBeGreaterThanOrEqual(1);
    expect((await stats(page))!.renderer).toBe('2d');
    expect(await page.evaluate(() => !!document.querySelector('canvas')!.getContext('2d'))).toBe(true);
    await expect.poll(async () => (await colourAt(page, 0.5, 0.5))[0] > 200).toBe(true);
    near(await colourAt(page, 0.5, 0.5), [250, 180, 20]);
    await page.close();
  });

  it('renderer=webgl forces WebGL (the benchmark switch, next to session= in the query)', async () => {
    const page = await viewer({}, '&renderer=webgl');
    await frames.sendSolid([30, 200, 90], 5, 25);
    await expect.poll(async () => (await stats(page))?.frames ?? 0).toBeGreaterThanOrEqual(1);
    expect((await stats(page))!.renderer).toBe('webgl');
    expect(await page.evaluate(() => !!document.querySelector('canvas')!.getContext('webgl'))).toBe(true);
    await expect.poll(async () => (await colourAt(page, 0.5, 0.5))[1] > 180).toBe(true);
    near(await colourAt(page, 0.5, 0.5), [30, 200, 90]);
    await page.close();
  });

  it('sends keyboard, buttons, wheel and pointer (mapped to host pixels) with control_input', async () => {
    const page = await viewer();
    await frames.sendSolid([90, 90, 90], 3, 20); // 320x180 frames of a 1920x1080 display
    await expect.poll(async () => (await stats(page))?.frames ?? 0).toBeGreaterThanOrEqual(1);
    const canvas = page.getByTestId('screen');
    const box = (await canvas.boundingBox())!;
    // The content box: 16:9 inside the canvas element.
    const scale = Math.min(box.width / 320, box.height / 180);
    const cx = box.x + box.width / 2;
    const cy = box.y + box.height / 2;
    await page.mouse.move(cx, cy);
    await page.mouse.down();
    await page.mouse.up();
    await expect.poll(async () => (await callsOf(page, 'send_input')).length).toBeGreaterThanOrEqual(2);
    const pointer = (await callsOf(page, 'move_pointer')) as { x: number; y: number }[];
    expect(pointer.length).toBeGreaterThan(0);
    const last = pointer.at(-1)!;
    expect(Math.abs(last.x - 960)).toBeLessThanOrEqual(Math.ceil(6 / scale) + 1);
    expect(Math.abs(last.y - 540)).toBeLessThanOrEqual(Math.ceil(6 / scale) + 1);
    // Top-left corner of the picture (not of the letterboxed element).
    await page.mouse.move(cx - (320 * scale) / 2 + 1, cy - (180 * scale) / 2 + 1);
    await expect.poll(async () => ((await callsOf(page, 'move_pointer')).at(-1) as { x: number }).x).toBeLessThan(15);

    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('screen');
    await page.keyboard.press('KeyA');
    await page.keyboard.down('ShiftLeft');
    await page.mouse.wheel(0, 200);
    // Leaving with Ctrl+Alt+Home releases the held Shift and is never sent itself.
    await page.keyboard.down('ControlLeft');
    await page.keyboard.down('AltLeft');
    await page.keyboard.press('Home');
    await page.keyboard.up('AltLeft');
    await page.keyboard.up('ControlLeft');
    await page.keyboard.up('ShiftLeft');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).not.toBe('screen');
    await expect
      .poll(async () => ((await callsOf(page, 'send_input')) as { input: unknown }[]).map((c) => c.input))
      .toEqual([
        { type: 'button_down', button: 'left' },
        { type: 'button_up', button: 'left' },
        { type: 'key_down', code: 'KeyA' },
        { type: 'key_up', code: 'KeyA' },
        { type: 'key_down', code: 'ShiftLeft' },
        { type: 'wheel', dx: 0, dy: 2 },
        { type: 'key_down', code: 'ControlLeft' },
        { type: 'key_down', code: 'AltLeft' },
        { type: 'key_up', code: 'ShiftLeft' },
        { type: 'key_up', code: 'ControlLeft' },
        { type: 'key_up', code: 'AltLeft' },
      ]);
    // The pointer goes through move_pointer only, never as send_input's pointer_move.
    const kinds = ((await callsOf(page, 'send_input')) as { input: { type: string } }[]).map((c) => c.input.type);
    expect(kinds).not.toContain('pointer_move');
    await page.close();
  });

  it('has a toolbar with what the permissions allow: clipboard, displays, scale, end', async () => {
    const page = await viewer();
    await frames.sendSolid([40, 140, 200], 3, 20);
    await expect.poll(async () => (await stats(page))?.frames ?? 0).toBeGreaterThanOrEqual(1);
    const toolbar = page.getByRole('toolbar', { name: 'Session' });

    await toolbar.getByRole('button', { name: 'Get clipboard' }).click();
    const got = page.getByRole('dialog', { name: 'Remote clipboard' });
    await expect.poll(() => got.getByLabel('Text on the remote computer’s clipboard').inputValue()).toBe('Text on the remote clipboard');
    await shot(page, 'viewer-clipboard-get');
    await page.keyboard.press('Escape');

    await toolbar.getByRole('button', { name: 'Send clipboard' }).click();
    const send = page.getByRole('dialog', { name: 'Send text to the remote clipboard' });
    await send.getByLabel('Text').fill('hello from the viewer');
    await send.getByRole('button', { name: 'Send' }).click();
    await page.getByText('Sent to the remote clipboard.').waitFor();
    expect(await callsOf(page, 'clipboard_set')).toEqual([{ sessionId: 's9', text: 'hello from the viewer' }]);

    // A host clipboard without text answers null.
    await page.evaluate(() => (window.__latchkeyMock!.backend.clipboard = null));
    await toolbar.getByRole('button', { name: 'Get clipboard' }).click();
    await page.getByText('The remote clipboard holds no text.').waitFor();
    await page.keyboard.press('Escape');
    await page.getByRole('dialog').waitFor({ state: 'hidden' });

    // Displays are chosen by their RandR id, listed in the host's order.
    const select = toolbar.getByLabel('Display');
    await expect(select.locator('option').allInnerTexts()).resolves.toEqual([
      '1: eDP-1, 1920×1080 (primary)',
      '2: HDMI-1, 2560×1440',
    ]);
    await expect(select.inputValue()).resolves.toBe(String(DISPLAYS[0].id));
    await select.selectOption({ label: '2: HDMI-1, 2560×1440' });
    await expect.poll(() => callsOf(page, 'switch_display')).toEqual([{ sessionId: 's9', id: DISPLAYS[1].id }]);
    await expect.poll(() => select.inputValue()).toBe(String(DISPLAYS[1].id));
    // The pointer now maps to the pixels of the 2560x1440 display the returned session streams.
    const box = (await page.getByTestId('screen').boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await expect
      .poll(async () => {
        const p = (await callsOf(page, 'move_pointer')).at(-1) as { x: number; y: number } | undefined;
        return !!p && Math.abs(p.x - 1280) <= 8 && Math.abs(p.y - 720) <= 8;
      })
      .toBe(true);
    // A refused switch leaves the choice on the display still streamed.
    await page.evaluate(() =>
      window.__latchkeyMock!.backend.failNext('switch_display', { code: 'session_ended', message: 'the screen stream broke' }),
    );
    await select.selectOption(String(DISPLAYS[0].id));
    await page.locator('[role=alert][data-code="session_ended"]').waitFor();
    await expect.poll(() => select.inputValue()).toBe(String(DISPLAYS[1].id));
    await page.locator('[role=alert][data-code="session_ended"]').getByRole('button', { name: 'Dismiss message' }).click();

    const scale = toolbar.getByRole('button', { name: 'Fit to window' });
    await expect(scale.getAttribute('aria-pressed')).resolves.toBe('true');
    await scale.click();
    await expect(toolbar.getByRole('button', { name: 'Actual size' }).getAttribute('aria-pressed')).resolves.toBe('false');
    const width = await page.getByTestId('screen').evaluate((c) => c.getBoundingClientRect().width);
    expect(width).toBeCloseTo(320 / (await page.evaluate(() => devicePixelRatio)), 0);
    await shot(page, 'viewer-actual-size');

    await toolbar.getByRole('button', { name: 'End session' }).click();
    await page.getByText('You ended the session.').waitFor();
    expect(await callsOf(page, 'end_session')).toEqual([{ sessionId: 's9' }]);
    await page.close();
  });

  it('shows the host’s system information in a panel, refreshed on demand', async () => {
    const page = await viewer({ permissions: DEFAULT_PERMS });
    await frames.sendSolid([30, 90, 60], 2, 20);
    await expect.poll(async () => (await stats(page))?.frames ?? 0).toBeGreaterThanOrEqual(1);
    const toolbar = page.getByRole('toolbar', { name: 'Session' });
    await toolbar.getByRole('button', { name: 'System' }).click();
    const panel = page.getByRole('dialog', { name: 'System information' });
    await panel.getByText('Debian GNU/Linux 12 (bookworm) (x86_64)').waitFor();
    await panel.getByText('6.1.0-27-amd64').waitFor();
    await panel.getByText('3 d 4 h 12 min').waitFor();
    await expect(panel.getByTestId('memory').innerText()).resolves.toBe('9.5 GiB available of 16.0 GiB');
    await panel.getByText('load 0.52 0.40 0.35').waitFor();
    await panel.getByRole('cell', { name: '/home' }).waitFor();
    await panel.getByText('192.168.1.20/24, fe80::3e52:82ff:feaa:bbcc/64').waitFor();
    await panel.getByText('HDMI-1: 2560×1440 at 1920,0').waitFor();
    await panel.getByText('alice').waitFor();
    await shot(page, 'viewer-system-info');
    // Refresh asks again: the load moved.
    await panel.getByRole('button', { name: 'Refresh' }).click();
    await panel.getByText('load 0.62 0.50 0.45').waitFor();
    expect((await callsOf(page, 'system_info')).length).toBe(2);
    await page.keyboard.press('Escape');
    await panel.waitFor({ state: 'hidden' });
    // Without the permission there is no System button; taken away, the panel goes too.
    await emitEvent(page, 'session_permissions', {
      session_id: 's9',
      permissions: DEFAULT_PERMS.filter((p) => p !== 'system_info'),
    });
    await expect.poll(() => toolbar.getByRole('button', { name: 'System' }).count()).toBe(0);
    await page.close();
  });

  it('restarts the host after asking, and says the app reconnects by itself', async () => {
    const page = await viewer({ permissions: DEFAULT_PERMS });
    await frames.sendSolid([40, 70, 110], 2, 20);
    await expect.poll(async () => (await stats(page))?.frames ?? 0).toBeGreaterThanOrEqual(1);
    const toolbar = page.getByRole('toolbar', { name: 'Session' });
    await toolbar.getByRole('button', { name: 'Restart host…' }).click();
    const dialog = page.getByRole('alertdialog', { name: 'Restart the remote computer?' });
    await dialog.waitFor();
    await shot(page, 'viewer-restart-confirm');
    // Cancel first: nothing is asked of the host.
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await expect.poll(() => dialog.count()).toBe(0);
    expect(await callsOf(page, 'restart_host')).toEqual([]);
    await toolbar.getByRole('button', { name: 'Restart host…' }).click();
    await page.getByRole('alertdialog').getByRole('button', { name: 'Restart', exact: true }).click();
    await page.getByText('The remote computer is restarting. Latchkey reconnects by itself').waitFor();
    await shot(page, 'viewer-restart-started');
    expect(await callsOf(page, 'restart_host')).toEqual([{ sessionId: 's9' }]);
    await page.close();
    // Without the permission there is no button.
    const limited = await viewer({ permissions: DEFAULT_PERMS.filter((p) => p !== 'restart') });
    await limited.getByRole('toolbar', { name: 'Session' }).waitFor();
    expect(await limited.getByRole('button', { name: 'Restart host…' }).count()).toBe(0);
    await limited.close();
  });

  it('draws on the host’s screen with the pen tool: colour, arrow, clear', async () => {
    const page = await viewer({ permissions: DEFAULT_PERMS });
    await frames.sendSolid([40, 70, 110], 2, 20);
    await expect.poll(async () => (await stats(page))?.frames ?? 0).toBeGreaterThanOrEqual(1);
    const toolbar = page.getByRole('toolbar', { name: 'Session' });
    const pen = toolbar.getByRole('button', { name: 'Pen', exact: true });
    await expect(pen.getAttribute('aria-pressed')).resolves.toBe('false');
    await pen.click();
    await expect.poll(() => pen.getAttribute('aria-pressed')).toBe('true');
    await toolbar.getByRole('combobox', { name: 'Pen colour' }).selectOption('blue');
    await toolbar.getByRole('button', { name: 'Arrow' }).click();
    await page.getByText('Drag on the screen to draw on the remote computer’s screen').waitFor();
    const box = (await page.getByTestId('screen').boundingBox())!;
    const [cx, cy] = [box.x + box.width / 2, box.y + box.height / 2];
    await page.mouse.move(cx - 100, cy);
    await page.mouse.down();
    await page.mouse.move(cx, cy, { steps: 8 });
    await page.mouse.move(cx + 100, cy + 40, { steps: 8 });
    await page.mouse.up();
    await expect.poll(async () => (await callsOf(page, 'draw')).length).toBe(1);
    const [stroke] = (await callsOf(page, 'draw')) as { sessionId: string; color: string; points: [number, number][]; arrow: boolean }[];
    expect([stroke.sessionId, stroke.color, stroke.arrow]).toEqual(['s9', 'blue', true]);
    expect(stroke.points.length).toBeGreaterThanOrEqual(3);
    expect(stroke.points[0][0]).toBeLessThan(stroke.points.at(-1)![0]);
    expect(stroke.points.at(-1)![1]).toBeGreaterThan(stroke.points[0][1]);
    // Drawing is not input: no button reached the host.
    const kinds = ((await callsOf(page, 'send_input')) as { input: { type: string } }[]).map((c) => c.input.type);
    expect(kinds).not.toContain('button_down');
    await shot(page, 'viewer-pen-tool');
    await toolbar.getByRole('button', { name: 'Clear drawing' }).click();
    await page.getByText('The drawing on the remote screen is cleared.').waitFor();
    expect(await callsOf(page, 'clear_drawing')).toEqual([{ sessionId: 's9' }]);
    // Pen off: a click is a click again.
    await pen.click();
    await expect.poll(() => pen.getAttribute('aria-pressed')).toBe('false');
    await page.mouse.click(cx, cy);
    await expect.poll(async () => ((await callsOf(page, 'send_input')) as { input: { type: string } }[]).map((c) => c.input.type)).toContain('button_down');
    expect((await callsOf(page, 'draw')).length).toBe(1);
    // The owner takes whiteboard away: the pen tool goes.
    await emitEvent(page, 'session_permissions', {
      session_id: 's9',
      permissions: DEFAULT_PERMS.filter((p) => p !== 'whiteboard'),
    });
    await expect.poll(() => pen.count()).toBe(0);
    await page.close();
  });

  it('blocks the host’s input and turns privacy mode on and off from the toolbar', async () => {
    const all: Permission[] = [...DEFAULT_PERMS, 'privacy_mode'];
    const page = await viewer({ permissions: all });
    await frames.sendSolid([40, 70, 110], 2, 20);
    await expect.poll(async () => (await stats(page))?.frames ?? 0).toBeGreaterThanOrEqual(1);
    const toolbar = page.getByRole('toolbar', { name: 'Session' });
    const block = toolbar.getByRole('button', { name: 'Block host input' });
    const privacy = toolbar.getByRole('button', { name: 'Privacy mode' });
    await expect(block.getAttribute('aria-pressed')).resolves.toBe('false');
    await block.click();
    await expect.poll(() => block.getAttribute('aria-pressed')).toBe('true');
    await page.getByText('The host’s keyboard and mouse are blocked.').waitFor();
    await privacy.click();
    await expect.poll(() => privacy.getAttribute('aria-pressed')).toBe('true');
    await page.getByText('Privacy mode is on: the host’s screen is dark.').waitFor();
    await shot(page, 'viewer-desk-on');
    expect(await callsOf(page, 'set_block_input')).toEqual([{ sessionId: 's9', on: true }]);
    expect(await callsOf(page, 'set_privacy_mode')).toEqual([{ sessionId: 's9', on: true }]);
    await privacy.click();
    await expect.poll(() => privacy.getAttribute('aria-pressed')).toBe('false');
    // Locking when the session ends: on from the start, turned off here.
    const lock = toolbar.getByRole('button', { name: 'Lock when done' });
    await expect(lock.getAttribute('aria-pressed')).resolves.toBe('true');
    await lock.click();
    await expect.poll(() => lock.getAttribute('aria-pressed')).toBe('false');
    await page.getByText('The remote computer stays unlocked when this session ends.').waitFor();
    expect(await callsOf(page, 'set_lock_on_end')).toEqual([{ sessionId: 's9', on: false }]);
    expect((await callsOf(page, 'set_privacy_mode')).at(-1)).toEqual({ sessionId: 's9', on: false });
    // The owner takes block_input away: the host let go, the toggle goes.
    await emitEvent(page, 'session_permissions', {
      session_id: 's9',
      permissions: all.filter((p) => p !== 'block_input'),
    });
    await expect.poll(() => block.count()).toBe(0);
    await page.close();

    // The default profile has no privacy mode: no toggle. Refused by the host: said so.
    const p2 = await viewer({ permissions: DEFAULT_PERMS });
    await frames.sendSolid([40, 70, 110], 2, 20);
    await expect.poll(async () => (await stats(p2))?.frames ?? 0).toBeGreaterThanOrEqual(1);
    const t2 = p2.getByRole('toolbar', { name: 'Session' });
    await expect(t2.getByRole('button', { name: 'Privacy mode' }).count()).resolves.toBe(0);
    await p2.evaluate(() => {
      const b = window.__latchkeyMock!.backend as unknown as { sessions: Map<string, { permissions: string[] }> };
      const s = b.sessions.get('s9');
      if (s) s.permissions = s.permissions.filter((p) => p !== 'block_input');
    });
    await t2.getByRole('button', { name: 'Block host input' }).click();
    await p2.getByRole('alert').waitFor();
    await expect(t2.getByRole('button', { name: 'Block host input' }).getAttribute('aria-pressed')).resolves.toBe('false');
    await shot(p2, 'viewer-desk-refused');
    await p2.close();
  });

  it('says so when the host refuses the system information', async () => {
    const page = await viewer({ permissions: DEFAULT_PERMS });
    await frames.sendSolid([30, 90, 60], 2, 20);
    await expect.poll(async () => (await stats(page))?.frames ?? 0).toBeGreaterThanOrEqual(1);
    // The host's owner took the permission away before the window heard of it.
    await page.evaluate(() => {
      const b = window.__latchkeyMock!.backend as unknown as { sessions: Map<string, { permissions: string[] }> };
      const s = b.sessions.get('s9');
      if (s) s.permissions = s.permissions.filter((p) => p !== 'system_info');
    });
    await page.getByRole('toolbar', { name: 'Session' }).getByRole('button', { name: 'System' }).click();
    const panel = page.getByRole('dialog', { name: 'System information' });
    await panel.getByRole('alert').waitFor();
    await shot(page, 'viewer-system-info-refused');
    await page.close();
  });

  it('view only: no input, no clipboard, one display; show_pointer sends only the pointer', async () => {
    const one: DisplayInfo[] = [{ id: 66, name: 'screen', x: 0, y: 0, width: 1920, height: 1080, primary: true }];
    const page = await viewer({ permissions: [], displays: one });
    await frames.sendSolid([128, 128, 128], 2, 20);
    await expect.poll(async () => (await stats(page))?.frames ?? 0).toBeGreaterThanOrEqual(1);
    const toolbar = page.getByRole('toolbar', { name: 'Session' });
    await expect(toolbar.getByRole('button', { name: 'Get clipboard' }).count()).resolves.toBe(0);
    await expect(toolbar.getByLabel('Display').count()).resolves.toBe(0);
    await page.getByText('View only: this session may not use the remote keyboard or mouse.').waitFor();
    const box = (await page.getByTestId('screen').boundingBox())!;
    await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
    await page.keyboard.press('KeyB');
    await page.waitForTimeout(200);
    expect(await callsOf(page, 'send_input')).toEqual([]);
    expect(await callsOf(page, 'move_pointer')).toEqual([]);
    await shot(page, 'viewer-view-only');
    await page.close();

    const perms: Permission[] = ['show_pointer'];
    const p2 = await viewer({ permissions: perms, displays: one });
    await frames.sendSolid([128, 128, 128], 2, 20);
    await expect.poll(async () => (await stats(p2))?.frames ?? 0).toBeGreaterThanOrEqual(1);
    const b2 = (await p2.getByTestId('screen').boundingBox())!;
    await p2.mouse.click(b2.x + b2.width / 2, b2.y + b2.height / 2);
    await p2.keyboard.press('KeyB');
    await expect.poll(async () => (await callsOf(p2, 'move_pointer')).length).toBeGreaterThan(0);
    expect(await callsOf(p2, 'send_input')).toEqual([]);
    await p2.close();
  });

  it('plays the host’s sound with hear_sound, and the toolbar mutes it here', async () => {
    interface SoundStats {
      chunks: number;
      badChunks: number;
      muted: boolean;
      state: string;
    }
    const soundStats = (page: Page) =>
      page.evaluate(() => (window as unknown as { __latchkeySoundStats?: () => SoundStats | null }).__latchkeySoundStats?.() ?? null);
    const before = frames.soundAccepted;
    const page = await viewer();
    await frames.sendSolid([40, 90, 160], 2, 20);
    await expect.poll(async () => (await stats(page))?.frames ?? 0).toBeGreaterThanOrEqual(1);
    await expect.poll(() => frames.soundAccepted, { timeout: 5000 }).toBeGreaterThan(before);
    const toolbar = page.getByRole('toolbar', { name: 'Session' });
    const toggle = toolbar.getByRole('button', { name: 'Sound on' });
    await toggle.waitFor();
    await expect(toggle.getAttribute('aria-pressed')).resolves.toBe('false');
    // The click is the gesture that lets the page play sound; the chunks then play through Web Audio.
    await page.getByTestId('screen').click();
    await frames.sendTone(440, 400);
    await expect.poll(async () => (await soundStats(page))?.chunks ?? 0).toBeGreaterThanOrEqual(20);
    await expect.poll(async () => (await soundStats(page))?.state).toBe('running');
    expect((await soundStats(page))!.badChunks).toBe(0);
    await shot(page, 'viewer-sound-on');

    await toggle.click();
    const muted = toolbar.getByRole('button', { name: 'Sound muted' });
    await expect(muted.getAttribute('aria-pressed')).resolves.toBe('true');
    expect((await soundStats(page))!.muted).toBe(true);
    await shot(page, 'viewer-sound-muted');
    await muted.click();
    expect((await soundStats(page))!.muted).toBe(false);
    await page.close();

    // Without the permission there is no toggle (the host sends no sound either).
    const p2 = await viewer({ permissions: ['control_input'] });
    await frames.sendSolid([40, 90, 160], 2, 20);
    await expect.poll(async () => (await stats(p2))?.frames ?? 0).toBeGreaterThanOrEqual(1);
    await expect(p2.getByRole('button', { name: /^Sound/ }).count()).resolves.toBe(0);
    await p2.close();
  });

  it('shows the end of the session announced by the backend', async () => {
    const page = await viewer({ permissions: DEFAULT_PERMS });
    await frames.sendSolid([60, 60, 60], 2, 20);
    await expect.poll(async () => (await stats(page))?.frames ?? 0).toBeGreaterThanOrEqual(1);
    // The Rust side words reasons as fragments; the window shows a sentence.
    await emitEvent(page, 'session_ended', { session_id: 's9', reason: 'the host ended the session' });
    await page.getByText('Session ended').waitFor();
    await page.getByText('The host ended the session.').waitFor();
    await expect(page.getByRole('button', { name: 'End session' }).count()).resolves.toBe(0);
    await shot(page, 'viewer-ended');
    await page.close();
  });

  it('never shows frames from a socket with the wrong secret', async () => {
    const refused = frames.refused;
    const page = await h.open('viewer.html?session=s9', {
      session: { frames_url: frames.url.replace(/secret=.*/, 'secret=wrong') },
    });
    await expect.poll(() => frames.refused).toBeGreaterThan(refused);
    await page.getByText('The video stream was interrupted; reconnecting…').waitFor();
    expect((await stats(page))!.frames).toBe(0);
    await page.close();
  });

  it('explains a session that does not exist', async () => {
    const page = await h.open('viewer.html?session=nope', {});
    const b = page.locator('[role=alert][data-code="session_ended"]');
    await b.waitFor();
    await expect(b.innerText()).resolves.toMatch(/Session ended/);
    await page.close();
  });
});
