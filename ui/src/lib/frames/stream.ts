// The viewer's frame stream: a loopback WebSocket delivering one I420 frame per message.
// The newest frame wins: each animation frame draws the latest message that arrived, so a
// slow window never builds a queue. When nothing arrives (idle screen) the last frame stays.
import { FrameError, parseFrame, type I420Frame } from './i420';
import type { FrameRenderer } from './renderer';
import { FrameStats } from './stats';

export type StreamState = 'connecting' | 'live' | 'interrupted' | 'failed' | 'stopped';

export interface StreamEvents {
  onState(state: StreamState, detail?: string): void;
  /** The first frame, and every change of frame size. */
  onFrameSize(width: number, height: number): void;
}

const RETRY_DELAY_MS = 1000;
const MAX_RETRIES = 10;

export class FrameStream {
  readonly stats = new FrameStats();
  dropped = 0;
  private ws: WebSocket | null = null;
  private pending: { frame: I420Frame; arrived: number } | null = null;
  private raf = 0;
  private retries = 0;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private stopped = false;
  private width = 0;
  private height = 0;

  constructor(
    private url: string,
    private renderer: FrameRenderer,
    private events: StreamEvents,
  ) {
    this.stats.renderer = renderer.kind;
  }

  start(): void {
    this.stopped = false;
    this.open();
  }

  private open(): void {
    this.events.onState('connecting');
    let ws: WebSocket;
    try {
      ws = new WebSocket(this.url);
    } catch (e) {
      this.events.onState('failed', e instanceof Error ? e.message : String(e));
      return;
    }
    ws.binaryType = 'arraybuffer';
    this.ws = ws;
    ws.onopen = () => {
      this.retries = 0;
      this.events.onState('live');
    };
    ws.onmessage = (ev: MessageEvent) => this.onMessage(ev.data);
    ws.onclose = () => {
      if (this.ws !== ws) return;
      this.ws = null;
      if (this.stopped) return;
      if (this.retries >= MAX_RETRIES) {
        this.events.onState('failed', 'The video stream could not be reopened.');
        return;
      }
      this.retries++;
      this.events.onState('interrupted');
      this.retryTimer = setTimeout(() => {
        this.retryTimer = null;
        if (!this.stopped) this.open();
      }, RETRY_DELAY_MS);
    };
  }

  private onMessage(data: unknown): void {
    const arrived = performance.now();
    if (!(data instanceof ArrayBuffer)) return; // text messages are not frames
    let frame: I420Frame;
    try {
      frame = parseFrame(data);
    } catch (e) {
      if (e instanceof FrameError) {
        this.stats.badFrames++;
        return;
      }
      throw e;
    }
    if (this.pending) this.dropped++;
    this.pending = { frame, arrived };
    if (!this.raf) this.raf = requestAnimationFrame(() => this.drawPending());
  }

  private drawPending(): void {
    this.raf = 0;
    const p = this.pending;
    this.pending = null;
    if (!p || this.stopped) return;
    this.renderer.draw(p.frame);
    this.stats.record(p.arrived, performance.now(), p.frame.sentMs, Date.now());
    if (p.frame.width !== this.width || p.frame.height !== this.height) {
      this.width = p.frame.width;
      this.height = p.frame.height;
      this.events.onFrameSize(this.width, this.height);
    }
  }

  stop(): void {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.raf) cancelAnimationFrame(this.raf);
    this.raf = 0;
    this.pending = null;
    const ws = this.ws;
    this.ws = null;
    ws?.close();
    this.events.onState('stopped');
  }
}
