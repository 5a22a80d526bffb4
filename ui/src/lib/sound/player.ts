// The host's sound in the viewer window: chunks of decoded PCM from the app's loopback
// WebSocket (`/sound`), played in order through Web Audio, each scheduled right after the
// previous one (a short lead after silence absorbs jitter). Muting sets the gain to 0; the
// chunks still arrive (the host decides what is sent, by the session's `hear_sound`).
import { parseSoundChunk, schedule } from './chunk';

/** How far ahead of the audio clock a chunk after a gap starts (seconds). */
const LEAD_S = 0.04;
const RETRY_DELAY_MS = 1000;
const MAX_RETRIES = 10;

export interface SoundStats {
  chunks: number;
  badChunks: number;
  muted: boolean;
  /** The audio context's state ('running', or 'suspended' until the page may play sound). */
  state: string;
}

/** The `/sound` URL next to a session's `/frames` URL (same session and secret). */
export function soundUrl(framesUrl: string): string {
  const url = new URL(framesUrl);
  url.pathname = url.pathname.replace(/\/frames$/, '/sound');
  return url.toString();
}

export class SoundPlayer {
  chunks = 0;
  badChunks = 0;
  private ctx: AudioContext | null = null;
  private gain: GainNode | null = null;
  private ws: WebSocket | null = null;
  private next = 0;
  private muted = false;
  private stopped = false;
  private retries = 0;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(private url: string) {}

  start(): void {
    this.stopped = false;
    this.open();
  }

  private open(): void {
    let ws: WebSocket;
    try {
      ws = new WebSocket(this.url);
    } catch {
      return;
    }
    ws.binaryType = 'arraybuffer';
    this.ws = ws;
    ws.onopen = () => (this.retries = 0);
    ws.onmessage = (ev: MessageEvent) => this.onMessage(ev.data);
    ws.onclose = () => {
      if (this.ws !== ws) return;
      this.ws = null;
      if (this.stopped || this.retries >= MAX_RETRIES) return;
      this.retries++;
      this.retryTimer = setTimeout(() => {
        this.retryTimer = null;
        if (!this.stopped) this.open();
      }, RETRY_DELAY_MS);
    };
  }

  private context(rate: number): AudioContext {
    if (!this.ctx) {
      this.ctx = new AudioContext({ sampleRate: rate, latencyHint: 'interactive' });
      this.gain = this.ctx.createGain();
      this.gain.gain.value = this.muted ? 0 : 1;
      this.gain.connect(this.ctx.destination);
    }
    return this.ctx;
  }

  private onMessage(data: unknown): void {
    if (!(data instanceof ArrayBuffer)) return;
    let chunk;
    try {
      chunk = parseSoundChunk(data);
    } catch {
      this.badChunks++;
      return;
    }
    this.chunks++;
    const ctx = this.context(chunk.rate);
    const frames = chunk.planes[0].length;
    if (frames === 0 || !this.gain) return;
    const buffer = ctx.createBuffer(chunk.channels, frames, chunk.rate);
    chunk.planes.forEach((p, c) => buffer.copyToChannel(p, c));
    const source = ctx.createBufferSource();
    source.buffer = buffer;
    source.connect(this.gain);
    const [start, next] = schedule(ctx.currentTime, this.next, buffer.duration, LEAD_S);
    this.next = next;
    source.start(start);
  }

  /** Pages may not start sound on their own: call from a click or key press. */
  resume(): void {
    if (this.ctx?.state === 'suspended') void this.ctx.resume().catch(() => {});
  }

  setMuted(muted: boolean): void {
    this.muted = muted;
    if (this.gain) this.gain.gain.value = muted ? 0 : 1;
  }

  stats(): SoundStats {
    return { chunks: this.chunks, badChunks: this.badChunks, muted: this.muted, state: this.ctx?.state ?? 'idle' };
  }

  stop(): void {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    const ws = this.ws;
    this.ws = null;
    ws?.close();
    void this.ctx?.close().catch(() => {});
    this.ctx = null;
    this.gain = null;
  }
}
