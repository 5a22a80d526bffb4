// The viewer's frame source for e2e: a real WebSocket server on 127.0.0.1:0 that checks the
// per-session secret and sends synthetic I420 frames in the Latchkey frame format, each stamped
// with its publish time (low 32 bits of Unix ms) like src-tauri's frame server.
import { WebSocketServer, type WebSocket } from 'ws';
import { buildFrame, rgbToYuv } from '../src/lib/frames/i420';

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
  close(): Promise<void>;
}

export async function startFrameServer(secret = 's3cret-frames'): Promise<FrameServer> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((ok) => wss.once('listening', () => ok()));
  const port = (wss.address() as { port: number }).port;
  const clients = new Set<WebSocket>();
  let seq = 0;
  const fs: FrameServer = {
    url: `ws://127.0.0.1:${port}/frames?secret=${secret}`,
    accepted: 0,
    refused: 0,
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
      for (const c of clients) c.terminate();
      await new Promise<void>((ok) => wss.close(() => ok()));
    },
  };
  wss.on('connection', (ws, req) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname !== '/frames' || url.searchParams.get('secret') !== secret) {
      fs.refused++;
      ws.close(1008, 'bad secret');
      return;
    }
    fs.accepted++;
    clients.add(ws);
    ws.on('close', () => clients.delete(ws));
  });
  return fs;
}
