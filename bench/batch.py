"""Batch benchmark: `python bench/batch.py [--cards 1000] [--big 10000] [--runs 5]`.

Builds a real batch (claim, cards PDF, packing list) through the same service the worker
calls, on a throwaway SQLite database, and in the same run:
- puts the same cards, pre-composed as 300 DPI JPEGs by the preview renderer, into a PDF with
  img2pdf (a byte copy: the floor for raster cards; composing them is not timed);
- alternates the two `--runs` times and compares their medians, and the median of each
  build's time over the img2pdf run next to it, so that other load on the machine weighs on
  both alike;
- measures peak memory of the build in fresh processes for `--cards` and `--big` cards.

The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SENTENCES = (
    "Дарагая мама, мы думаем пра вас кожны дзень і вельмі чакаем добрых навін. ",
    "Дорогая мама, спасибо вам за силу, терпение и любовь, которые вы дарите всем вокруг. ",
    "Dear mum, you are not alone: many people remember you and wait with you. ",
    "Няхай кожная раніца прыносіць крыху цяпла, святла і спакою ў ваш дом. ",
    "Желаю вам здоровья, терпения и добрых новостей. Обнимаю. ",
)
PER_CARD_BYTES = 3 * 1024
DPI = 300


def message(n: int) -> str:
    """A synthetic message of 80 to 400 characters, mixing the three languages."""
    length = 80 + (n * 37) % 320
    text, i = "", n
    while len(text) < length:
        text += SENTENCES[i % len(SENTENCES)]
        i += 1
    return text[:length].rstrip() + f" {n}."


def make_app(folder: Path):  # type: ignore[no-untyped-def]
    """An app on a SQLite file in `folder`, with its own private Redis."""
    from cardsapp import create_app
    from cardsapp.config import config_for_tests

    return create_app(config_for_tests(f"sqlite:///{folder / 'bench.sqlite3'}", None, folder))


def prepare(folder: Path, cards: int) -> int:
    """Schema, a campaign with recipients and `cards` approved cards; claim a batch."""
    from sqlalchemy import create_engine, insert

    from cardsapp.extensions import db
    from cardsapp.models import Campaign, Card, CardStatus, utcnow
    from cardsapp.render.designs import designs
    from cardsapp.schema import upgrade_schema
    from cardsapp.services.batches import create_batch
    from cardsapp.services.recipients import add_recipient
    from tests.factories import ensure_campaign_key, fake_address

    folder.mkdir(parents=True, exist_ok=True)
    engine = create_engine(f"sqlite:///{folder / 'bench.sqlite3'}")
    upgrade_schema(engine)
    engine.dispose()
    app = make_app(folder)
    slugs = sorted(designs(app.extensions["cardsapp.config"].designs_dir))
    with app.app_context():
        now = utcnow()
        campaign = Campaign(
            slug="bench",
            title={"en": "Bench"},
            opens_at=now,
            closes_at=now,
            designs=slugs,
            cap_per_batch=cards,
            cap_per_campaign=cards,
        )
        db.session.add(campaign)
        db.session.flush()
        ensure_campaign_key(db.session, campaign)
        for n in range(1, 101):
            add_recipient(db.session, campaign, f"Bench {n}", fake_address(n))
        for start in range(0, cards, 5000):
            db.session.execute(
                insert(Card),
                [
                    {
                        "reference": f"B{n:09d}",
                        "campaign_id": campaign.id,
                        "design_slug": slugs[n % len(slugs)],
                        "message": message(n),
                        "signature": "Алеся" if n % 2 else "Sam",
                        "status": CardStatus.APPROVED,
                        "flags": [],
                        "submitted_at": now,
                    }
                    for n in range(start, min(cards, start + 5000))
                ],
            )
        db.session.commit()
        db.session.rollback()
        batch = create_batch(db.session, campaign.id, cards)
        batch_id = batch.id
        db.session.commit()
    return batch_id


def build(folder: Path, batch_id: int) -> tuple[float, dict[str, int]]:
    """Build the batch (cards PDF and packing list); seconds and file sizes."""
    from sqlalchemy import select, update

    from cardsapp.extensions import db
    from cardsapp.models import Batch, BatchStatus, Card
    from cardsapp.render.designs import designs
    from cardsapp.render.fonts import preload_fonts, register_reportlab_fonts
    from cardsapp.services.batches import batch_files, build_batch

    app = make_app(folder)
    config = app.extensions["cardsapp.config"]
    available = designs(config.designs_dir)
    preload_fonts()
    register_reportlab_fonts()  # what the worker does once at start, not per batch
    try:  # also once at start (trees from before the card code's contrast have none)
        from cardsapp.render.card_code import warm_backgrounds
    except ImportError:
        pass
    else:
        warm_backgrounds(available)
    with app.app_context():
        db.session.execute(
            update(Batch).where(Batch.id == batch_id).values(status=BatchStatus.BUILDING)
        )
        db.session.commit()
        start = time.perf_counter()
        batch = build_batch(db.session, batch_id, config.data_dir, available)
        db.session.commit()
        seconds = time.perf_counter() - start
        sizes = stored_sizes(db.session, batch_id)
        if not sizes:  # a tree from before batch files were kept in the database
            files = batch_files(config.data_dir, batch)
            sizes = {name: path.stat().st_size for name, path in files.items()}
        used = db.session.scalars(
            select(Card.design_slug).where(Card.batch_id == batch_id).distinct()
        )
        sizes["artwork"] = sum(available[slug].artwork.stat().st_size for slug in used)
    return seconds, sizes


def stored_sizes(session, batch_id: int) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """The sizes of the batch's files kept in the database, by kind (none on older trees)."""
    try:
        from cardsapp.models import BatchFile
    except ImportError:
        return {}
    from sqlalchemy import func, select

    rows = session.execute(
        select(BatchFile.kind, func.sum(func.length(BatchFile.data)))
        .where(BatchFile.batch_id == batch_id)
        .group_by(BatchFile.kind)
    )
    return {kind: int(size) for kind, size in rows}


def _compose(job: tuple[str, str, str, str]) -> None:
    """One print-ready card as a JPEG: the artwork with its bleed at its native 300+ DPI, the
    text drawn by the preview renderer from the same layout, saved at print quality."""
    from PIL import Image

    from cardsapp.render.card import layout_card
    from cardsapp.render.designs import designs
    from cardsapp.render.preview import draw_layout

    slug, text, signature, path = job
    design = designs()[slug]
    with Image.open(design.artwork) as source:
        full = source.convert("RGB")
    px_per_mm = full.width / (design.width_mm + 2 * design.bleed_mm)
    left = top = round(design.bleed_mm * px_per_mm)
    box = (
        left,
        top,
        left + round(design.width_mm * px_per_mm),
        top + round(design.height_mm * px_per_mm),
    )
    trim = full.crop(box)
    draw_layout(trim, design, layout_card(design, text, signature))
    full.paste(trim, box[:2])
    full.save(path, "JPEG", quality=95, subsampling=0, dpi=(DPI, DPI))


def compose_jpegs(folder: Path, cards: int) -> list[str]:
    """The same cards as print JPEGs, composed in parallel (untimed); their paths."""
    from cardsapp.render.designs import designs

    available = designs()
    slugs = sorted(available)
    images = folder / "jpeg"
    images.mkdir(exist_ok=True)
    jobs = []
    for n in range(cards):
        signature = "Алеся" if n % 2 else "Sam"
        jobs.append((slugs[n % len(slugs)], message(n), signature, str(images / f"{n:05d}.jpg")))
    with multiprocessing.get_context("spawn").Pool(os.cpu_count() or 2) as pool:
        pool.map(_compose, jobs, chunksize=16)
    return [job[3] for job in jobs]


def img2pdf_seconds(folder: Path, paths: list[str]) -> tuple[float, int]:
    """Time img2pdf putting the JPEGs into a PDF; seconds and the PDF's size."""
    import img2pdf

    target = folder / "img2pdf.pdf"
    start = time.perf_counter()
    with target.open("wb") as handle:
        img2pdf.convert(paths, outputstream=handle)
    return time.perf_counter() - start, target.stat().st_size


def peak_rss_mb(cards: int) -> tuple[float, float]:
    """Peak memory of a fresh process building a batch of `cards` (setup done beforehand)."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        batch_id = prepare(folder, cards)
        done = subprocess.run(
            [sys.executable, __file__, "--child", str(folder), str(batch_id)],
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
        )
        child = json.loads(done.stdout.strip().splitlines()[-1])
        return child["rss_mb"], child["seconds"]


def child(folder: str, batch_id: str) -> None:
    """Run one build and report its peak memory (used by peak_rss_mb)."""
    seconds, _ = build(Path(folder), int(batch_id))
    print(json.dumps({"seconds": seconds, "rss_mb": _peak_rss_kb() / 1024}))


def _peak_rss_kb() -> int:
    """This process's peak resident memory in KB.

    VmHWM belongs to the process image, so unlike ru_maxrss it does not carry over the
    parent's high-water mark through fork and exec.
    """
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def main() -> None:
    """Run the benchmark and print the figures; the last line is JSON."""
    parser = argparse.ArgumentParser(prog="python bench/batch.py")
    parser.add_argument("--cards", type=int, default=1000)
    parser.add_argument("--big", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        batch_id = prepare(folder, args.cards)
        jpegs = compose_jpegs(folder, args.cards)
        builds, bases = [], []
        for _ in range(args.runs):
            seconds, sizes = build(folder, batch_id)
            builds.append(seconds)
            base, raster_bytes = img2pdf_seconds(folder, jpegs)
            bases.append(base)
        seconds, base = statistics.median(builds), statistics.median(bases)
        ratio = statistics.median(b / i for b, i in zip(builds, bases, strict=True))
        print(
            f"batch of {args.cards} cards (cards PDF + packing list): median {seconds:.3f} s"
            f" ({', '.join(f'{b:.3f}' for b in builds)})"
        )
        print(f"  cards PDF {sizes['cards'] / 1e6:.2f} MB, packing {sizes['packing'] / 1e3:.0f} KB")
        print(
            f"img2pdf, same cards as print JPEGs: median {base:.3f} s"
            f" ({', '.join(f'{i:.3f}' for i in bases)}), {raster_bytes / 1e6:.0f} MB"
        )
        print(f"build / img2pdf, run by run: median {ratio:.3f}")

    rss_small, _ = peak_rss_mb(args.cards)
    rss_big, seconds_big = peak_rss_mb(args.big)
    print(f"peak memory: {rss_small:.0f} MB ({args.cards} cards), {rss_big:.0f} MB ({args.big})")
    limit = sizes["artwork"] + PER_CARD_BYTES * args.cards
    result = {
        "cards": args.cards,
        "seconds": round(seconds, 4),
        "img2pdf_seconds": round(base, 4),
        "ratio_vs_img2pdf": round(ratio, 4),
        "ratio_of_medians": round(seconds / base, 4),
        "ratio_limit": 0.25,
        "runs": args.runs,
        "pdf_bytes": sizes["cards"],
        "pdf_bytes_limit": limit,
        "packing_bytes": sizes["packing"],
        "img2pdf_bytes": raster_bytes,
        "big_cards": args.big,
        "big_seconds": round(seconds_big, 3),
        "rss_mb_small": round(rss_small, 1),
        "rss_mb_big": round(rss_big, 1),
        "rss_ratio_10k_vs_1k": round(rss_big / rss_small, 3),
        "rss_ratio_limit": 1.5,
        "ok": ratio <= 0.25 and sizes["cards"] <= limit and rss_big / rss_small <= 1.5,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
