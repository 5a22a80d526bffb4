import { describe, expect, it } from 'vitest';
import { svgDataUri, utf8ToBase64 } from './svg';

describe('svgDataUri', () => {
  it('base64-encodes UTF-8 markup', () => {
    expect(utf8ToBase64('é')).toBe('w6k=');
    const uri = svgDataUri('<svg xmlns="http://www.w3.org/2000/svg"/>');
    expect(uri.startsWith('data:image/svg+xml;base64,')).toBe(true);
    expect(Buffer.from(uri.split(',')[1], 'base64').toString('utf8')).toBe('<svg xmlns="http://www.w3.org/2000/svg"/>');
  });
});
