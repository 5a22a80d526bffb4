// Backend SVG markup (the 2FA QR code) shown through an <img> data URI: never parsed into the
// page, so it cannot run script or restyle anything (no innerHTML of backend strings).

/** UTF-8 bytes in base64, without the deprecated `unescape` trick. */
export function utf8ToBase64(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(bin);
}

export function svgDataUri(svg: string): string {
  return `data:image/svg+xml;base64,${utf8ToBase64(svg)}`;
}
