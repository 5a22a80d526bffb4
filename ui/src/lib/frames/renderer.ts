// Drawing I420 frames on a canvas: WebGL (three LUMINANCE textures and a BT.601
// limited-range YUV->RGB fragment shader), or a 2D canvas with the conversion done in
// JavaScript when WebGL is unavailable. The canvas is sized to the frame; CSS scales it.
import { i420ToRgba, type I420Frame } from './i420';

export type RendererKind = 'webgl' | '2d';

export interface FrameRenderer {
  readonly kind: RendererKind;
  /** Draw one frame (resizing the canvas to it when needed). */
  draw(frame: I420Frame): void;
  destroy(): void;
}

const VERTEX_SHADER = `
attribute vec2 a_pos;
varying vec2 v_tex;
void main() {
  v_tex = vec2((a_pos.x + 1.0) * 0.5, (1.0 - a_pos.y) * 0.5);
  gl_Position = vec4(a_pos, 0.0, 1.0);
}`;

// BT.601, limited range: Y in 16..235, Cb/Cr in 16..240 (texture values are /255).
const FRAGMENT_SHADER = `
precision mediump float;
varying vec2 v_tex;
uniform sampler2D u_y;
uniform sampler2D u_u;
uniform sampler2D u_v;
void main() {
  float y = 1.164383 * (texture2D(u_y, v_tex).r - 0.062745);
  float u = texture2D(u_u, v_tex).r - 0.501961;
  float v = texture2D(u_v, v_tex).r - 0.501961;
  gl_FragColor = vec4(
    y + 1.596027 * v,
    y - 0.391762 * u - 0.812968 * v,
    y + 2.017232 * u,
    1.0);
}`;

function compile(gl: WebGLRenderingContext, type: number, src: string): WebGLShader {
  const s = gl.createShader(type);
  if (!s) throw new Error('createShader failed');
  gl.shaderSource(s, src);
  gl.compileShader(s);
  if (!gl.getShaderParameter(s, gl.COMPILE_STATUS)) {
    const log = gl.getShaderInfoLog(s);
    gl.deleteShader(s);
    throw new Error(`shader: ${log}`);
  }
  return s;
}

class WebGlRenderer implements FrameRenderer {
  readonly kind = 'webgl' as const;
  private gl: WebGLRenderingContext;
  private textures: WebGLTexture[] = [];
  private width = 0;
  private height = 0;
  private lost = false;
  private onLost = (e: Event) => {
    e.preventDefault();
    this.lost = true;
  };
  private onRestored = () => {
    this.lost = false;
    this.width = this.height = 0;
    this.init();
  };

  constructor(
    private canvas: HTMLCanvasElement,
    gl: WebGLRenderingContext,
  ) {
    this.gl = gl;
    canvas.addEventListener('webglcontextlost', this.onLost);
    canvas.addEventListener('webglcontextrestored', this.onRestored);
    this.init();
  }

  private init(): void {
    const gl = this.gl;
    const program = gl.createProgram();
    if (!program) throw new Error('createProgram failed');
    gl.attachShader(program, compile(gl, gl.VERTEX_SHADER, VERTEX_SHADER));
    gl.attachShader(program, compile(gl, gl.FRAGMENT_SHADER, FRAGMENT_SHADER));
    gl.linkProgram(program);
    if (!gl.getProgramParameter(program, gl.LINK_STATUS)) {
      throw new Error(`link: ${gl.getProgramInfoLog(program)}`);
    }
    gl.useProgram(program);
    const buf = gl.createBuffer();
    gl.bindBuffer(gl.ARRAY_BUFFER, buf);
    gl.bufferData(gl.ARRAY_BUFFER, new Float32Array([-1, -1, 1, -1, -1, 1, 1, 1]), gl.STATIC_DRAW);
    const pos = gl.getAttribLocation(program, 'a_pos');
    gl.enableVertexAttribArray(pos);
    gl.vertexAttribPointer(pos, 2, gl.FLOAT, false, 0, 0);
    gl.pixelStorei(gl.UNPACK_ALIGNMENT, 1);
    this.textures = ['u_y', 'u_u', 'u_v'].map((name, unit) => {
      const t = gl.createTexture();
      if (!t) throw new Error('createTexture failed');
      gl.activeTexture(gl.TEXTURE0 + unit);
      gl.bindTexture(gl.TEXTURE_2D, t);
      gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MIN_FILTER, gl.LINEAR);
      gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MAG_FILTER, gl.LINEAR);
      gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_WRAP_S, gl.CLAMP_TO_EDGE);
      gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_WRAP_T, gl.CLAMP_TO_EDGE);
      gl.uniform1i(gl.getUniformLocation(program, name), unit);
      return t;
    });
  }

  draw(f: I420Frame): void {
    if (this.lost) return;
    const gl = this.gl;
    const cw = f.width / 2;
    const ch = f.height / 2;
    const planes: [Uint8Array, number, number][] = [
      [f.y, f.width, f.height],
      [f.u, cw, ch],
      [f.v, cw, ch],
    ];
    const resized = f.width !== this.width || f.height !== this.height;
    if (resized) {
      this.canvas.width = f.width;
      this.canvas.height = f.height;
      gl.viewport(0, 0, f.width, f.height);
      this.width = f.width;
      this.height = f.height;
    }
    planes.forEach(([data, w, h], unit) => {
      gl.activeTexture(gl.TEXTURE0 + unit);
      gl.bindTexture(gl.TEXTURE_2D, this.textures[unit]);
      if (resized) {
        gl.texImage2D(gl.TEXTURE_2D, 0, gl.LUMINANCE, w, h, 0, gl.LUMINANCE, gl.UNSIGNED_BYTE, data);
      } else {
        gl.texSubImage2D(gl.TEXTURE_2D, 0, 0, 0, w, h, gl.LUMINANCE, gl.UNSIGNED_BYTE, data);
      }
    });
    gl.drawArrays(gl.TRIANGLE_STRIP, 0, 4);
    gl.flush();
  }

  destroy(): void {
    this.canvas.removeEventListener('webglcontextlost', this.onLost);
    this.canvas.removeEventListener('webglcontextrestored', this.onRestored);
    for (const t of this.textures) this.gl.deleteTexture(t);
    this.textures = [];
  }
}

class CanvasRenderer implements FrameRenderer {
  readonly kind = '2d' as const;
  private image: ImageData | null = null;
  constructor(
    private canvas: HTMLCanvasElement,
    private ctx: CanvasRenderingContext2D,
  ) {}

  draw(f: I420Frame): void {
    if (!this.image || this.image.width !== f.width || this.image.height !== f.height) {
      this.canvas.width = f.width;
      this.canvas.height = f.height;
      this.image = this.ctx.createImageData(f.width, f.height);
    }
    i420ToRgba(f, this.image.data);
    this.ctx.putImageData(this.image, 0, 0);
  }

  destroy(): void {
    this.image = null;
  }
}

export type RendererPreference = 'auto' | RendererKind;

/**
 * The viewer's diagnostics switch, from its URL's query: `renderer=2d` or `renderer=webgl`
 * forces that renderer (the benchmark measures each); anything else is "auto".
 */
export function rendererPreference(search: string): RendererPreference {
  const r = new URLSearchParams(search).get('renderer');
  return r === '2d' || r === 'webgl' ? r : 'auto';
}

/**
 * A renderer for `canvas`: WebGL, or the 2D canvas when WebGL is unavailable ("auto"), or
 * exactly the one asked for (forced "webgl" throws rather than fall back, "2d" never tries WebGL).
 */
export function createRenderer(
  canvas: HTMLCanvasElement,
  prefer: RendererPreference = 'auto',
): FrameRenderer {
  if (prefer !== '2d') {
    let why = 'no WebGL context';
    try {
      const gl = canvas.getContext('webgl', {
        alpha: false,
        antialias: false,
        depth: false,
        stencil: false,
        premultipliedAlpha: false,
        preserveDrawingBuffer: false,
      });
      if (gl) return new WebGlRenderer(canvas, gl);
    } catch (e) {
      // No usable WebGL: fall through to the 2D canvas (unless WebGL was forced).
      why = e instanceof Error ? e.message : String(e);
    }
    if (prefer === 'webgl') throw new Error(`WebGL was asked for (renderer=webgl) but is unavailable: ${why}.`);
  }
  const ctx = canvas.getContext('2d', { alpha: false });
  if (!ctx) throw new Error('This window can draw neither WebGL nor a 2D canvas.');
  return new CanvasRenderer(canvas, ctx);
}
