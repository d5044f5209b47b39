"""Loading and validating the card designs."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PIL import Image, ImageStat

from cardsapp.render.designs import DESIGNS_DIR, Design, DesignError, designs, load_designs
from cardsapp.render.fonts import FONT_SPECS


def test_every_shipped_design_loads() -> None:
    loaded = load_designs(DESIGNS_DIR)
    assert len(loaded) >= 8
    assert any(d.orientation == "portrait" for d in loaded.values())
    for design in loaded.values():
        assert isinstance(design, Design)
        assert design.font in FONT_SPECS
        assert all(design.title(lang).strip() for lang in ("en", "be", "ru"))
        assert design.artwork.stat().st_size < 1_500_000


def test_the_cached_accessor_loads_once_and_accepts_another_directory(tmp_path: Path) -> None:
    assert designs() == designs()
    shutil.copytree(DESIGNS_DIR / "plain", tmp_path / "plain")
    assert list(designs(tmp_path)) == ["plain"]


def _luminance(rgb: tuple[float, ...]) -> float:
    def channel(c: float) -> float:
        c /= 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


@pytest.mark.parametrize("slug", list(load_designs(DESIGNS_DIR)))
def test_the_text_box_is_light_and_plain_enough_for_the_text_colour(slug: str) -> None:
    design = designs()[slug]
    with Image.open(design.artwork) as image:
        image.draft("RGB", (image.width // 4, image.height // 4))
        image = image.convert("RGB")
    px = image.width / (design.width_mm + 2 * design.bleed_mm)
    for box in (design.text_box, design.signature_box):
        area = image.crop(
            tuple(round((v + design.bleed_mm) * px) for v in (box.x, box.y, box.right, box.bottom))
        )
        stat = ImageStat.Stat(area)
        darkest = area.convert("L").getextrema()[0]
        text = tuple(int(design.colour[i : i + 2], 16) for i in (1, 3, 5))
        contrast = (_luminance(stat.mean) + 0.05) / (_luminance(text) + 0.05)
        assert contrast >= 7, f"{slug}: contrast {contrast:.1f} in {box}"
        assert darkest >= 150, f"{slug}: dark artwork inside {box}"


def _copy(tmp_path: Path, slug: str = "plain") -> Path:
    shutil.copytree(DESIGNS_DIR / slug, tmp_path / slug)
    return tmp_path / slug / "design.toml"


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        ('font = "noto-sans-italic"', 'font = "comic-sans"', "unknown font 'comic-sans'"),
        ('colour = "#3b3128"', 'colour = "brown"', "bad colour 'brown'"),
        ("size_mm = [148, 105]", "size_mm = [148]", "bad size_mm"),
        ("size_mm = [148, 105]", "size_mm = [148, 1000]", "bad size_mm 1000"),
        ("text_box = { x = 16,", "text_box = { x = 100,", "text_box (100, 21, 116 x 60 mm)"),
        ('artwork = "artwork.jpg"', 'artwork = "missing.jpg"', "artwork 'missing.jpg' not found"),
        ('font = "noto-sans-italic"\n', "", "missing key(s): font"),
        ("size_pt = [8.5, 15]", "size_pt = [15, 8.5]", "min 15 is larger than max 8.5"),
        ('be = "Класічная"\n', "", "title.be is missing"),
        ("line_spacing = 1.3", "line_spacing = 1.3\nshadow = true", "unknown key(s): shadow"),
        ("order = 8", "order = [", "not valid TOML"),
    ],
)
def test_a_broken_design_toml_fails_naming_the_file_and_the_problem(
    tmp_path: Path, old: str, new: str, problem: str
) -> None:
    path = _copy(tmp_path)
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")
    with pytest.raises(DesignError) as caught:
        load_designs(tmp_path)
    assert str(path) in str(caught.value)
    assert problem in str(caught.value)


def test_artwork_below_300_dpi_is_refused(tmp_path: Path) -> None:
    path = _copy(tmp_path)
    artwork = path.parent / "artwork.jpg"
    with Image.open(artwork) as image:
        image.resize((image.width // 2, image.height // 2)).save(artwork)
    with pytest.raises(DesignError, match=r"150 DPI .* at least 300 DPI") as caught:
        load_designs(tmp_path)
    assert str(path) in str(caught.value)


def test_artwork_of_the_wrong_shape_is_refused(tmp_path: Path) -> None:
    path = _copy(tmp_path)
    artwork = path.parent / "artwork.jpg"
    with Image.open(artwork) as image:
        image.resize((image.width, image.width)).save(artwork)
    with pytest.raises(DesignError, match="not the shape of the card"):
        load_designs(tmp_path)


def test_a_folder_without_design_toml_is_named(tmp_path: Path) -> None:
    (tmp_path / "empty-design").mkdir()
    with pytest.raises(DesignError, match=r"empty-design/design.toml: file not found"):
        load_designs(tmp_path)
