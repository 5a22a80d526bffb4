// Files through the clipboard: the pure parts of its dialog (paths typed one a line, the summary).
import type { ClipboardFilesDone } from '../../../bindings';
import { formatBytes, plural } from '../../../lib/format';

/** Paths typed one a line: trimmed, empty lines dropped. */
export function pathLines(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '');
}

/** One sentence on what a paste (`get`) or a copy (`put`) did. */
export function summary(mode: 'get' | 'put', done: ClipboardFilesDone): string {
  const items = plural(done.paths.length, 'item');
  const size = formatBytes(done.bytes);
  if (mode === 'get') {
    const tail = done.on_local_clipboard ? '; this computer’s clipboard offers them' : '';
    return `Pasted ${items} (${size}) from the remote clipboard${tail}.`;
  }
  return `The remote clipboard offers ${items} (${size}).`;
}
