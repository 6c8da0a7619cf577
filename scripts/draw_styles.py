"""Draw the example style images shipped in ``assets/styles/``.

Every style reference that stylekit ships is painted by this script, so the
pictures are ours to license (see ``assets/SOURCES.md``).  Each style has one
function that returns a 512 x 512 RGB :class:`PIL.Image.Image`; they share a
few helpers: fractal noise, a Gaussian blur, a paper/canvas grain, and a
:class:`Canvas` that lays down bristle brush strokes and keeps a height map of
the paint so the finished picture can be lit like real impasto.

The drawings are deterministic (each style has its own fixed seed) and need
only numpy and Pillow, both runtime dependencies of stylekit.

Usage::

    python scripts/draw_styles.py              # (re)write every style
    python scripts/draw_styles.py starry_swirls ink_wash   # just these
    python scripts/draw_styles.py --list       # names of the styles
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

SIZE = 512  # side of the finished square images, in pixels
SS = 2  # supersampling factor: strokes are drawn at SIZE * SS, then reduced
OUT_DIR = Path(__file__).resolve().parent.parent / "assets" / "styles"
JPEG_QUALITY = 90


# --------------------------------------------------------------------------
# Shared helpers
# --------------------------------------------------------------------------


def hex_rgb(code: str) -> np.ndarray:
    """``"#rrggbb"`` as a float array in 0..255."""
    code = code.lstrip("#")
    return np.array([int(code[i : i + 2], 16) for i in (0, 2, 4)], dtype=float)


def palette(*codes: str) -> np.ndarray:
    """Several hex colours as an (n, 3) float array."""
    return np.stack([hex_rgb(c) for c in codes])


def rgb_tuple(color: np.ndarray) -> tuple[int, int, int]:
    """A float colour, clipped to 0..255, as the int triple PIL expects."""
    c = np.clip(np.asarray(color, dtype=float), 0, 255)
    return int(c[0]), int(c[1]), int(c[2])


def resize_float(a: np.ndarray, width: int, height: int) -> np.ndarray:
    """Bicubic resize of a 2-D float array (PIL "F" mode)."""
    img = Image.fromarray(a.astype(np.float32), mode="F")
    return np.asarray(img.resize((width, height), Image.BICUBIC), dtype=float)


def value_noise(h: int, w: int, cells: int, rng: np.random.Generator) -> np.ndarray:
    """Smooth random field with about ``cells`` bumps across the width, in 0..1."""
    ch = max(2, round(cells * h / w))
    grid = rng.random((ch + 3, cells + 3))
    # Upsample with a one-cell margin so the bicubic edges are not clamped.
    big = resize_float(grid, (cells + 3) * w // cells, (ch + 3) * h // ch)
    oy, ox = h // ch, w // cells
    return big[oy : oy + h, ox : ox + w]


def fbm(h: int, w: int, rng: np.random.Generator, base: int = 4,
        octaves: int = 5, persistence: float = 0.5) -> np.ndarray:
    """Fractal (multi-octave) value noise normalised to 0..1."""
    total = np.zeros((h, w))
    amp, cells = 1.0, base
    for _ in range(octaves):
        total += amp * value_noise(h, w, min(cells, w // 2), rng)
        amp *= persistence
        cells *= 2
    total -= total.min()
    return total / max(total.max(), 1e-9)


def blur(a: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian blur of a 2-D or (h, w, c) float array, reflecting at edges."""
    if sigma <= 0:
        return a
    if a.ndim == 3:
        return np.stack([blur(a[..., i], sigma) for i in range(a.shape[2])], -1)
    pad = int(3 * sigma) + 1
    p = np.pad(a, pad, mode="reflect")
    fy = np.fft.fftfreq(p.shape[0])[:, None]
    fx = np.fft.rfftfreq(p.shape[1])[None, :]
    kernel = np.exp(-2 * (math.pi * sigma) ** 2 * (fx**2 + fy**2))
    out = np.fft.irfft2(np.fft.rfft2(p) * kernel, s=p.shape)
    return out[pad:-pad, pad:-pad]


def smooth1d(a: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian smoothing of a 1-D array (same length)."""
    r = int(3 * sigma) + 1
    k = np.exp(-0.5 * (np.arange(-r, r + 1) / sigma) ** 2)
    return np.convolve(np.pad(a, r, mode="reflect"), k / k.sum(), mode="valid")


def smoothstep(e0: float, e1: float, x: np.ndarray) -> np.ndarray:
    t = np.clip((x - e0) / (e1 - e0), 0, 1)
    return t * t * (3 - 2 * t)


def grain(h: int, w: int, rng: np.random.Generator, strength: float = 1.0) -> np.ndarray:
    """Paper/canvas grain: fine noise plus a faint woven pattern, mean 0."""
    fine = blur(rng.standard_normal((h, w)), 0.7)
    fine /= fine.std() + 1e-9
    yy, xx = np.mgrid[0:h, 0:w]
    weave = np.sin(xx * 2.1) * np.sin(yy * 2.1 + np.sin(xx * 0.05))
    blotch = fbm(h, w, rng, base=6, octaves=4) - 0.5
    return strength * (0.035 * fine + 0.015 * weave + 0.08 * blotch)


def shade_relief(height: np.ndarray, strength: float, light=(-1.0, -1.2)) -> np.ndarray:
    """Lambert-ish lighting factor (around 1.0) of a height map lit from ``light``."""
    gy, gx = np.gradient(height)
    lx, ly = light
    norm = math.hypot(lx, ly)
    lit = -(gx * lx + gy * ly) / norm
    return 1.0 + strength * lit


def finish(rgb: np.ndarray) -> Image.Image:
    """Float RGB (any size, 0..255) -> SIZE x SIZE 8-bit image."""
    img = Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8), "RGB")
    if img.size != (SIZE, SIZE):
        img = img.resize((SIZE, SIZE), Image.LANCZOS)
    return img


def polyline_normals(pts: np.ndarray) -> np.ndarray:
    """Unit normals of a polyline (n, 2), one per vertex."""
    d = np.gradient(pts, axis=0)
    n = np.stack([-d[:, 1], d[:, 0]], 1)
    return n / (np.linalg.norm(n, axis=1, keepdims=True) + 1e-9)


def trace_streamline(angle: np.ndarray, x: float, y: float, length: float,
                     step: float = 1.5) -> np.ndarray:
    """Follow the direction field ``angle`` (radians, SIZE grid) both ways from (x, y)."""
    h, w = angle.shape
    half = max(2, int(length / step / 2))

    def walk(sign: float) -> list[tuple[float, float]]:
        px, py, out = x, y, []
        for _ in range(half):
            a = angle[min(h - 1, max(0, int(py))), min(w - 1, max(0, int(px)))]
            px += sign * step * math.cos(a)
            py += sign * step * math.sin(a)
            out.append((px, py))
        return out

    back = walk(-1.0)[::-1]
    return np.array(back + [(x, y)] + walk(1.0))


class Canvas:
    """An RGB canvas at SIZE*SS pixels with a height map of the paint on it.

    Coordinates passed in are in SIZE units; the canvas scales them.
    """

    def __init__(self, background, rng: np.random.Generator):
        n = SIZE * SS
        if isinstance(background, np.ndarray) and background.ndim == 3:
            bg = Image.fromarray(np.clip(background, 0, 255).astype(np.uint8), "RGB")
            self.img = bg.resize((n, n), Image.BICUBIC)
        else:
            self.img = Image.new("RGB", (n, n), rgb_tuple(background))
        self.height = Image.new("L", (n, n), 0)
        self.draw = ImageDraw.Draw(self.img)
        self.hdraw = ImageDraw.Draw(self.height)
        self.rng = rng

    def stroke(self, pts, width: float, color, bristles: int = 0,
               jitter: float = 22.0, load: float = 1.0, relief: int = 140) -> None:
        """A brush stroke along ``pts`` (n, 2).

        With ``bristles`` > 0 the stroke is drawn as that many thin parallel
        lines of slightly different colour on top of a solid body, which gives
        the streaky look of a loaded bristle brush; ``load`` < 1 lets some
        bristles run dry before the end of the stroke.
        """
        rng = self.rng
        pts = np.asarray(pts, dtype=float) * SS
        if len(pts) < 2:
            return
        w = width * SS
        color = np.asarray(color, dtype=float)
        flat = [tuple(p) for p in pts]
        self.draw.line(flat, fill=rgb_tuple(color), width=max(1, int(w)), joint="curve")
        self.hdraw.line(flat, fill=int(relief * 0.6), width=max(1, int(w)), joint="curve")
        r = w / 2
        for end in (pts[0], pts[-1]):
            box = [end[0] - r * 0.9, end[1] - r * 0.9, end[0] + r * 0.9, end[1] + r * 0.9]
            self.draw.ellipse(box, fill=rgb_tuple(color))
        if bristles <= 0:
            return
        normals = polyline_normals(pts)
        bw = max(1, int(round(w / bristles * 1.3)))
        n = len(pts)
        for k in range(bristles):
            off = ((k + 0.5) / bristles - 0.5) * w * 0.95 + rng.normal(0, w * 0.03)
            shade = rng.normal(0, jitter)
            c = color + shade + rng.normal(0, jitter * 0.35, 3)
            stop = n if rng.random() > 1 - load else max(2, int(n * rng.uniform(0.4, 1.0)))
            start = 0 if rng.random() < 0.7 else int(n * rng.uniform(0, 0.25))
            line = pts[start:stop] + normals[start:stop] * off
            if len(line) < 2:
                continue
            seg = [tuple(p) for p in line]
            self.draw.line(seg, fill=rgb_tuple(c), width=bw, joint="curve")
            hv = int(np.clip(relief + rng.normal(0, 45), 0, 255))
            self.hdraw.line(seg, fill=hv, width=max(1, bw - 1), joint="curve")

    def set_height(self, height: Image.Image) -> None:
        """Start from an existing paint relief (an "L" image at SIZE*SS)."""
        self.height = height
        self.hdraw = ImageDraw.Draw(self.height)

    def dab(self, x: float, y: float, r: float, color, relief: int = 150) -> None:
        """A round blob of paint."""
        x, y, r = x * SS, y * SS, r * SS
        self.draw.ellipse([x - r, y - r, x + r, y + r], fill=rgb_tuple(color))
        self.hdraw.ellipse([x - r, y - r, x + r, y + r], fill=relief)

    def rgb(self) -> np.ndarray:
        return np.asarray(self.img, dtype=float)

    def lit(self, strength: float = 0.9, soften: float = 1.0) -> np.ndarray:
        """The canvas colours lit across the paint relief (float RGB)."""
        h = blur(np.asarray(self.height, dtype=float) / 255.0, soften * SS)
        return self.rgb() * shade_relief(h * 6.0, strength)[..., None]


# --------------------------------------------------------------------------
# 1. Swirling night sky
# --------------------------------------------------------------------------


def starry_swirls() -> Image.Image:
    """Night sky of short curved strokes riding a turbulent flow, with stars,
    a crescent moon, a dark flame-like cypress and rolling hills."""
    rng = np.random.default_rng(1889)
    n = SIZE
    yy, xx = np.mgrid[0:n, 0:n].astype(float)

    # --- the flow field: wind + vortices + curl noise ---------------------
    vx = np.full((n, n), 1.0)
    vy = 0.12 * np.sin(xx / n * 2 * math.pi * 1.5)
    psi = fbm(n, n, rng, base=3, octaves=4)
    cy_, cx_ = np.gradient(blur(psi, 6) * n * 0.12)
    vx += cy_ * 2.2
    vy -= cx_ * 2.2
    swirls = [(0.42, 0.36, 70, 1.0), (0.62, 0.30, 48, -1.0), (0.28, 0.24, 36, 1.0)]
    for sx, sy, sr, spin in swirls:
        dx, dy = xx - sx * n, yy - sy * n
        r = np.hypot(dx, dy) + 1e-6
        fall = np.exp(-((r / sr) ** 2)) * 3.2
        # tangential flow with a slight inward spiral
        vx += fall * spin * (-dy / r) - fall * 0.25 * dx / r
        vy += fall * spin * (dx / r) - fall * 0.25 * dy / r

    stars = [(0.05, 0.30, 11), (0.29, 0.08, 11), (0.47, 0.12, 12), (0.64, 0.10, 10),
             (0.93, 0.40, 13), (0.78, 0.47, 11), (0.12, 0.43, 10),
             (0.55, 0.50, 9), (0.36, 0.55, 8)]
    moon = (0.84, 0.15, 26)
    halos = stars + [moon]
    for sx, sy, sr in halos:
        dx, dy = xx - sx * n, yy - sy * n
        r = np.hypot(dx, dy) + 1e-6
        fall = np.exp(-((r / (sr * 2.6)) ** 2)) * 9.0
        vx += fall * (-dy / r)
        vy += fall * (dx / r)
    angle = np.arctan2(vy, vx)

    # --- the land: rolling hills with a village glow, and a cypress -------
    hill = (0.70 + 0.04 * np.sin(xx[0] / n * 5.0 + 1.0) + 0.03 * np.sin(xx[0] / n * 13)
            - 0.05 * np.exp(-(((xx[0] / n) - 0.75) / 0.15) ** 2))
    land = yy / n > hill[None, :]
    hill_angle = np.arctan2(np.gradient(hill * n)[None, :].repeat(n, 0), 1.0)
    hill_angle = hill_angle + 0.35 * np.sin(yy / 9.0 + xx / 40.0)

    def cypress_halfwidth(y):
        t = np.clip((y / n - 0.05) / 0.95, 0, 1)
        lobes = 1 + 0.28 * np.sin(y / 13.0) * np.sin(y / 41.0 + 1.3)
        return n * (0.006 + 0.10 * t**0.9) * lobes

    wob = fbm(n, n, rng, base=5, octaves=2) - 0.5
    cyp_cx = n * 0.16 + 10 * np.sin(yy / 37.0) + 8 * np.sin(yy / 13.0)
    cyp = (np.abs(xx - cyp_cx) < cypress_halfwidth(yy) * (1 + 0.5 * wob)) & (yy > n * 0.05)
    cyp_angle = -math.pi / 2 + 0.6 * np.sin(yy / 15.0 + (xx - cyp_cx) / 6.0)

    field = np.where(land, hill_angle, angle)
    field = np.where(cyp, cyp_angle, field)

    # --- base colours ------------------------------------------------------
    t = yy / n
    sky = (hex_rgb("#0b1e5b")[None, None] * (1 - t[..., None])
           + hex_rgb("#2b5aa8")[None, None] * t[..., None])
    band = fbm(n, n, rng, base=5, octaves=4)
    # lighter ribbons along the big swirl
    streak = np.zeros((n, n))
    for sx, sy, sr, _ in swirls:
        r = np.hypot(xx - sx * n, yy - sy * n)
        streak += np.exp(-((r - sr * 0.8) / (sr * 0.22)) ** 2) * 0.9
    streak += smoothstep(0.62, 0.8, band) * 0.7
    ribbon = np.clip(streak, 0, 1)[..., None]
    sky = sky * (1 - ribbon) + (hex_rgb("#6fa3d8") * 0.6 + hex_rgb("#b9d8e8") * 0.4) * ribbon
    glow = np.zeros((n, n))
    for sx, sy, sr in halos:
        r = np.hypot(xx - sx * n, yy - sy * n)
        glow = np.maximum(glow, np.exp(-((r / (sr * 2.4)) ** 2)))
        core = r < sr
        sky[core] = hex_rgb("#f6e36b") * 0.8 + hex_rgb("#fff8c8") * 0.2
    ring = np.clip(glow, 0, 1)[..., None]
    halo_col = (hex_rgb("#cfd98a") * (1 - ring) + hex_rgb("#fbf3c0") * ring)
    sky = sky * (1 - ring * 0.85) + halo_col * ring * 0.85
    # crescent moon: carve the core with an offset disc
    mx, my, mr = moon
    r1 = np.hypot(xx - mx * n, yy - my * n)
    r2 = np.hypot(xx - mx * n - mr * 0.55, yy - my * n + mr * 0.35)
    moon_core = (r1 < mr) & (r2 > mr * 0.85)
    sky[(r1 < mr) & ~moon_core] = hex_rgb("#c7842c")
    sky[moon_core] = hex_rgb("#f7c63a")

    # hills in bands of blue and green that follow the ridge
    depth = (yy / n - hill[None, :]) * 9 + 1.2 * (band - 0.5)
    hill_pal = palette("#2c4f8c", "#1f3d6b", "#24493f", "#142a45", "#2f5640", "#13233a")
    hills_col = hill_pal[np.clip(depth.astype(int), 0, len(hill_pal) - 1)]
    base = np.where(land[..., None], hills_col, sky)
    dark = palette("#0e1712", "#1d2c1b", "#33401f", "#4a3c22")
    cyp_col = dark[np.clip((band * 5.5 - 1.2 + 0.8 * wob).astype(int), 0, 3)]
    base = np.where(cyp[..., None], cyp_col, base)

    # --- paint -------------------------------------------------------------
    cv = Canvas(blur(base, 4), rng)

    def paint_pass(count, length, width, bristles, jitter, mask=None):
        xs = rng.uniform(0, n, count)
        ys = rng.uniform(0, n, count)
        for x, y in zip(xs, ys):
            iy, ix = int(y), int(x)
            if mask is not None and not mask[iy, ix]:
                continue
            L = length * rng.uniform(0.7, 1.3)
            if cyp[iy, ix]:
                L *= 0.8
            pts = trace_streamline(field, x, y, L)
            c = base[iy, ix] + rng.normal(0, 10, 3)
            cv.stroke(pts, width * rng.uniform(0.8, 1.2), c, bristles=bristles,
                      jitter=jitter, load=0.85)

    paint_pass(2600, 26, 7.0, 5, 24)
    paint_pass(4200, 18, 4.8, 4, 22)
    halo_mask = (glow > 0.05) | cyp | moon_core
    paint_pass(2600, 11, 3.2, 3, 20, mask=halo_mask)
    # a small village at the foot of the hills: walls, roofs, lit windows
    for _ in range(26):
        x = rng.uniform(0.34, 0.96) * n
        y = (hill[int(x)] + rng.uniform(0.07, 0.16)) * n
        w, h = rng.uniform(7, 13), rng.uniform(5, 9)
        if cyp[int(min(y, n - 1)), int(x)]:
            continue
        wall = palette("#2d3f63", "#3a4a5c", "#24324f")[rng.integers(3)]
        for k in range(3):
            yk = y - h * k / 3
            cv.stroke([(x - w / 2, yk), (x + w / 2, yk)], h / 2.6, wall, bristles=3)
        cv.stroke([(x - w / 2 - 1, y - h), (x, y - h - w * 0.45), (x + w / 2 + 1, y - h)],
                  2.4, hex_rgb("#1b2540"), bristles=2)
        for _ in range(rng.integers(1, 3)):
            cv.dab(x + rng.uniform(-w / 3, w / 3), y - h * rng.uniform(0.3, 0.7),
                   rng.uniform(1.0, 1.6), hex_rgb("#f4c84a") + rng.normal(0, 12, 3))
    # church spire
    sx_, sy_ = 0.62 * n, (hill[int(0.62 * n)] + 0.12) * n
    cv.stroke([(sx_, sy_), (sx_, sy_ - 34)], 3.0, hex_rgb("#1a2440"), bristles=2)
    rgb = cv.lit(strength=0.9)
    rgb *= 1 + grain(n * SS, n * SS, rng, 0.6)[..., None]
    return finish(rgb)


# --------------------------------------------------------------------------
# 2. Stained glass rose window
# --------------------------------------------------------------------------


def voronoi(h: int, w: int, seeds: np.ndarray, chunk: int = 32):
    """Nearest-seed label and the gap between the two nearest distances."""
    label = np.empty((h, w), dtype=np.int32)
    gap = np.empty((h, w))
    d1 = np.empty((h, w))
    xs = np.arange(w, dtype=float)
    for y0 in range(0, h, chunk):
        ys = np.arange(y0, min(h, y0 + chunk), dtype=float)
        dx = xs[None, :, None] - seeds[None, None, :, 0]
        dy = ys[:, None, None] - seeds[None, None, :, 1]
        d = np.hypot(dx, dy)
        part = np.argpartition(d, 1, axis=2)[..., :2]
        a = np.take_along_axis(d, part, 2)
        order = np.argsort(a, axis=2)
        a = np.take_along_axis(a, order, 2)
        label[y0 : y0 + len(ys)] = np.take_along_axis(part, order, 2)[..., 0]
        gap[y0 : y0 + len(ys)] = a[..., 1] - a[..., 0]
        d1[y0 : y0 + len(ys)] = a[..., 0]
    return label, gap, d1


def stained_glass() -> Image.Image:
    """A rose window: rings of Voronoi panes in jewel colours, heavy lead
    cames with a metallic sheen, stone tracery, streaky glass lit from behind."""
    rng = np.random.default_rng(1163)
    n = SIZE * SS
    c = n / 2
    yy, xx = np.mgrid[0:n, 0:n].astype(float)
    r = np.hypot(xx - c, yy - c) / n
    th = np.arctan2(yy - c, xx - c)

    # seeds: rings in polar coordinates, plus loose ones in the corners
    seeds = []
    ring_edges = [0.0, 0.06, 0.13, 0.21, 0.30, 0.39, 0.47]
    counts = [1, 8, 16, 16, 32, 40]
    for k, cnt in enumerate(counts):
        r0, r1 = ring_edges[k], ring_edges[k + 1]
        for j in range(cnt):
            a = (j + 0.5 + rng.uniform(-0.15, 0.15)) / cnt * 2 * math.pi
            rr = rng.uniform(r0 + 0.3 * (r1 - r0), r1 - 0.3 * (r1 - r0)) if k else 0
            seeds.append((c + rr * n * math.cos(a), c + rr * n * math.sin(a)))
    while len(seeds) < 260:
        x, y = rng.uniform(0, n, 2)
        if math.hypot(x - c, y - c) / n > 0.5:
            seeds.append((x, y))
    seeds = np.array(seeds)
    label, gap, d1 = voronoi(n, n, seeds)

    # which ring and which sector each pane belongs to
    sr = np.hypot(seeds[:, 0] - c, seeds[:, 1] - c) / n
    sa = np.arctan2(seeds[:, 1] - c, seeds[:, 0] - c)
    ring_of = np.searchsorted(ring_edges, sr) - 1
    jewels = palette("#b3122e", "#1f3fae", "#0f7a4a", "#e0a21b", "#6b2a8f",
                     "#0f8fb0", "#d9531e", "#2a55d4")
    scheme = [  # palette indices used by each ring, alternating around it
        [3], [0, 1], [1, 3, 1, 4], [2, 0], [5, 1, 7, 4], [0, 3, 6, 3, 0, 1], [1, 5, 4, 7, 2]]
    pane = np.zeros((len(seeds), 3))
    for i in range(len(seeds)):
        k = min(int(ring_of[i]), len(scheme) - 1) if sr[i] <= 0.47 else len(scheme) - 1
        opts = scheme[k]
        cnt = counts[k] if k < len(counts) else 12
        j = int(round((sa[i] % (2 * math.pi)) / (2 * math.pi) * cnt))
        pane[i] = jewels[opts[j % len(opts)]] * rng.uniform(0.8, 1.15) + rng.normal(0, 10, 3)
    rgb = pane[label]

    # glass: streaks, mottling and light falling off towards the lead
    streak_dir = fbm(n, n, rng, base=3, octaves=2) * math.pi
    stripes = np.sin((xx * np.cos(streak_dir) + yy * np.sin(streak_dir)) / 3.0
                     + 6 * fbm(n, n, rng, base=16, octaves=3))
    mottle = fbm(n, n, rng, base=24, octaves=4)
    cell_light = np.clip(1.25 - d1 / (n * 0.06), 0.55, 1.25)
    light = 0.55 + 0.55 * mottle + 0.08 * stripes
    light *= cell_light
    light *= 1.1 - 0.5 * smoothstep(0.35, 0.75, r)  # brighter in the middle
    rgb = rgb * light[..., None]
    # bubbles in the glass
    for _ in range(900):
        x, y = rng.uniform(0, n, 2)
        rad = rng.uniform(1, 3)
        sl = (slice(max(0, int(y - rad)), int(y + rad) + 1),
              slice(max(0, int(x - rad)), int(x + rad) + 1))
        rgb[sl] = rgb[sl] * 1.25 + 20

    # lead cames between panes and along the ring boundaries; stone frame
    lead = smoothstep(7.0, 3.0, gap)
    for e in ring_edges[1:-1]:
        lead = np.maximum(lead, smoothstep(0.006, 0.003, np.abs(r - e)))
    spokes = np.abs(np.sin(th * 8)) * r * n  # 16 radial bars in the outer rings
    lead = np.maximum(lead, smoothstep(6.0, 3.0, spokes) * (r > 0.30) * (r < 0.47))
    dome = np.clip(1 - ((r - 0.487) / 0.017) ** 2, 0, 1)  # profile of the stone ring
    frame = dome > 0
    outside = r > 0.504

    stone = hex_rgb("#7a7266") * (0.8 + 0.4 * fbm(n, n, rng, base=12, octaves=5))[..., None]
    height = blur(lead, 2.5 * SS) * 12.0 + np.sqrt(dome) * 10.0
    shade = shade_relief(height, 1.0)
    lead_col = hex_rgb("#24232a")[None, None] * shade[..., None]
    rgb = rgb * (1 - lead[..., None]) + lead_col * lead[..., None]
    rgb = np.where(frame[..., None], stone * np.clip(shade, 0.35, 1.6)[..., None], rgb)
    # the corners: smaller panes, dimmer, behind a stone lattice
    corner = (outside & ~frame)[..., None]
    rgb = np.where(corner, rgb * 0.75, rgb)
    # a soft glow, as if the sun were behind the glass
    glow = blur(np.clip(rgb - 120, 0, None), 6 * SS)
    rgb = rgb + 0.35 * glow
    rgb *= 1 + 0.5 * grain(n, n, rng, 0.6)[..., None]
    return finish(rgb)


# --------------------------------------------------------------------------
# 3. Cubist shards
# --------------------------------------------------------------------------


def polygon_mask(n: int, pts) -> np.ndarray:
    """Float 0/1 mask of a polygon on an n x n grid (anti-aliased edges)."""
    m = Image.new("L", (n * 2, n * 2), 0)
    ImageDraw.Draw(m).polygon([(x * 2, y * 2) for x, y in pts], fill=255)
    return np.asarray(m.resize((n, n), Image.BOX), dtype=float) / 255.0


def cubist_shards() -> Image.Image:
    """Analytic cubism: the picture plane broken into facets by a web of
    crossing lines, each facet shaded from light to dark across its face in
    ochre, umber, grey and olive, overlaid with translucent shards, blocks of
    short parallel brush marks and hard dark contours."""
    rng = np.random.default_rng(1911)
    n = SIZE * SS
    m = SIZE
    yy, xx = np.mgrid[0:n, 0:n].astype(float) / n
    pal = palette("#c9a465", "#a57a3f", "#6e5230", "#3d2e22", "#8c8a7a",
                  "#b9b39b", "#5f6450", "#d8c9a0", "#2a2521", "#9a6b3b")

    # a web of lines, mostly steep, that cuts the canvas into facets
    lines = []
    for _ in range(17):
        px, py = 0.5 + rng.normal(0, 0.26), 0.5 + rng.normal(0, 0.26)
        ang = rng.choice([math.pi / 2, math.pi / 3, 2 * math.pi / 3, math.pi / 4,
                          3 * math.pi / 4, 0.1]) + rng.normal(0, 0.12)
        lines.append((px, py, math.cos(ang), math.sin(ang)))
    dist = np.stack([(xx - px) * -dy + (yy - py) * dx for px, py, dx, dy in lines])
    code = np.zeros((n, n), dtype=np.int64)
    for k in range(len(lines)):
        code = code * 2 + (dist[k] > 0)
    _, facet = np.unique(code, return_inverse=True)
    facet = facet.reshape(n, n)
    nf = facet.max() + 1
    # per facet: a colour (lighter towards the middle) and the line it is lit from
    centre = np.hypot(xx - 0.5, yy - 0.45)
    area = np.maximum(np.bincount(facet.ravel(), None, nf), 1)
    fcent = np.bincount(facet.ravel(), centre.ravel(), nf) / area
    light_idx = [0, 1, 5, 7, 4, 9]
    dark_idx = [2, 3, 6, 8, 4, 2]
    fcol = np.array([pal[rng.choice(light_idx if (rng.random() > fc * 1.6) else dark_idx)]
                     for fc in fcent])
    fline = rng.integers(0, len(lines), nf)
    fsign = rng.choice([-1.0, 1.0], nf)
    d = np.take_along_axis(dist, fline[facet][None], 0)[0] * fsign[facet]
    g = np.clip(0.5 + d / 0.18, 0, 1)
    rgb = fcol[facet] * (0.45 + 0.8 * g)[..., None]
    rgb *= (0.9 + 0.2 * fbm(n, n, rng, base=8))[..., None]

    # translucent overlapping shards
    for i in range(45):
        cx, cy = 0.5 + rng.normal(0, 0.2), 0.5 + rng.normal(0, 0.22)
        size = rng.uniform(0.05, 0.16)
        ang = rng.choice([math.pi / 2, math.pi / 4, -math.pi / 4]) + rng.normal(0, 0.15)
        k = rng.choice([3, 4])
        stretch = rng.uniform(1.5, 3.5)
        pts = []
        for j in range(k):
            a_ = 2 * math.pi * j / k + rng.uniform(-0.3, 0.3)
            u, v = math.cos(a_) * size * stretch, math.sin(a_) * size
            pts.append(((cx + u * math.cos(ang) - v * math.sin(ang)) * n,
                        (cy + u * math.sin(ang) + v * math.cos(ang)) * n))
        mask = polygon_mask(n, pts)
        ga = rng.uniform(0, 2 * math.pi)
        gg = np.clip(0.5 + ((xx - cx) * math.cos(ga) + (yy - cy) * math.sin(ga)) / (size * 2), 0, 1)
        face = (pal[rng.integers(len(pal))] * (0.5 + 0.8 * gg[..., None]))
        alpha = rng.uniform(0.35, 0.65) * mask[..., None]
        rgb = rgb * (1 - alpha) + face * alpha

    # constructive brush marks: blocks of short parallel strokes.  They are
    # painted in grey and only modulate the lightness, so facet edges stay hard.
    tex = Canvas(np.array([128.0, 128.0, 128.0]), rng)
    for _ in range(1300):
        bx, by = rng.uniform(-10, m, 2)
        ang = rng.choice([math.pi / 4, 3 * math.pi / 4, math.pi / 2 + 0.2, 0.35])
        ang += rng.normal(0, 0.1)
        dx, dy = math.cos(ang), math.sin(ang)
        v = 128 * rng.uniform(0.8, 1.2)
        for j in range(rng.integers(4, 8)):
            ox, oy = bx + j * 3.4 * -dy, by + j * 3.4 * dx
            L = rng.uniform(10, 22)
            pts = [(ox - dx * L / 2, oy - dy * L / 2), (ox + dx * L / 2, oy + dy * L / 2)]
            c = np.full(3, v * rng.uniform(0.93, 1.07))
            tex.stroke(pts, 3.4, c, bristles=4, jitter=9, load=0.6, relief=100)
    grey = tex.rgb()[..., 0] / 128.0
    rgb = rgb * grey[..., None]
    cv = Canvas(rgb, rng)
    cv.set_height(tex.height)

    # hard contours along parts of the web of lines, and a few arcs
    for px, py, dx, dy in lines:
        for _ in range(rng.integers(1, 3)):
            t0 = rng.uniform(-0.8, 0.6)
            t1 = t0 + rng.uniform(0.12, 0.35)
            p0 = ((px + dx * t0) * m, (py + dy * t0) * m)
            p1 = ((px + dx * t1) * m, (py + dy * t1) * m)
            dark = rng.random() < 0.8
            col = hex_rgb("#1e1915") if dark else hex_rgb("#eadcb6")
            cv.stroke([p0, p1], rng.uniform(2.4, 4.0) if dark else 1.8, col, bristles=3,
                      jitter=10, relief=170)
    for (cx, cy, rad, a0, a1) in [(0.47, 0.55, 0.075, 0.3, 5.4), (0.56, 0.78, 0.17, 3.5, 5.8),
                                  (0.34, 0.40, 0.12, -1.2, 1.4), (0.63, 0.30, 0.06, 1.0, 4.2)]:
        t = np.linspace(a0, a1, 60)
        pts = np.stack([cx * m + rad * m * np.cos(t), cy * m + rad * m * np.sin(t)], 1)
        cv.stroke(pts, 2.6, hex_rgb("#1b1612"), bristles=2, jitter=10, relief=170)
    out = cv.lit(strength=0.45)
    out *= 1 + grain(n, n, rng, 0.9)[..., None]
    return finish(out)


# --------------------------------------------------------------------------
# 4. Pointillism
# --------------------------------------------------------------------------


def pointillist_park() -> Image.Image:
    """A Seurat-like riverside afternoon built from tens of thousands of dots of
    pure colour, mixed by the eye: sky, far trees, water with a sail, sunny and
    shaded grass, and a tall tree, with complementary dots in every area."""
    rng = np.random.default_rng(1884)
    m = SIZE
    yy, xx = np.mgrid[0:m, 0:m].astype(float) / m
    noise = fbm(m, m, rng, base=6, octaves=5)

    # --- the underlying picture --------------------------------------------
    sky_t = np.clip(yy / 0.4, 0, 1)[..., None]
    img = hex_rgb("#5f93d0") * (1 - sky_t) + hex_rgb("#efd6c0") * sky_t**2
    clouds = smoothstep(0.55, 0.75, fbm(m, m, rng, base=4, octaves=4) + 0.25 * (0.3 - yy))
    img = img * (1 - clouds[..., None] * 0.8) + hex_rgb("#fbf1e4") * clouds[..., None] * 0.8
    far = 0.36 + 0.03 * np.sin(xx * 9) + 0.04 * (fbm(m, m, rng, base=12, octaves=3) - 0.5)
    far_bank = (yy > far) & (yy < 0.47)
    img[far_bank] = (hex_rgb("#5f7a6a") * (0.8 + 0.4 * noise[far_bank, None]))
    water = (yy >= 0.47)
    shore = 0.66 + 0.10 * xx - 0.06 * np.sin(xx * 4 + 1)
    grass = yy > shore
    wt = np.clip((yy - 0.47) / 0.25, 0, 1)[..., None]
    wcol = hex_rgb("#a9c6dd") * (1 - wt) + hex_rgb("#3f78b5") * wt
    ripples = np.sin(yy * 180 + 6 * noise) > 0.55
    wcol = np.where(ripples[..., None], wcol * 1.18 + 12, wcol)
    img = np.where((water & ~grass)[..., None], wcol, img)
    # reflection of the far trees
    refl = water & (yy < 0.53) & ~grass
    img[refl] = img[refl] * 0.6 + hex_rgb("#4f6d62") * 0.4
    # grass: sunlit with the long shadow of the tree
    shadow = smoothstep(0.04, -0.02, np.abs(yy - (0.80 - 0.35 * (xx - 0.75))) - 0.07) * (xx < 0.95)
    sun_g = hex_rgb("#a9c24e") * (0.85 + 0.3 * noise[..., None])
    shade_g = hex_rgb("#3e6a45") * (0.85 + 0.3 * noise[..., None])
    gcol = sun_g * (1 - shadow[..., None]) + shade_g * shadow[..., None]
    img = np.where(grass[..., None], gcol, img)
    # the tree: trunk and a mass of foliage, right of centre
    trunk = ((np.abs(xx - 0.80 - 0.02 * np.sin(yy * 12)) < 0.018 + 0.01 * yy)
             & (yy > 0.25) & (yy < 0.86))
    canopy = np.zeros((m, m), bool)
    edge = fbm(m, m, rng, base=14, octaves=3)
    for _ in range(14):
        cx, cy = 0.80 + rng.normal(0, 0.08), 0.15 + rng.normal(0, 0.06)
        rad = rng.uniform(0.07, 0.12)
        canopy |= np.hypot(xx - cx, (yy - cy) * 1.2) < rad * (0.7 + 0.6 * edge)
    img[trunk] = hex_rgb("#4a3a2e")
    lit_side = np.clip((0.80 - xx) * 4 + (0.2 - yy) * 3 + noise - 0.5, 0, 1)[canopy, None]
    img[canopy] = hex_rgb("#25493a") * (1 - lit_side) + hex_rgb("#7f9c3a") * lit_side
    # a sail and a sitting figure with a parasol
    sail = (yy < 0.56) & (yy > 0.41) & (np.abs(xx - 0.30) < (yy - 0.41) * 0.45)
    img[sail] = hex_rgb("#fbf4e8")
    hull = (np.abs(yy - 0.565) < 0.008) & (np.abs(xx - 0.30) < 0.07)
    img[hull] = hex_rgb("#7a3b2a")
    figure = np.hypot((xx - 0.42) * 1.6, yy - 0.80) < 0.05
    img[figure & (yy > 0.78)] = hex_rgb("#2d2a3e")
    parasol = (np.hypot(xx - 0.43, yy - 0.74) < 0.07) & (yy < 0.735)
    img[parasol] = hex_rgb("#c0434a")
    img = blur(img, 1.2)

    # --- the dots ----------------------------------------------------------
    pigments = palette(
        "#fbf3df", "#f6d65a", "#f2a33a", "#e0612f", "#c8323a", "#b04f8a", "#6a4fa0",
        "#3d56b3", "#4f8fd8", "#8cc6e8", "#3aa6a0", "#2f7a48", "#7fb04a", "#c4d65a",
        "#2a2f4a", "#8a5a3a")
    lum = img.mean(2)
    cv = Canvas(img * 0.55 + 255 * 0.35, rng)
    count = 62000
    xs = rng.uniform(0, m, count)
    ys = rng.uniform(0, m, count)
    for x, y in zip(xs, ys):
        iy, ix = int(y), int(x)
        target = img[iy, ix] + rng.normal(0, 34, 3)
        if rng.random() < 0.09:  # complementary accent for optical vibration
            target = 255 - img[iy, ix] * 0.8 + (lum[iy, ix] - 128) * 0.9
        k = np.argmin(((pigments - target) ** 2).sum(1))
        rad = rng.uniform(1.5, 2.3) * (1 + 0.25 * y / m)
        cv.dab(x, y, rad, pigments[k] + rng.normal(0, 7, 3), relief=int(rng.uniform(90, 200)))
    out = cv.lit(strength=0.5, soften=0.7)
    out *= 1 + grain(m * SS, m * SS, rng, 0.5)[..., None]
    return finish(out)


# --------------------------------------------------------------------------
# 5. Ink wash (sumi-e)
# --------------------------------------------------------------------------


def tapered_outline(pts: np.ndarray, widths: np.ndarray) -> list[tuple[float, float]]:
    """Polygon around a polyline whose half-width at each vertex is ``widths/2``."""
    nrm = polyline_normals(pts)
    left = pts + nrm * (widths / 2)[:, None]
    right = pts - nrm * (widths / 2)[:, None]
    return [tuple(p) for p in np.concatenate([left, right[::-1]])]


def ink_layer(n: int) -> tuple[Image.Image, ImageDraw.ImageDraw]:
    img = Image.new("L", (n, n), 0)
    return img, ImageDraw.Draw(img)


def wet(layer: np.ndarray, bleed: float, edge: float, paper: np.ndarray) -> np.ndarray:
    """Ink density after soaking into paper: blurred, darker at the wet rim,
    and feathered by the paper's fibres."""
    soft = blur(layer, bleed)
    rim = np.clip(soft - blur(soft, bleed * 4), 0, None)
    out = soft + edge * rim
    return np.clip(out * (0.85 + 0.3 * paper), 0, 1)


def ink_wash() -> Image.Image:
    """Sumi-e: misty mountain ranges in graded washes with wet, bleeding rims,
    textured with dry-brush strokes; bamboo in bold tapered strokes; birds;
    a red seal; all on fibrous rice paper."""
    rng = np.random.default_rng(1420)
    n = SIZE * SS
    yy, xx = np.mgrid[0:n, 0:n].astype(float) / n

    # rice paper: warm off-white, blotchy, with long pale fibres
    fib_img, fib = ink_layer(n)
    for _ in range(2600):
        x, y = rng.uniform(0, n, 2)
        a = rng.uniform(0, 2 * math.pi)
        L = rng.uniform(10, 60) * SS
        bend = rng.normal(0, 0.5)
        t = np.linspace(0, 1, 8)
        px = x + L * t * np.cos(a + bend * t)
        py = y + L * t * np.sin(a + bend * t)
        fib.line(list(zip(px, py)), fill=int(rng.uniform(40, 120)), width=1)
    fibres = blur(np.asarray(fib_img, float) / 255.0, 0.8)
    paper_n = fbm(n, n, rng, base=10, octaves=6)
    paper = (hex_rgb("#efe6d0")[None, None] * (0.94 + 0.1 * paper_n[..., None])
             + 14 * fibres[..., None] - 6)

    density = np.zeros((n, n))

    def add(d: np.ndarray, strength: float) -> None:
        nonlocal density
        density = 1 - (1 - density) * (1 - np.clip(d, 0, 1) * strength)

    # mountain ranges, far (pale) to near (dark), each fading into mist below
    ranges = [(0.40, 0.26, 0.28, 3), (0.56, 0.15, 0.50, 5), (0.74, 0.24, 0.80, 3)]
    for i, (base_y, height, strength, peaks) in enumerate(ranges):
        prof = np.zeros(n)
        xs = np.linspace(0, 1, n)
        for _ in range(peaks):
            c, w = rng.uniform(-0.05, 0.75), rng.uniform(0.05, 0.18)
            prof = np.maximum(prof, rng.uniform(0.4, 1.0) * np.exp(-((xs - c) / w) ** 2))
        prof += 0.06 * (fbm(1, n, rng, base=20, octaves=4)[0] - 0.5)
        ridge = base_y - height * prof
        below = yy - ridge[None, :]
        fine = fbm(n, n, rng, base=40, octaves=3) - 0.5
        body = smoothstep(-0.004, 0.004, below + 0.006 * fine)
        fade = np.exp(-np.clip(below, 0, None) / (0.05 + 0.04 * i))  # mist at the foot
        wash = body * (0.04 + 0.96 * fade) * (0.75 + 0.5 * fbm(n, n, rng, base=6, octaves=4))
        add(wet(wash, 1.5 * SS, 1.8, paper_n), strength)
        # dry-brush texture strokes down the slopes, tapering as the brush lifts
        tex_img, tex = ink_layer(n)
        for _ in range(150 + 70 * i):
            x = rng.uniform(0, 1)
            j = min(n - 1, int(x * n))
            if prof[j] < 0.12:
                continue
            y0 = ridge[j] + 0.004 + rng.uniform(0, 0.10) ** 1.3
            slope = (ridge[min(n - 1, j + 3)] - ridge[max(0, j - 3)]) * n / 6
            a = math.atan2(1.0, float(np.clip(slope, -1.2, 1.2))) + rng.normal(0, 0.15)
            L = rng.uniform(0.03, 0.08) * n
            t = np.linspace(0, 1, 10)
            for b in range(rng.integers(2, 5)):
                ox, oy = (x + rng.normal(0, 0.004)) * n, y0 * n
                aa = a + rng.normal(0, 0.08)
                pts = np.stack([ox + np.cos(aa) * L * t, oy + np.sin(aa) * L * t], 1)
                wid = rng.uniform(1.0, 3.0) * SS * (1 - t) ** 0.8 + 0.5
                tex.polygon(tapered_outline(pts, wid), fill=int(rng.uniform(110, 255)))
        add(wet(np.asarray(tex_img, float) / 255.0 * fade, 0.7 * SS, 0.5, paper_n), strength * 0.8)

    # bamboo: stalks of segments, then leaves, in the right foreground
    bam_img, bam = ink_layer(n)
    leaf_img, leaf = ink_layer(n)
    stalk_specs = [(0.74, 0.05, 0.026), (0.83, -0.03, 0.02), (0.93, 0.08, 0.016)]
    for k, (x0, lean, w) in enumerate(stalk_specs):
        y = 1.05
        while y > 0.05:
            seg = rng.uniform(0.09, 0.14)
            ya, yb = y, y - seg
            xa, xb = (x0 + lean * (1 - ya)) * n, (x0 + lean * (1 - yb)) * n
            pts = np.linspace([xa, ya * n], [xb, yb * n + 4 * SS], 12)
            wid = np.full(12, w * n) * (1 + 0.15 * np.linspace(-1, 1, 12) ** 2)
            bam.polygon(tapered_outline(pts, wid), fill=int(200 + 55 * rng.random()))
            # the node: a short dark stroke across the top of the segment
            nx_, ny_ = xb, yb * n + 3 * SS
            bam.line([(nx_ - w * n * 0.8, ny_ + 2), (nx_ + w * n * 0.8, ny_ - 2)], fill=255,
                     width=int(2.2 * SS))
            y = yb - 0.007
        # leaves hang from a few nodes
        for _ in range(9 - 2 * k):
            ny = rng.uniform(0.08, 0.6)
            nx = (x0 + lean * (1 - ny))
            a = rng.uniform(0.2, 1.3) * rng.choice([-1, 1]) + math.pi / 2 + rng.normal(0, 0.2)
            for _ in range(rng.integers(2, 5)):
                aa = a + rng.normal(0, 0.35)
                L = rng.uniform(0.08, 0.15) * n
                t = np.linspace(0, 1, 16)
                pts = np.stack([nx * n + np.cos(aa) * L * t + 0.1 * L * np.sin(aa) * t**2,
                                ny * n + np.sin(aa) * L * t - 0.1 * L * np.cos(aa) * t**2], 1)
                swell = np.sin(np.pi * np.clip(t * 0.95 + 0.05, 0, 1)) ** 0.7
                wid = L * 0.16 * swell * (1 - t) ** 0.3
                leaf.polygon(tapered_outline(pts, wid + 1), fill=int(rng.uniform(190, 255)))
    stalks = np.asarray(bam_img, float) / 255.0
    # dry, streaky brush along the stalks
    streaks = 0.75 + 0.25 * np.sin(xx * n * 1.3 + 4 * fbm(n, n, rng, base=30, octaves=2))
    add(wet(stalks * streaks, 0.9 * SS, 1.2, paper_n), 0.85)
    add(wet(np.asarray(leaf_img, float) / 255.0, 0.8 * SS, 1.0, paper_n), 0.95)

    # a skein of birds over the far range
    bird_img, bird = ink_layer(n)
    for _ in range(9):
        bx, by = rng.uniform(0.15, 0.55) * n, rng.uniform(0.10, 0.24) * n
        s_ = rng.uniform(4, 8) * SS
        bird.line([(bx - s_, by - s_ * 0.3), (bx - s_ * 0.4, by - s_ * 0.45), (bx, by),
                   (bx + s_ * 0.5, by - s_ * 0.5), (bx + s_, by - s_ * 0.2)],
                  fill=230, width=int(1.6 * SS), joint="curve")
    add(wet(np.asarray(bird_img, float) / 255.0, 0.6 * SS, 0.3, paper_n), 0.9)

    # a fisherman's boat on the misty water
    boat_img, boat = ink_layer(n)
    bx, by = 0.36 * n, 0.86 * n
    t = np.linspace(-1, 1, 20)
    hull = np.stack([bx + t * 0.07 * n, by + (t**2 - 1) * -0.008 * n], 1)
    boat.polygon(tapered_outline(hull, 0.012 * n * (1 - t**2) ** 0.5 + 1), fill=240)
    boat.line([(bx + 0.01 * n, by - 0.005 * n), (bx + 0.013 * n, by - 0.035 * n)], fill=230,
              width=int(3 * SS))
    boat.ellipse([bx + 0.008 * n, by - 0.045 * n, bx + 0.02 * n, by - 0.033 * n], fill=230)
    boat.line([(bx + 0.02 * n, by - 0.03 * n), (bx + 0.09 * n, by - 0.07 * n)], fill=200,
              width=int(1 * SS))
    boat.line([(bx - 0.12 * n, by + 0.012 * n), (bx - 0.03 * n, by + 0.012 * n)], fill=110,
              width=int(1.2 * SS))
    boat.line([(bx + 0.03 * n, by + 0.018 * n), (bx + 0.14 * n, by + 0.018 * n)], fill=90,
              width=int(1.2 * SS))
    # reeds along the near shore, bottom left
    for _ in range(26):
        x0, y0 = rng.uniform(0.0, 0.3) * n, rng.uniform(0.97, 1.02) * n
        L = rng.uniform(0.08, 0.2) * n
        a = -math.pi / 2 + rng.normal(0.15, 0.15)
        t = np.linspace(0, 1, 14)
        pts = np.stack([x0 + np.cos(a) * L * t + 0.15 * L * t**2, y0 + np.sin(a) * L * t], 1)
        boat.polygon(tapered_outline(pts, (2.5 * SS) * (1 - t) + 0.6),
                     fill=int(rng.uniform(150, 250)))
    add(wet(np.asarray(boat_img, float) / 255.0, 0.6 * SS, 0.5, paper_n), 0.9)

    ink = hex_rgb("#17161c")
    rgb = paper * (1 - density[..., None]) + ink * density[..., None]

    # vermilion seal, bottom left, with carved (white) strokes
    seal_img, seal = ink_layer(n)
    sx, sy, ss = 0.06 * n, 0.05 * n, 0.07 * n
    seal.rectangle([sx, sy, sx + ss, sy + ss * 1.25], fill=255)
    for _ in range(7):
        if rng.random() < 0.5:
            yv = sy + rng.uniform(0.15, 0.85) * ss * 1.25
            seal.line([(sx + ss * 0.15, yv), (sx + ss * 0.85, yv)], fill=0, width=int(1.6 * SS))
        else:
            xv = sx + rng.uniform(0.15, 0.85) * ss
            seal.line([(xv, sy + ss * 0.15), (xv, sy + ss * 1.1)], fill=0, width=int(1.6 * SS))
    sealm = np.asarray(seal_img, float) / 255.0 * (0.75 + 0.35 * fbm(n, n, rng, base=40, octaves=2))
    sealm = np.clip(blur(sealm, 0.6 * SS), 0, 1)[..., None]
    rgb = rgb * (1 - sealm) + hex_rgb("#b8322a") * sealm
    return finish(rgb)


# --------------------------------------------------------------------------
# 6. Woodblock wave (ukiyo-e)
# --------------------------------------------------------------------------


def catmull_rom(ctrl, samples: int = 24) -> np.ndarray:
    """A smooth curve through the control points (n, 2)."""
    p = np.asarray(ctrl, dtype=float)
    p = np.concatenate([p[:1], p, p[-1:]])
    out = []
    t = np.linspace(0, 1, samples, endpoint=False)[:, None]
    for i in range(1, len(p) - 2):
        p0, p1, p2, p3 = p[i - 1], p[i], p[i + 1], p[i + 2]
        out.append(0.5 * ((2 * p1) + (-p0 + p2) * t + (2 * p0 - 5 * p1 + 4 * p2 - p3) * t**2
                          + (-p0 + 3 * p1 - 3 * p2 + p3) * t**3))
    out.append(p[-2][None])
    return np.concatenate(out)


def woodblock_wave() -> Image.Image:
    """Ukiyo-e print: a great curling wave in Prussian blue with striated water,
    clawed cream foam and spray, smaller swells, a distant snowy peak, on a
    cream sky with a blue bokashi band and wood-grain printing texture."""
    rng = np.random.default_rng(1831)
    n = SIZE * SS
    yy, xx = np.mgrid[0:n, 0:n].astype(float) / n
    deep, prussian, mid, light = (hex_rgb(c) for c in ("#0f2747", "#1f4774", "#4f78a6", "#9bb8cf"))
    foam, ink = hex_rgb("#fbf8ee"), hex_rgb("#14213a")

    # sky: cream with a graded blue band at the top and a pale pink-grey haze
    sky = hex_rgb("#e0cb9c") * (1 - 0.25 * smoothstep(0.5, 0.9, yy))[..., None]
    band = smoothstep(0.16, 0.0, yy)[..., None]
    sky = sky * (1 - band * 0.85) + hex_rgb("#3d5f8a") * band * 0.85
    clouds = smoothstep(0.6, 0.7, fbm(n, n, rng, base=5, octaves=3) - 0.5 * np.abs(yy - 0.3))
    sky = sky * (1 - 0.25 * clouds[..., None]) + hex_rgb("#c9b48e") * 0.25 * clouds[..., None]
    img = Image.fromarray(np.clip(sky, 0, 255).astype(np.uint8), "RGB")
    d = ImageDraw.Draw(img)
    S = n  # control points are in 0..1 units

    def P(pts):
        return [(x * S, y * S) for x, y in pts]

    # distant mountain with a snow cap
    fuji = [(0.47, 0.74), (0.60, 0.615), (0.635, 0.61), (0.77, 0.74)]
    d.polygon(P(fuji), fill=rgb_tuple(hex_rgb("#5a6f8c")), outline=rgb_tuple(ink))
    cap = [(0.565, 0.645), (0.60, 0.615), (0.635, 0.61), (0.67, 0.645), (0.645, 0.64),
           (0.63, 0.655), (0.61, 0.64), (0.59, 0.655)]
    d.polygon(P(cap), fill=rgb_tuple(foam), outline=rgb_tuple(ink))

    def inward(curve: np.ndarray, region: Image.Image) -> float:
        """+1 if the curve's normals point into ``region``, else -1."""
        nrm = polyline_normals(curve)
        votes = 0
        for j in range(2, len(curve) - 2, max(1, len(curve) // 15)):
            x, y = curve[j] + nrm[j] * 6 * SS
            if 0 <= x < n and 0 <= y < n:
                votes += 1 if region.getpixel((int(x), int(y))) > 0 else -1
        return 1.0 if votes >= 0 else -1.0

    def striate(curve: np.ndarray, region: Image.Image, count: int, gap: float):
        """Lines parallel to ``curve`` inside ``region`` (an L mask)."""
        layer = Image.new("L", (n, n), 0)
        ld = ImageDraw.Draw(layer)
        nrm = polyline_normals(curve) * inward(curve, region)
        for k in range(1, count):
            off = curve + nrm * k * gap * S
            cut0 = int(len(off) * rng.uniform(0.0, 0.3))
            cut1 = int(len(off) * rng.uniform(0.75, 1.0))
            ld.line([tuple(p) for p in off[cut0:cut1]], fill=255, width=int(2.2 * SS),
                    joint="curve")
        return Image.composite(layer, Image.new("L", (n, n), 0), region)

    def claws(curve: np.ndarray, region: Image.Image, t0: float, t1: float, size: float,
              count: int, out: float = 1.0):
        """Finger-like curls of foam along part of ``curve``, reaching out of ``region``."""
        nrm = -polyline_normals(curve) * inward(curve, region) * out
        for i in range(count):
            j = int((t0 + (t1 - t0) * (i + rng.uniform(0.2, 0.8)) / count) * (len(curve) - 1))
            base, nv = curve[j], nrm[j]
            tan = np.array([nv[1], -nv[0]])
            r = size * S * rng.uniform(0.6, 1.2)
            a = np.linspace(0, math.pi * 1.3, 14)
            # a hook: out along the normal, then curling forward
            pts = (base[None] + nv[None] * (np.sin(a)[:, None] * r * 1.2)
                   + tan[None] * ((1 - np.cos(a))[:, None] * r * 0.8))
            wid = r * 0.55 * (1 - a / a[-1]) + 1.5
            poly = tapered_outline(pts, wid)
            d.polygon(poly, fill=rgb_tuple(foam))
            d.line(poly + [poly[0]], fill=rgb_tuple(prussian), width=int(1.2 * SS), joint="curve")

    def wave(ctrl, fill, stripes, gap, claw_span=None, claw_size=0.02, claw_n=0):
        curve = catmull_rom(ctrl) * S
        poly = [tuple(p) for p in curve] + [(curve[-1][0], n * 1.1), (curve[0][0], n * 1.1)]
        d.polygon(poly, fill=rgb_tuple(fill))
        mask = Image.new("L", (n, n), 0)
        ImageDraw.Draw(mask).polygon(poly, fill=255)
        lines = striate(curve, mask, stripes, gap)
        img.paste(Image.new("RGB", (n, n), rgb_tuple(mid)), (0, 0), lines)
        d.line([tuple(p) for p in curve], fill=rgb_tuple(foam), width=int(5 * SS), joint="curve")
        d.line([tuple(p) for p in curve], fill=rgb_tuple(ink), width=int(1.6 * SS), joint="curve")
        if claw_span:
            claws(curve, mask, *claw_span, claw_size, claw_n)

    # back swells, then the middle wave, then the great wave
    wave([(0.35, 0.80), (0.5, 0.74), (0.62, 0.77), (0.78, 0.70), (0.92, 0.73), (1.05, 0.69)],
         prussian, 9, 0.012, (0.55, 0.95), 0.012, 9)
    wave([(0.48, 1.0), (0.6, 0.86), (0.70, 0.80), (0.76, 0.79), (0.82, 0.83), (0.95, 0.92),
          (1.05, 0.95)],
         deep, 8, 0.012, (0.2, 0.55), 0.015, 7)

    outer = catmull_rom([(0.74, 1.02), (0.62, 0.78), (0.53, 0.50), (0.45, 0.28), (0.34, 0.15),
                         (0.23, 0.15), (0.15, 0.23), (0.15, 0.33), (0.20, 0.36)])
    inner = catmull_rom([(0.20, 0.36), (0.25, 0.30), (0.31, 0.30), (0.355, 0.37), (0.35, 0.50),
                         (0.28, 0.68), (0.14, 0.86), (-0.05, 1.02)])
    body = np.concatenate([outer, inner]) * S
    poly = [tuple(p) for p in body] + [(-0.05 * S, 1.1 * S), (0.74 * S, 1.1 * S)]
    d.polygon(poly, fill=rgb_tuple(prussian))
    mask = Image.new("L", (n, n), 0)
    ImageDraw.Draw(mask).polygon(poly, fill=255)
    oc, ic = outer * S, inner * S
    # dark water in the hollow under the curl, lighter stripes following the back
    img.paste(Image.new("RGB", (n, n), rgb_tuple(deep)), (0, 0), striate(ic, mask, 14, 0.011))
    img.paste(Image.new("RGB", (n, n), rgb_tuple(mid)), (0, 0), striate(oc, mask, 24, 0.010))
    img.paste(Image.new("RGB", (n, n), rgb_tuple(light)), (0, 0), striate(oc, mask, 6, 0.006))
    # foam: a broad cream band along the crest and the curl, then the claws
    nrm = polyline_normals(oc) * inward(oc, mask)
    j0 = int(len(oc) * 0.45)
    depth = 0.035 * S * np.sin(np.linspace(0.15, 1.0, len(oc) - j0) * math.pi / 2)[:, None]
    band_in = oc[j0:] + nrm[j0:] * depth
    d.polygon([tuple(p) for p in oc[j0:]] + [tuple(p) for p in band_in[::-1]], fill=rgb_tuple(foam))
    d.line([tuple(p) for p in band_in], fill=rgb_tuple(ink), width=int(1.4 * SS), joint="curve")
    d.line([tuple(p) for p in oc], fill=rgb_tuple(ink), width=int(2 * SS), joint="curve")
    d.line([tuple(p) for p in ic], fill=rgb_tuple(ink), width=int(2 * SS), joint="curve")
    claws(oc, mask, 0.42, 0.97, 0.05, 11)
    claws(oc, mask, 0.55, 0.97, 0.03, 9)
    claws(ic, mask, 0.0, 0.12, 0.03, 4)
    # spray: foam dots flung from the crest and drifting over the sky
    for _ in range(300):
        j = rng.integers(int(len(oc) * 0.4), len(oc))
        base = oc[j] - nrm[j] * (0.03 + abs(rng.normal(0, 0.05))) * S
        base += rng.normal(0, 0.02 * S, 2)
        r = rng.uniform(1.2, 3.6) * SS
        d.ellipse([base[0] - r, base[1] - r, base[0] + r, base[1] + r], fill=rgb_tuple(foam))
    for _ in range(90):
        x, y = rng.uniform(0.3, 1.0) * S, rng.uniform(0.12, 0.6) * S
        r = rng.uniform(1.0, 2.6) * SS
        d.ellipse([x - r, y - r, x + r, y + r], fill=rgb_tuple(foam))

    # printing: wood grain, uneven ink take-up and paper fibre
    rgb = np.asarray(img, dtype=float)
    grainw = np.sin(yy * n * 0.35 + 12 * fbm(n, n, rng, base=3, octaves=3)) * 0.5 + 0.5
    rgb *= (0.96 + 0.04 * grainw + 0.08 * (fbm(n, n, rng, base=20, octaves=4) - 0.5))[..., None]
    rgb *= 1 + grain(n, n, rng, 0.7)[..., None]
    return finish(rgb)


# --------------------------------------------------------------------------
# 7. Abstract expressionism: palette knife and splatter
# --------------------------------------------------------------------------


def knife_stroke(rgb: np.ndarray, height: np.ndarray, rng: np.random.Generator,
                 x: float, y: float, angle: float, length: float, width: float,
                 c1: np.ndarray, c2: np.ndarray, mix: float = 0.1) -> None:
    """Drag a palette knife loaded with two unmixed colours across ``rgb``.

    Paint is laid thickest at the start and runs out towards the end, where
    it breaks up and lets the layer below show; ridges build up along the
    edges and in a lip where the knife lifts.  Works in place, in pixels.
    """
    n = rgb.shape[0]
    ca, sa = math.cos(angle), math.sin(angle)
    ext = length + width
    x0, x1 = int(max(0, x - ext)), int(min(n, x + ext))
    y0, y1 = int(max(0, y - ext)), int(min(n, y + ext))
    if x1 <= x0 or y1 <= y0:
        return
    py, px = np.mgrid[y0:y1, x0:x1].astype(float)
    u = (px - x) * ca + (py - y) * sa  # along the stroke
    v = -(px - x) * sa + (py - y) * ca  # across it
    # streaks across the knife: 1-D noise in v, barely changing along u.
    # Broad bands decide where each colour lies, fine ones score the paint.
    k = int(width) + 8

    def bands(sigma: float) -> np.ndarray:
        b = smooth1d(rng.standard_normal(2 * k + 1), sigma)
        return (b - b.mean()) / (b.std() + 1e-9)

    vi = np.clip((v + k).astype(int), 0, 2 * k)
    broad = bands(max(2.0, width / 7))[vi] + 0.3 * np.sin(u / 9.0)
    streak = bands(1.2)[vi]
    # a slightly ragged outline, narrowing as the paint runs out
    edge = smooth1d(rng.standard_normal(int(length) + 2 * k), 2.0)
    edge_noise = edge[np.clip(u.astype(int) + k, 0, len(edge) - 1)]
    half = width / 2 * (1 - 0.25 * np.clip(u / length, 0, 1)) + 2.0 * edge_noise
    inside = (np.abs(v) < half) & (u > 0) & (u < length)
    t = np.clip(u / length, 0, 1)
    coverage = (0.75 + 0.25 * streak + 0.2 * broad) - smoothstep(0.6, 1.0, t) * 1.2 > 0
    paint = inside & coverage
    if not paint.any():
        return
    m = smoothstep(-mix, mix, broad)[..., None]
    col = (c1 * (1 - m) + c2 * m) * (1 + 0.06 * streak[..., None])
    region = rgb[y0:y1, x0:x1]
    soft = np.clip((half - np.abs(v)) / 2.0, 0, 1)[..., None] * paint[..., None]
    region[:] = region * (1 - soft) + col * soft
    # relief: ridges at the edges, a lip at the end, streak texture in between
    ridge = np.exp(-((np.abs(v) - half) / 2.5) ** 2) * 1.6
    lip = np.exp(-((t - 0.8) / 0.08) ** 2) * 1.2
    h = 1.0 + ridge + lip + 0.25 * streak
    hreg = height[y0:y1, x0:x1]
    hreg[paint] = hreg[paint] * 0.3 + h[paint]


def abstract_impasto() -> Image.Image:
    """Abstract expressionism: thick palette-knife slabs of red, blue, yellow,
    black and white with raised ridges, overrun by looping enamel drips and
    splatters in the manner of action painting."""
    rng = np.random.default_rng(1950)
    n = SIZE * SS
    colours = palette("#d7261e", "#1d3fa6", "#f2c318", "#111111", "#f4f0e6",
                      "#e86a1c", "#2a8a57", "#7a1a2a", "#5fa4d8")
    weights = np.array([0.2, 0.18, 0.18, 0.12, 0.16, 0.05, 0.04, 0.04, 0.03])
    weights /= weights.sum()
    rgb = np.empty((n, n, 3))
    rgb[:] = hex_rgb("#ebe4d4")
    height = np.zeros((n, n))

    def pick():
        return colours[rng.choice(len(colours), p=weights)]

    # three rounds of knife work: big slabs, then medium, then small accents
    # (the big slabs are spread on a jittered 8 x 8 grid so they cover the canvas)
    for count, (lo, hi), (wlo, whi) in [(64, (220, 420), (90, 160)),
                                        (110, (100, 240), (40, 80)),
                                        (120, (40, 110), (16, 36))]:
        for i in range(count):
            if count == 64:
                x, y = ((i % 8 + rng.uniform(0, 1)) / 8 * n, (i // 8 + rng.uniform(0, 1)) / 8 * n)
            else:
                x, y = rng.uniform(-0.05, 1.05, 2) * n
            ang = rng.normal(0, 0.5) + rng.choice([0, math.pi / 2, math.pi, -0.4])
            c1 = pick()
            if rng.random() < 0.35:
                c2 = pick()
            else:  # a darker or paler tint of the same colour
                c2 = c1 * rng.uniform(0.6, 0.85) + 255 * rng.uniform(0, 0.3)
            knife_stroke(rgb, height, rng, x, y, ang, rng.uniform(lo, hi),
                         rng.uniform(wlo, whi), c1 + rng.normal(0, 6, 3), c2)

    cv = Canvas(rgb, rng)
    relief = np.clip(height / height.max() * 200, 0, 255).astype(np.uint8)
    cv.set_height(Image.fromarray(relief, "L"))
    m = SIZE
    # looping drips: a wandering line whose width swells and thins
    drip_cols = [hex_rgb("#0d0d0d")] * 4 + [hex_rgb("#f7f4ea")] * 3 + [
        hex_rgb("#f2c318"), hex_rgb("#d7261e"), hex_rgb("#1d3fa6")]
    for i in range(34):
        col = drip_cols[i % len(drip_cols)]
        x, y = rng.uniform(0, m, 2)
        a = rng.uniform(0, 2 * math.pi)
        turn = rng.normal(0, 0.05)
        pts = [(x, y)]
        for _ in range(rng.integers(80, 260)):
            turn = 0.9 * turn + rng.normal(0, 0.07)
            a += turn
            x += 2.2 * math.cos(a)
            y += 2.2 * math.sin(a)
            pts.append((x, y))
        pts = np.array(pts)
        widths = np.clip(1.2 + 1.6 * smooth1d(rng.standard_normal(len(pts)), 6) * 3, 0.5, 4.5)
        for j in range(0, len(pts) - 3, 3):
            cv.stroke(pts[j : j + 4], float(widths[j]), col, relief=230)
    # splatters: clusters of droplets flung from a point, some elongated
    for i in range(26):
        col = drip_cols[rng.integers(len(drip_cols))]
        cx, cy = rng.uniform(0, m, 2)
        cv.dab(cx, cy, rng.uniform(2, 6), col, relief=230)
        for _ in range(rng.integers(15, 60)):
            a = rng.uniform(0, 2 * math.pi)
            dist = abs(rng.normal(0, 18))
            r = max(0.5, rng.uniform(0.6, 2.8) * (1 - dist / 60))
            x, y = cx + math.cos(a) * dist, cy + math.sin(a) * dist
            if rng.random() < 0.25:
                tail = (x + math.cos(a) * r * 3, y + math.sin(a) * r * 3)
                cv.stroke([(x, y), tail], r * 1.2, col, relief=220)
            else:
                cv.dab(x, y, r, col, relief=220)
    out = cv.lit(strength=1.3, soften=0.8)
    out *= 1 + grain(n, n, rng, 0.5)[..., None]
    return finish(out)


# --------------------------------------------------------------------------
# Driver
# --------------------------------------------------------------------------

STYLES = {
    "starry_swirls": starry_swirls,
    "stained_glass": stained_glass,
    "cubist_shards": cubist_shards,
    "pointillist_park": pointillist_park,
    "ink_wash": ink_wash,
    "woodblock_wave": woodblock_wave,
    "abstract_impasto": abstract_impasto,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="styles to draw (default: all)")
    parser.add_argument("--list", action="store_true", help="list the style names")
    parser.add_argument("--out", type=Path, default=OUT_DIR, help="output folder")
    args = parser.parse_args(argv)
    if args.list:
        print("\n".join(STYLES))
        return 0
    unknown = [n for n in args.names if n not in STYLES]
    if unknown:
        parser.error(f"unknown style(s) {unknown}; choose from {list(STYLES)}")
    args.out.mkdir(parents=True, exist_ok=True)
    for name in args.names or list(STYLES):
        t0 = time.perf_counter()
        img = STYLES[name]()
        path = args.out / f"{name}.jpg"
        img.save(path, quality=JPEG_QUALITY, optimize=True)
        print(f"{path}  {path.stat().st_size // 1024} KB  {time.perf_counter() - t0:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
