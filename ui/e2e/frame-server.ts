// The viewer's frame source for e2e: a real WebSocket server on 127.0.0.1:0 that checks the
// per-session secret and sends synthetic I420 frames in the Latchkey frame format, each stamped
// with its publish time (low 32 bits of Unix ms) like src-tauri's frame server.
import { WebSocketServer, type WebSocket } from 'ws';
import { buildFrame, rgbToYuv } from '../src/lib/frames/i420';
import { buildSoundChunk } from '../src/lib/sound/chunk';

export interface FrameServer {
  url: string;
  /** Connections accepted (right secret) and refused (wrong or no secret). */
  accepted: number;
  refused: number;
  /** Send `count` solid frames of `rgb`, `intervalMs` apart, to every client. */
  sendSolid(rgb: [number, number, number], count: number, intervalMs?: number, size?: [number, number]): Promise<void>;
  /** Send one frame: left half `left`, right half `right`. */
  sendSplit(left: [number, number, number], right: [number, number, number], size?: [number, number]): void;
  /** Send bytes that are not a frame. */
  sendGarbage(): void;
  /** Sound connections accepted (`/sound`, right secret). */
  soundAccepted: number;
  /** Send `ms` of a stereo 48 kHz sine of `hz` to every sound client, in 20 ms chunks. */
  sendTone(hz: number, ms: number): Promise<void>;
  close(): Promise<void>;
}

export async function startFrameServer(secret = 's3cret-frames'): Promise<FrameServer> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((ok) => wss.once('listening', () => ok()));
  const port = (wss.address() as { port: number }).port;
  const clients = new Set<WebSocket>();
  const soundClients = new Set<WebSocket>();
  let seq = 0;
  const fs: FrameServer = {
    url: `ws://127.0.0.1:${port}/frames?secret=${secret}`,
    accepted: 0,
    refused: 0,
    soundAccepted: 0,
    async sendTone(hz, ms) {
      const frames = 960;
      for (let at = 0; at < (ms * 48) / frames; at++) {
        const samples = new Int16Array(frames * 2);
        for (let i = 0; i < frames; i++) {
          const v = Math.round(8000 * Math.sin((2 * Math.PI * hz * (at * frames + i)) / 48_000));
          samples[2 * i] = v;
          samples[2 * i + 1] = v;
        }
        const chunk = buildSoundChunk(48_000, 2, samples);
        for (const c of soundClients) c.send(chunk);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    async sendSolid(rgb, count, intervalMs = 30, size = [320, 180]) {
      const [y, u, v] = rgbToYuv(...rgb);
      for (let i = 0; i < count; i++) {
        const frame = buildFrame(size[0], size[1], ++seq, { y, u, v }, Date.now());
        for (const c of clients) c.send(frame);
        await new Promise((r) => setTimeout(r, intervalMs));
      }
    },
    sendSplit(left, right, size = [320, 180]) {
      const l = rgbToYuv(...left);
      const r = rgbToYuv(...right);
      const frame = buildFrame(size[0], size[1], ++seq, (x) => (x < size[0] / 2 ? l : r), Date.now());
      for (const c of clients) c.send(frame);
    },
    sendGarbage() {
      for (const c of clients) c.send(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25]));
    },
    async close() {
      for (const c of [...clients, ...soundClients]) c.terminate();
      await new Promise<void>((ok) => wss.close(() => ok()));
    },
  };
  wss.on('connection', (ws, req) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const sound = url.pathname === '/sound';
    if ((url.pathname !== '/frames' && !sound) || url.searchParams.get('secret') !== secret) {
      fs.refused++;
      ws.close(1008, 'bad secret');
      return;
    }
    if (sound) {
      fs.soundAccepted++;
      soundClients.add(ws);
      ws.on('close', () => soundClients.delete(ws));
      return;
    }
    fs.accepted++;
    clients.add(ws);
    ws.on('close', () => clients.delete(ws));
  });
  return fs;
}
