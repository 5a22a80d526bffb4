// The setup of a suite of viewer-window tests: a harness and a frame server for the whole file,
// a check after each test that no page logged an error, and `viewer()` to open a session's window
// (session `s9`, its frames from the loopback server) once its toolbar is there.
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import type { Page } from 'playwright-core';
import type { SessionInfo } from '../src/bindings';
import { startHarness, type Harness } from './harness';
import { startFrameServer, type FrameServer } from './frame-server';

export function viewerSuite(): { viewer: (session?: Partial<SessionInfo>) => Promise<Page> } {
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
  return {
    async viewer(session: Partial<SessionInfo> = {}): Promise<Page> {
      const page = await h.open('viewer.html?session=s9', { session: { frames_url: frames.url, ...session } });
      await page.getByRole('toolbar', { name: 'Session' }).waitFor();
      return page;
    },
  };
}
