"""Draw every design's artwork with Pillow: `python card_designs/_source/generate.py [slug ...]`.

Reproducible: no randomness except a seeded generator per design. Artwork is drawn at 300 DPI
for the card plus 3 mm bleed on every side; coordinates below are in mm from the trim's
top-left corner, so the bleed is at negative coordinates and beyond the card's size.
"""

from __future__ import annotations

import itertools
import math
import random
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from PIL import Image, ImageChops, ImageDraw, ImageFilter

DPI = 300
BLEED = 3.0
SUPERSAMPLE = 2
HERE = Path(__file__).resolve().parent
DESIGNS = HERE.parent

RGB = tuple[int, int, int]
Point = tuple[float, float]


def hex_rgb(value: str) -> RGB:
    """'#aabbcc' -> (170, 187, 204)."""
    value = value.lstrip("#")
    return (int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16))


def mix(a: RGB, b: RGB, t: float) -> RGB:
    """Linear mix of two colours."""
    return (
        round(a[0] + (b[0] - a[0]) * t),
        round(a[1] + (b[1] - a[1]) * t),
        round(a[2] + (b[2] - a[2]) * t),
    )


class Canvas:
    """An RGB image of the card plus bleed, addressed in trim millimetres."""

    def __init__(self, width_mm: float, height_mm: float) -> None:
        self.width_mm = width_mm
        self.height_mm = height_mm
        self.size = (
            math.ceil((width_mm + 2 * BLEED) * DPI / 25.4),
            math.ceil((height_mm + 2 * BLEED) * DPI / 25.4),
        )
        self.image = Image.new("RGB", self.size, (255, 255, 255))

    def scale(self, mm: float, factor: float = 1) -> float:
        """Millimetres to pixels (times a supersampling factor)."""
        return mm * DPI / 25.4 * factor

    def gradient(self, stops: Sequence[tuple[float, str]], vertical: bool = True) -> None:
        """Fill with a multi-stop gradient (positions 0..1 across the whole image)."""
        n = 512
        colours = []
        for i in range(n):
            t = i / (n - 1)
            for (p0, c0), (p1, c1) in itertools.pairwise(stops):
                if p0 <= t <= p1:
                    colours.append(mix(hex_rgb(c0), hex_rgb(c1), (t - p0) / max(p1 - p0, 1e-9)))
                    break
            else:
                colours.append(hex_rgb(stops[-1][1] if t > stops[-1][0] else stops[0][1]))
        strip = Image.new("RGB", (1, n) if vertical else (n, 1))
        strip.putdata(colours)
        self.image = strip.resize(self.size, Image.Resampling.BILINEAR)

    def glow(self, centre: Point, radius_mm: float, colour: str, strength: float = 1.0) -> None:
        """A soft round light, strongest at the centre."""
        r = self.scale(radius_mm)
        # radial_gradient is 0 at the centre and 181 at the middle of each edge (255 at the
        # corners): map distance 0..181 to a soft falloff that reaches 0 inside the square.
        mask = Image.radial_gradient("L").point(
            lambda v: round(255 * strength * max(0.0, 1 - v / 181) ** 2)
        )
        mask = mask.resize((round(2 * r), round(2 * r)), Image.Resampling.BICUBIC)
        layer = Image.new("L", self.size, 0)
        x, y = self.to_px(centre)
        layer.paste(mask, (round(x - r), round(y - r)))
        self.image.paste(hex_rgb(colour), (0, 0), layer)

    def to_px(self, point: Point, factor: float = 1) -> Point:
        """Trim mm (x, y) to pixel coordinates in the image (times a factor)."""
        return (self.scale(point[0] + BLEED, factor), self.scale(point[1] + BLEED, factor))

    def fill(
        self,
        draw: Callable[
            [ImageDraw.ImageDraw, Callable[[Point], Point], Callable[[float], float]], None
        ],
        colour: str,
        opacity: float = 1.0,
        blur_mm: float = 0.0,
    ) -> None:
        """Draw shapes into an antialiased (supersampled) mask and paint `colour` through it."""
        big = Image.new("L", (self.size[0] * SUPERSAMPLE, self.size[1] * SUPERSAMPLE), 0)
        pen = ImageDraw.Draw(big)
        draw(pen, lambda p: self.to_px(p, SUPERSAMPLE), lambda mm: self.scale(mm, SUPERSAMPLE))
        mask = big.resize(self.size, Image.Resampling.BOX)
        if blur_mm:
            mask = mask.filter(ImageFilter.GaussianBlur(self.scale(blur_mm)))
        if opacity < 1:
            mask = mask.point(lambda v: round(v * opacity))
        self.image.paste(hex_rgb(colour), (0, 0), mask)

    def paper(self, amount: float = 0.035, seed: int = 1) -> None:
        """A faint, soft paper grain so that large flat areas do not look digital."""
        small = (self.size[0] // 3, self.size[1] // 3)
        noise = random.Random(seed).randbytes(small[0] * small[1])
        grain = Image.frombytes("L", small, noise).point(lambda v: 160 + v * 95 // 255)
        grain = grain.resize(self.size, Image.Resampling.BICUBIC).convert("RGB")
        self.image = Image.blend(self.image, ImageChops.multiply(self.image, grain), amount)

    def save(self, path: Path) -> None:
        """High-quality JPEG at 300 DPI."""
        self.image.save(
            path,
            "JPEG",
            quality=90,
            optimize=True,
            subsampling=0,
            dpi=(DPI, DPI),
            progressive=False,
        )


# --- shapes (all in mm) -------------------------------------------------------------------------


def rotate(points: Sequence[Point], centre: Point, degrees: float) -> list[Point]:
    """Rotate points about a centre (degrees, clockwise on screen)."""
    a = math.radians(degrees)
    cx, cy = centre
    return [
        (
            cx + (x - cx) * math.cos(a) - (y - cy) * math.sin(a),
            cy + (x - cx) * math.sin(a) + (y - cy) * math.cos(a),
        )
        for x, y in points
    ]


def leaf(
    base: Point, length: float, width: float, degrees: float, fullness: float = 0.9
) -> list[Point]:
    """A pointed leaf from `base` towards `degrees` (0 = right, -90 = up)."""
    n = 28
    upper = []
    lower = []
    for i in range(n + 1):
        t = i / n
        half = width / 2 * math.sin(math.pi * t) ** fullness * (1 - 0.25 * t)
        upper.append((base[0] + t * length, base[1] - half))
        lower.append((base[0] + t * length, base[1] + half))
    return rotate(upper + lower[::-1], base, degrees)


def ellipse(centre: Point, rx: float, ry: float, degrees: float = 0) -> list[Point]:
    """An ellipse as a polygon, rotated."""
    pts = [
        (
            centre[0] + rx * math.cos(2 * math.pi * i / 72),
            centre[1] + ry * math.sin(2 * math.pi * i / 72),
        )
        for i in range(72)
    ]
    return rotate(pts, centre, degrees)


def heart(centre: Point, size: float, degrees: float = 0) -> list[Point]:
    """The classic heart curve, `size` mm wide."""
    k = size / 34
    pts = []
    for i in range(120):
        t = 2 * math.pi * i / 120
        x = 16 * math.sin(t) ** 3
        y = 13 * math.cos(t) - 5 * math.cos(2 * t) - 2 * math.cos(3 * t) - math.cos(4 * t)
        pts.append((centre[0] + x * k, centre[1] - y * k))
    return rotate(pts, centre, degrees)


def bezier(p0: Point, p1: Point, p2: Point, n: int = 40) -> list[Point]:
    """A quadratic Bezier curve as points."""
    out = []
    for i in range(n + 1):
        t = i / n
        out.append(
            (
                (1 - t) ** 2 * p0[0] + 2 * (1 - t) * t * p1[0] + t**2 * p2[0],
                (1 - t) ** 2 * p0[1] + 2 * (1 - t) * t * p1[1] + t**2 * p2[1],
            )
        )
    return out


def polygons(*shapes: list[Point]) -> Callable:
    """A fill() drawer for polygons."""

    def draw(pen: ImageDraw.ImageDraw, p: Callable, s: Callable) -> None:
        for shape in shapes:
            pen.polygon([p(q) for q in shape], fill=255)

    return draw


def strokes(lines: Sequence[tuple[list[Point], float]]) -> Callable:
    """A fill() drawer for polylines of given widths (mm)."""

    def draw(pen: ImageDraw.ImageDraw, p: Callable, s: Callable) -> None:
        for points, width in lines:
            pen.line([p(q) for q in points], fill=255, width=max(1, round(s(width))), joint="curve")
            r = s(width) / 2
            for end in (points[0], points[-1]):
                x, y = p(end)
                pen.ellipse((x - r, y - r, x + r, y + r), fill=255)

    return draw


def circles(items: Sequence[tuple[Point, float]]) -> Callable:
    """A fill() drawer for discs (centre, radius in mm)."""

    def draw(pen: ImageDraw.ImageDraw, p: Callable, s: Callable) -> None:
        for centre, radius in items:
            x, y = p(centre)
            r = s(radius)
            pen.ellipse((x - r, y - r, x + r, y + r), fill=255)

    return draw


# --- designs -------------------------------------------------------------------------------------


def tulips() -> Canvas:
    """Three tulips on the left, a warm ivory page on the right."""
    c = Canvas(148, 105)
    c.gradient([(0, "#fbf1e4"), (0.6, "#fdf6ec"), (1, "#f6e2cf")], vertical=False)
    c.glow((20, 20), 60, "#f9dcc4", 0.55)
    stems = [
        ((16, 110), (20, 70), (14, 34)),
        ((28, 110), (26, 72), (33, 46)),
        ((40, 110), (46, 80), (45, 28)),
    ]
    c.fill(strokes([(bezier(*s), 1.6) for s in stems]), "#6f8f5e")
    c.fill(
        polygons(
            leaf((17, 104), 46, 11, -112),
            leaf((28, 106), 40, 10, -70),
            leaf((40, 108), 44, 12, -100),
            leaf((44, 108), 30, 9, -50),
        ),
        "#86a56f",
    )
    c.fill(
        polygons(leaf((17, 104), 44, 3, -112, 1.2), leaf((40, 108), 42, 3, -100, 1.2)),
        "#a3bd89",
        0.7,
    )
    heads = [
        ((14, 34), "#e07a67", "#c95f52"),
        ((33, 46), "#e8a15f", "#d4823f"),
        ((45, 28), "#d9738a", "#bf5670"),
    ]
    for (x, y), light, dark in heads:
        c.fill(polygons(leaf((x, y + 2), 16, 11, -112), leaf((x, y + 2), 16, 11, -68)), dark)
        c.fill(polygons(leaf((x, y + 3), 17, 10.5, -90, 0.7)), light)
        c.fill(polygons(leaf((x - 1, y + 1), 11, 3.2, -96, 1.0)), "#ffffff", 0.25)
    c.paper(seed=11)
    return c


def birds() -> Canvas:
    """Two small birds on a blossoming branch under a soft morning sky."""
    c = Canvas(148, 105)
    c.gradient([(0, "#e6eef0"), (0.45, "#f6f1e8"), (1, "#fbf3e6")])
    c.glow((150, -6), 55, "#fde9cf", 0.8)
    branch = bezier((-4, 44), (30, 30), (84, 12))
    twig = bezier((44, 27), (54, 33), (62, 31))
    c.fill(
        strokes([(branch, 2.2), (twig, 1.1), (bezier((14, 38), (20, 44), (18, 50)), 1.0)]),
        "#7a5a48",
    )
    leaves = [
        leaf((x, y), 9, 4, a)
        for x, y, a in [
            (6, 41, 150),
            (22, 34, -60),
            (36, 28, 40),
            (56, 31, 70),
            (62, 31, 20),
            (76, 15, -40),
            (18, 50, 110),
        ]
    ]
    c.fill(polygons(*leaves), "#8fae7c")
    blossoms = [(30, 31), (60, 32), (82, 13), (8, 41), (18, 50)]
    for x, y in blossoms:
        petals = [
            ellipse((x + 2.0 * math.cos(k * 1.2566), y + 2.0 * math.sin(k * 1.2566)), 1.9, 1.9)
            for k in range(5)
        ]
        c.fill(polygons(*petals), "#f3c1c4")
        c.fill(circles([((x, y), 0.9)]), "#e59a6b")

    # Bird one: terracotta, facing right.
    def bird(x: float, y: float, body: str, wing: str, facing: int) -> None:
        c.fill(polygons(ellipse((x, y), 8.5, 6.2, -10 * facing)), body)
        c.fill(polygons(ellipse((x + 6 * facing, y - 5), 4.4, 4.2)), body)
        c.fill(polygons(leaf((x - 6 * facing, y - 1), 9, 4, 160 if facing > 0 else 20)), wing)
        c.fill(
            polygons(leaf((x - 3 * facing, y - 1.5), 11, 5.5, 170 if facing > 0 else 10, 0.7)), wing
        )
        c.fill(polygons(ellipse((x + 1 * facing, y + 2.2), 5.5, 3.2, 0)), "#f6dcc2", 0.9)
        beak = [
            (x + 10 * facing, y - 5.6),
            (x + 13.2 * facing, y - 4.6),
            (x + 10 * facing, y - 3.8),
        ]
        c.fill(polygons(beak), "#e3a24f")
        c.fill(circles([((x + 7.4 * facing, y - 5.8), 0.75)]), "#3b2a22")
        c.fill(
            strokes(
                [
                    ([(x - 1, y + 5.5), (x - 1.5, y + 8)], 0.5),
                    ([(x + 2, y + 5.5), (x + 2, y + 8)], 0.5),
                ]
            ),
            "#7a5a48",
        )

    bird(34, 21.5, "#d98a62", "#b8694a", 1)
    bird(63, 11.5, "#7f9bb0", "#5e7d94", -1)
    c.paper(seed=12)
    return c


def sunrise() -> Canvas:
    """The sun rising over soft hills; a pale sky for the words."""
    c = Canvas(148, 105)
    c.gradient([(0, "#fdf7ee"), (0.45, "#fcefdc"), (0.72, "#f9d9b4"), (1, "#f4c59a")])
    c.glow((74, 84), 70, "#fbe0b8", 0.9)
    c.fill(circles([((74, 86), 15)]), "#f6b26b", 1.0)
    c.fill(circles([((74, 86), 13)]), "#f9c47f")
    rays = []
    for k in range(11):
        a = math.radians(-180 + 18 * k)
        rays.append(
            [
                (74 + 18 * math.cos(a - 0.03), 86 + 18 * math.sin(a - 0.03)),
                (74 + 32 * math.cos(a), 86 + 32 * math.sin(a)),
                (74 + 18 * math.cos(a + 0.03), 86 + 18 * math.sin(a + 0.03)),
            ]
        )
    c.fill(polygons(*rays), "#f6b26b", 0.35, blur_mm=0.4)

    def hill(points: list[Point]) -> list[Point]:
        return [*points, (152, 110), (-4, 110)]

    c.fill(
        polygons(
            hill(bezier((-4, 88), (40, 70), (90, 90)) + bezier((90, 90), (125, 80), (152, 86)))
        ),
        "#c9c79a",
    )
    c.fill(
        polygons(
            hill(bezier((-4, 96), (50, 84), (100, 96)) + bezier((100, 96), (130, 90), (152, 93)))
        ),
        "#a3b184",
    )
    c.fill(polygons(hill(bezier((-4, 103), (70, 93), (152, 101)))), "#7f9870")
    birds = []
    for x, y, s in [(28, 57, 3.2), (35, 52, 2.4), (20, 53, 2.0)]:
        birds.append((bezier((x - s, y - s * 0.3), (x - s * 0.5, y - s * 0.8), (x, y)), 0.35))
        birds.append((bezier((x, y), (x + s * 0.5, y - s * 0.8), (x + s, y - s * 0.3)), 0.35))
    c.fill(strokes(birds), "#8c6b5a", 0.8)
    c.paper(seed=13)
    return c


def hearts() -> Canvas:
    """Soft hearts scattered round the edges, a clear blush centre."""
    c = Canvas(148, 105)
    c.gradient([(0, "#fdf0ec"), (0.5, "#fef6f1"), (1, "#fbe9e4")])
    rng = random.Random(14)
    colours = ["#e8a0a4", "#f0b7a4", "#d98c96", "#f4c9b8", "#e6b26e"]
    inner = (16, 12, 132, 90)  # keep hearts out of this rectangle (the text)
    placed: list[tuple[float, float, float]] = []
    tries = 0
    while len(placed) < 34 and tries < 5000:
        tries += 1
        x, y = rng.uniform(-2, 150), rng.uniform(-2, 107)
        size = rng.uniform(4, 11)
        if (
            inner[0] - size / 2 < x < inner[2] + size / 2
            and inner[1] - size / 2 < y < inner[3] + size / 2
        ):
            continue
        if any(
            (x - px) ** 2 + (y - py) ** 2 < ((size + ps) / 2 + 1.5) ** 2 for px, py, ps in placed
        ):
            continue
        placed.append((x, y, size))
    for i, (x, y, size) in enumerate(placed):
        blur = 0.6 if i % 5 == 0 else 0
        c.fill(
            polygons(heart((x, y), size, rng.uniform(-25, 25))),
            colours[i % len(colours)],
            0.85,
            blur,
        )
    c.paper(seed=14)
    return c


def window() -> Canvas:
    """A window with warm light falling into a quiet room."""
    c = Canvas(148, 105)
    c.gradient([(0, "#f3e6d6"), (0.35, "#faf2e7"), (1, "#fbf5ec")], vertical=False)
    wx, wy, ww, wh = 10, 16, 40, 64
    # Light falling from the window across the wall.
    beam = [(wx + ww, wy + 8), (wx + ww + 58, wy + 30), (wx + ww + 58, 108), (wx + ww, wy + wh)]
    c.fill(polygons(beam), "#fde7c2", 0.55, blur_mm=3)
    arch = [
        (
            wx + ww / 2 + ww / 2 * math.cos(math.pi + math.pi * i / 40),
            wy + 20 + 20 * math.sin(math.pi + math.pi * i / 40),
        )
        for i in range(41)
    ]
    glass = [*arch, (wx + ww, wy + wh), (wx, wy + wh)]
    c.fill(polygons(ellipse((wx + ww / 2, wy + 30), 30, 40)), "#fce4bf", 0.5, blur_mm=4)
    c.fill(polygons(glass), "#f9cf94")
    sky = Image.new("RGB", c.size)
    # A sky inside the window: pale blue at the top to gold at the sill.
    strip = Image.new("RGB", (1, 256))
    strip.putdata(
        [mix(hex_rgb("#cfe0e6"), hex_rgb("#fbd49a"), (i / 255) ** 0.8) for i in range(256)]
    )
    top, bottom = c.to_px((0, wy))[1], c.to_px((0, wy + wh))[1]
    sky.paste(strip.resize((c.size[0], round(bottom - top))), (0, round(top)))
    mask = Image.new("L", (c.size[0] * SUPERSAMPLE, c.size[1] * SUPERSAMPLE))
    ImageDraw.Draw(mask).polygon([c.to_px(q, SUPERSAMPLE) for q in glass], fill=255)
    c.image.paste(sky, (0, 0), mask.resize(c.size, Image.Resampling.BOX))
    c.glow((wx + ww * 0.62, wy + wh * 0.62), 14, "#fff4d8", 1.0)
    hill = bezier((wx, wy + wh - 6), (wx + 18, wy + wh - 16), (wx + ww, wy + wh - 8))
    c.fill(polygons([*hill, (wx + ww, wy + wh), (wx, wy + wh)]), "#b9c49a", 0.9)
    frame = "#a98467"
    bars = [
        (arch, 1.8),
        ([(wx, wy + 20), (wx, wy + wh)], 1.8),
        ([(wx + ww, wy + 20), (wx + ww, wy + wh)], 1.8),
        ([(wx + ww / 2, wy), (wx + ww / 2, wy + wh)], 1.3),
        ([(wx, wy + 38), (wx + ww, wy + 38)], 1.3),
    ]
    c.fill(strokes(bars), frame)
    c.fill(
        polygons(
            [
                (wx - 4, wy + wh),
                (wx + ww + 4, wy + wh),
                (wx + ww + 5, wy + wh + 3),
                (wx - 5, wy + wh + 3),
            ]
        ),
        "#c9a788",
    )
    # A small plant on the sill.
    px, py = wx + 30, wy + wh
    c.fill(polygons([(px - 4, py - 7), (px + 4, py - 7), (px + 3, py), (px - 3, py)]), "#d08a62")
    c.fill(
        polygons(*[leaf((px, py - 7), 8, 3.4, a) for a in (-150, -120, -90, -60, -30)]), "#7d9e6a"
    )
    c.paper(seed=15)
    return c


def plain() -> Canvas:
    """Ivory paper, a fine double rule and a small sprig: quiet and elegant."""
    c = Canvas(148, 105)
    c.gradient([(0, "#fbf7ef"), (1, "#f7f0e3")])
    gold = "#b99a5f"

    def frame(inset: float, width: float) -> list[tuple[list[Point], float]]:
        x0, y0, x1, y1 = inset, inset, 148 - inset, 105 - inset
        return [([(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)], width)]

    c.fill(strokes(frame(7, 0.5) + frame(8.6, 0.25)), gold)
    sprig = bezier((62, 15.5), (74, 12.5), (86, 15.5))
    c.fill(strokes([(sprig, 0.45)]), gold)
    c.fill(
        polygons(
            *[
                leaf(sprig[i], 4.2, 1.8, a)
                for i, a in [(6, -130), (12, -60), (20, -120), (28, -55), (34, -125)]
            ]
        ),
        "#a9b08a",
    )
    c.fill(circles([((74, 13.7), 1.1)]), "#d99a8a")
    c.paper(amount=0.03, seed=16)
    return c


def meadow() -> Canvas:
    """Portrait: a strip of wildflowers and grasses along the bottom."""
    c = Canvas(105, 148)
    c.gradient([(0, "#fdf8ef"), (0.55, "#fbf3e5"), (0.85, "#eef0d8"), (1, "#dfe6c4")])
    rng = random.Random(17)
    grass = []
    for _ in range(70):
        x = rng.uniform(-3, 108)
        top = rng.uniform(112, 130)
        lean = rng.uniform(-8, 8)
        grass.append(
            (
                bezier((x, 152), (x + lean * 0.2, (top + 152) / 2), (x + lean, top)),
                rng.uniform(0.35, 0.7),
            )
        )
    c.fill(strokes(grass), "#9fb27f")
    stems = []
    flowers = []
    for i in range(14):
        x = 4 + i * 7.3 + rng.uniform(-2, 2)
        top = rng.uniform(110, 126)
        lean = rng.uniform(-4, 4)
        stems.append((bezier((x, 152), (x, (top + 152) / 2), (x + lean, top)), 0.6))
        flowers.append((x + lean, top, i % 4))
    c.fill(strokes(stems), "#7f9a68")
    for x, y, kind in flowers:
        if kind == 0:  # daisy
            petals = [leaf((x, y), 4.2, 1.6, k * 30) for k in range(12)]
            c.fill(polygons(*petals), "#ffffff")
            c.fill(polygons(*petals), "#e9dcc8", 0.25)
            c.fill(circles([((x, y), 1.3)]), "#e9b949")
        elif kind == 1:  # cornflower
            petals = [leaf((x, y), 3.8, 2.2, k * 45 + 10) for k in range(8)]
            c.fill(polygons(*petals), "#6f8fc9")
            c.fill(circles([((x, y), 0.9)]), "#4b5f99")
        elif kind == 2:  # buttercup
            petals = [
                ellipse((x + 1.4 * math.cos(k * 1.2566), y + 1.4 * math.sin(k * 1.2566)), 1.5, 1.5)
                for k in range(5)
            ]
            c.fill(polygons(*petals), "#f2c14e")
            c.fill(circles([((x, y), 0.6)]), "#d99a2b")
        else:  # clover-pink bloom
            blob = [
                ellipse((x + rng.uniform(-1, 1), y + rng.uniform(-1.5, 1.5)), 1.0, 1.0)
                for _ in range(10)
            ]
            c.fill(polygons(*blob), "#e39bb0")
    c.paper(seed=17)
    return c


def dandelion() -> Canvas:
    """A dandelion clock whose seeds drift away: wishes and hope."""
    c = Canvas(148, 105)
    c.gradient([(0, "#eef1ee"), (0.5, "#f8f5ee"), (1, "#fbf4e8")], vertical=False)
    c.glow((22, 70), 40, "#fbead0", 0.6)
    cx, cy = 24, 60
    c.fill(strokes([(bezier((cx + 2, 110), (cx + 6, 85), (cx, cy)), 0.9)]), "#8aa27a")
    c.fill(polygons(leaf((cx + 3, 108), 22, 5, -120), leaf((cx + 4, 108), 18, 4.5, -70)), "#9db58a")
    rng = random.Random(18)

    def seed(x: float, y: float, angle: float, length: float) -> tuple[list, list]:
        a = math.radians(angle)
        tip = (x + length * math.cos(a), y + length * math.sin(a))
        lines = [([(x, y), tip], 0.18)]
        for k in range(-4, 5):
            b = a + k * 0.22
            lines.append(([tip, (tip[0] + 2.6 * math.cos(b), tip[1] + 2.6 * math.sin(b))], 0.12))
        return lines, [((x, y), 0.35)]

    clock_lines, clock_dots = [], []
    for k in range(46):
        ang = k * 360 / 46 + rng.uniform(-3, 3)
        if 30 < ang % 360 < 80:
            continue  # a gap where seeds have already flown
        lines, dots = seed(cx, cy, ang, 9)
        clock_lines += lines
        clock_dots += dots
    c.fill(strokes(clock_lines), "#ffffff", 0.95)
    c.fill(strokes(clock_lines), "#b9b1a2", 0.55)
    c.fill(circles([((cx, cy), 2.2)]), "#c9b48c")
    flying_lines, flying_dots = [], []
    for x, y, a in [
        (42, 44, -60),
        (55, 34, -75),
        (66, 22, -50),
        (80, 14, -70),
        (96, 8, -40),
        (118, 6, -65),
        (35, 30, -80),
    ]:
        lines, dots = seed(x, y, a, 5)
        flying_lines += lines
        flying_dots += dots
    c.fill(strokes(flying_lines), "#a99f8e", 0.8)
    c.fill(circles(flying_dots), "#8c7b62")
    c.paper(seed=18)
    return c


ARTWORK: dict[str, Callable[[], Canvas]] = {
    "tulips": tulips,
    "birds": birds,
    "sunrise": sunrise,
    "hearts": hearts,
    "window": window,
    "plain": plain,
    "meadow": meadow,
    "dandelion": dandelion,
}


def main(slugs: Sequence[str]) -> None:
    """Rewrite the artwork of the named designs (all when none are named)."""
    for slug in slugs or ARTWORK:
        canvas = ARTWORK[slug]()
        target = DESIGNS / slug / "artwork.jpg"
        target.parent.mkdir(exist_ok=True)
        canvas.save(target)
        print(
            f"{target.relative_to(DESIGNS.parent)}: {canvas.size[0]} x {canvas.size[1]} px, "
            f"{target.stat().st_size // 1024} KiB"
        )


if __name__ == "__main__":
    main(sys.argv[1:])
