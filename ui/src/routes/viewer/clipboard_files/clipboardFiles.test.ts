import { describe, expect, it } from 'vitest';
import { pathLines, summary } from './clipboardFiles';

describe('files through the clipboard', () => {
  it('reads paths one a line, trimmed, without empty lines', () => {
    expect(pathLines('')).toEqual([]);
    expect(pathLines('  /home/me/a b.txt \r\n\n/home/me/dir\n  \n')).toEqual(['/home/me/a b.txt', '/home/me/dir']);
  });

  it('says what a paste and a copy did', () => {
    const done = { paths: ['/d/a', '/d/b'], files: 5, bytes: 3 * 1024 * 1024, on_local_clipboard: true };
    expect(summary('get', done)).toBe('Pasted 2 items (3.0 MiB) from the remote clipboard; this computer’s clipboard offers them.');
    expect(summary('get', { ...done, on_local_clipboard: false, paths: ['/d/a'] })).toBe(
      'Pasted 1 item (3.0 MiB) from the remote clipboard.',
    );
    expect(summary('put', { ...done, bytes: 12, on_local_clipboard: false })).toBe('The remote clipboard offers 2 items (12 B).');
  });
});
