// The pen tool's strokes: the points a drag on the screen makes, in the streamed display's
// pixels, thinned and bounded as the host takes them (`latchkey_core::feature::whiteboard`:
// at most 512 points, each on the screen), and the colours the host knows by name.

/** Most points in one stroke (the host refuses more). */
export const MAX_STROKE_POINTS = 512;
/** A point closer than this (in host pixels, either way) to the last one adds nothing. */
export const MIN_STEP = 3;

/** The pen's colours: names the host knows. */
export const PEN_COLORS: readonly { name: string; label: string; css: string }[] = [
  { name: 'red', label: 'Red', css: '#e51c23' },
  { name: 'orange', label: 'Orange', css: '#ff9800' },
  { name: 'yellow', label: 'Yellow', css: '#ffeb3b' },
  { name: 'green', label: 'Green', css: '#2e7d32' },
  { name: 'blue', label: 'Blue', css: '#1565c0' },
  { name: 'purple', label: 'Purple', css: '#8e24aa' },
  { name: 'black', label: 'Black', css: '#000000' },
  { name: 'white', label: 'White', css: '#ffffff' },
];

/** One stroke being drawn. */
export class Stroke {
  readonly points: [number, number][] = [];

  /** Add where the pen is now; false when the stroke is full (the last point still moves). */
  add(p: { x: number; y: number }): boolean {
    const last = this.points.at(-1);
    if (last && Math.abs(last[0] - p.x) < MIN_STEP && Math.abs(last[1] - p.y) < MIN_STEP) return true;
    if (this.points.length >= MAX_STROKE_POINTS) {
      this.points[this.points.length - 1] = [p.x, p.y];
      return false;
    }
    this.points.push([p.x, p.y]);
    return true;
  }

  /** The points to send: a click without a drag is a dot (two equal points); none if empty. */
  finish(): [number, number][] | null {
    if (this.points.length === 0) return null;
    if (this.points.length === 1) return [this.points[0], this.points[0]];
    return this.points;
  }
}
