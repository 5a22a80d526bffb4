#!/usr/bin/env python3
"""Draw Latchkey's app icon (a keyhole on a rounded square) as PNGs in icons/.

Pure Python (zlib only), 4x4 supersampled. Run again after changing the shape.
"""
import math
import os
import struct
import zlib

BG = (22, 94, 117)      # deep teal
FG = (246, 248, 250)    # near white


def inside(x, y):
    """Shape test in unit coordinates (0..1): 0 outside, 1 background, 2 keyhole."""
    r = 0.2  # corner radius of the rounded square
    m = 0.04  # margin
    lo, hi = m, 1 - m
    if not (lo <= x <= hi and lo <= y <= hi):
        return 0
    cx = min(max(x, lo + r), hi - r)
    cy = min(max(y, lo + r), hi - r)
    if (x - cx) ** 2 + (y - cy) ** 2 > r * r:
        return 0
    # Keyhole: a circle and a tapering slot below it.
    if (x - 0.5) ** 2 + (y - 0.40) ** 2 <= 0.14 ** 2:
        return 2
    if 0.40 <= y <= 0.76:
        half = 0.055 + (y - 0.40) * 0.12
        if abs(x - 0.5) <= half:
            return 2
    return 1


def render(size):
    rows = []
    ss = 4
    for py in range(size):
        row = bytearray([0])
        for px in range(size):
            acc = [0, 0, 0, 0]
            for sy in range(ss):
                for sx in range(ss):
                    k = inside((px + (sx + 0.5) / ss) / size, (py + (sy + 0.5) / ss) / size)
                    if k:
                        c = BG if k == 1 else FG
                        acc[0] += c[0]; acc[1] += c[1]; acc[2] += c[2]; acc[3] += 255
            n = ss * ss
            a = acc[3] // n
            if a:
                cover = acc[3] / 255
                row += bytes([round(acc[0] / cover), round(acc[1] / cover), round(acc[2] / cover), a])
            else:
                row += bytes([0, 0, 0, 0])
        rows.append(bytes(row))
    raw = b"".join(rows)

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def main():
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "icons")
    os.makedirs(out, exist_ok=True)
    for name, size in [("32x32.png", 32), ("128x128.png", 128), ("128x128@2x.png", 256), ("icon.png", 512)]:
        with open(os.path.join(out, name), "wb") as f:
            f.write(render(size))


if __name__ == "__main__":
    main()
