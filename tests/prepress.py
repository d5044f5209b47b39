"""Prepress checks shared by the tests and bench/print_check.py.

- `ink_margins_mm`: how near each sheet edge anything prints, measured on the page as
  poppler's pdftoppm rasterises it (not from our own arithmetic).
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from PIL import Image, ImageOps

PDFTOPPM = shutil.which("pdftoppm") or "/usr/bin/pdftoppm"  # poppler-utils
MM_PER_INCH = 25.4
INK_BELOW = 250  # a grey level darker than this is ink (paper is 255)


def rasterise(pdf: bytes, dpi: int = 300, gray: bool = True) -> list[Image.Image]:
    """Every page of `pdf` as a Pillow image at `dpi`."""
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "in.pdf"
        source.write_bytes(pdf)
        mode = ["-gray"] if gray else []
        # Netpbm, not PNG: encoding a 300 dpi PNG takes fifty times as long as drawing it.
        subprocess.run(
            [PDFTOPPM, "-r", str(dpi), *mode, str(source), str(Path(tmp) / "page")],
            check=True,
        )
        pages = []
        found = Path(tmp).glob("page*.p[gp]m")
        for path in sorted(found, key=lambda p: int(p.stem.split("-")[-1])):
            with Image.open(path) as image:
                pages.append(image.copy())
        return pages


def ink_margins_mm(pdf: bytes, dpi: int = 300) -> list[tuple[float, float, float, float]]:
    """For each page: the distance in mm from the left, top, right and bottom sheet edges to
    the nearest ink."""
    margins = []
    for page in rasterise(pdf, dpi):
        ink = ImageOps.invert(page.convert("L")).point(lambda v: 255 if v > 255 - INK_BELOW else 0)
        box = ink.getbbox()
        if box is None:
            continue
        left, top, right, bottom = box
        per_mm = dpi / MM_PER_INCH
        margins.append(
            (
                left / per_mm,
                top / per_mm,
                (page.width - right) / per_mm,
                (page.height - bottom) / per_mm,
            )
        )
    return margins


# --- PDF/X-4 ------------------------------------------------------------------------------
# No PDF/X validator installs here: veraPDF (Java) is on neither PyPI nor Debian, Debian has
# nothing that `apt-cache search pdfx` finds, and PyPI's "pdfx" extracts references. So this
# is a check of our own, written from the requirements of ISO 15930-7:2010 (PDF/X-4) that a
# file like ours can break; it reads the file with pikepdf (qpdf), not with our writer.

XMP_NS = {
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "dc": "http://purl.org/dc/elements/1.1/",
    "xmp": "http://ns.adobe.com/xap/1.0/",
    "pdf": "http://ns.adobe.com/pdf/1.3/",
    "xmpMM": "http://ns.adobe.com/xap/1.0/mm/",
    "pdfxid": "http://www.npes.org/pdfx/ns/id/",
}
_DEVICE_OPERATORS = {"rg": "RGB", "RG": "RGB", "k": "CMYK", "K": "CMYK"}


def _xmp_value(root, path: str) -> str | None:
    found = root.find(f".//rdf:Description/{path}", XMP_NS)
    if found is None:
        return None
    return "".join(found.itertext()).strip()


def _pdf_date_as_xmp(value: str) -> str:
    # D:YYYYMMDDHHmmSS+HH'mm' -> YYYY-MM-DDTHH:mm:SS+HH:mm
    v = value.removeprefix("D:")
    zone = v[14:].replace("'", "")
    zone = "Z" if zone in ("Z", "") else f"{zone[:3]}:{zone[3:5]}"
    return f"{v[0:4]}-{v[4:6]}-{v[6:8]}T{v[8:10]}:{v[10:12]}:{v[12:14]}{zone}"


def pdfx_errors(pdf: bytes) -> list[str]:
    """What keeps `pdf` from being PDF/X-4, one sentence each (empty: none found)."""
    import io
    import xml.etree.ElementTree as ElementTree

    import pikepdf

    errors: list[str] = []
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        # 6.1: PDF 1.6 at most, a file identifier, no encryption.
        if doc.pdf_version > "1.6":
            errors.append(f"PDF version {doc.pdf_version} (PDF/X-4 is PDF 1.6)")
        if "/ID" not in doc.trailer:
            errors.append("no file identifier (trailer ID)")
        if doc.is_encrypted:
            errors.append("encrypted")
        # 6.2.2: Info GTS_PDFXVersion, Title, dates, Trapped True or False.
        info = doc.trailer.get("/Info", pikepdf.Dictionary())
        if str(info.get("/GTS_PDFXVersion", "")) != "PDF/X-4":
            errors.append("Info has no GTS_PDFXVersion PDF/X-4")
        for key in ("/Title", "/CreationDate", "/ModDate"):
            if not str(info.get(key, "")):
                errors.append(f"Info has no {key[1:]}")
        if str(info.get("/Trapped", "")) not in ("/True", "/False"):
            errors.append("Info Trapped is neither True nor False")
        # 6.2.2 / XMP: metadata stream with the PDF/X identification, matching Info.
        metadata = doc.Root.get("/Metadata")
        if metadata is None:
            errors.append("no XMP metadata stream in the catalog")
        else:
            root = ElementTree.fromstring(metadata.read_bytes())  # noqa: S314 - our own file
            if _xmp_value(root, "pdfxid:GTS_PDFXVersion") != "PDF/X-4":
                errors.append("XMP has no pdfxid:GTS_PDFXVersion PDF/X-4")
            for path in ("xmpMM:DocumentID", "xmpMM:VersionID", "xmpMM:RenditionClass"):
                if not _xmp_value(root, path):
                    errors.append(f"XMP has no {path}")
            for path, key in (("xmp:CreateDate", "/CreationDate"), ("xmp:ModifyDate", "/ModDate")):
                if _xmp_value(root, path) != _pdf_date_as_xmp(str(info.get(key, ""))):
                    errors.append(f"XMP {path} differs from Info {key[1:]}")
            if _xmp_value(root, "dc:title") != str(info.get("/Title", "")):
                errors.append("XMP dc:title differs from Info Title")
            if _xmp_value(root, "pdf:Trapped") != str(info.get("/Trapped", ""))[1:]:
                errors.append("XMP pdf:Trapped differs from Info Trapped")
        # 6.2.3: exactly one PDF/X output intent with an embedded ICC profile.
        intents = [i for i in doc.Root.get("/OutputIntents", []) if i.get("/S") == "/GTS_PDFX"]
        space = None
        if len(intents) != 1:
            errors.append(f"{len(intents)} GTS_PDFX output intents (one needed)")
        else:
            (intent,) = intents
            if not str(intent.get("/OutputConditionIdentifier", "")):
                errors.append("output intent has no OutputConditionIdentifier")
            profile = intent.get("/DestOutputProfile")
            if profile is None:
                errors.append("output intent has no embedded DestOutputProfile")
            else:
                data = profile.read_bytes()
                space = data[16:20].decode("ascii", "replace").strip()
                channels = {"RGB": 3, "CMYK": 4, "GRAY": 1}.get(space)
                if data[36:40] != b"acsp":
                    errors.append("DestOutputProfile is not an ICC profile")
                elif channels != int(profile.get("/N", 0)):
                    errors.append(f"DestOutputProfile N={profile.get('/N')} for a {space} profile")
                if data[12:16] not in (b"prtr", b"mntr", b"scnr"):
                    errors.append("DestOutputProfile is not an output device profile")
        # 6.2.4: page boxes: a TrimBox (or ArtBox), BleedBox around it, inside the MediaBox.
        for number, page in enumerate(doc.pages, 1):
            media = [float(v) for v in page.MediaBox]
            trim = page.obj.get("/TrimBox") or page.obj.get("/ArtBox")
            if trim is None:
                errors.append(f"page {number}: no TrimBox")
                continue
            trim = [float(v) for v in trim]
            bleed = [float(v) for v in page.obj.get("/BleedBox", page.MediaBox)]
            if not (bleed[0] <= trim[0] and bleed[1] <= trim[1] and bleed[2] >= trim[2]):
                errors.append(f"page {number}: TrimBox outside the BleedBox")
            if not (media[0] <= bleed[0] and media[1] <= bleed[1] and media[2] >= bleed[2]):
                errors.append(f"page {number}: BleedBox outside the MediaBox")
            errors += [f"page {number}: {e}" for e in _content_errors(page.obj, space, set())]
        # 6.3: every font embedded.
        for number, page in enumerate(doc.pages, 1):
            for name, font in page.obj.get("/Resources", {}).get("/Font", {}).items():
                descriptor = font.get("/FontDescriptor")
                if descriptor is None and "/DescendantFonts" in font:
                    descriptor = font.DescendantFonts[0].get("/FontDescriptor")
                if descriptor is None or not any(
                    k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")
                ):
                    errors.append(f"page {number}: font {name} is not embedded")
    return list(dict.fromkeys(errors))


def _content_errors(holder, space: str | None, seen: set) -> list[str]:
    """Device colours that do not match the output intent, in a page or form and its forms."""
    import pikepdf

    errors = []
    for _operands, operator in pikepdf.parse_content_stream(holder):
        used = _DEVICE_OPERATORS.get(str(operator))
        if used and used != space:
            errors.append(f"Device{used} colour with a {space} output intent")
    for name, xobject in holder.get("/Resources", {}).get("/XObject", {}).items():
        key = xobject.objgen
        if key in seen:
            continue
        seen.add(key)
        if xobject.get("/Subtype") == "/Image":
            colour = str(xobject.get("/ColorSpace", ""))
            used = {"/DeviceRGB": "RGB", "/DeviceCMYK": "CMYK"}.get(colour)
            if used and used != space:
                errors.append(f"image {name} is {colour[1:]} with a {space} output intent")
            if "/OPI" in xobject or "/Alternates" in xobject:
                errors.append(f"image {name} has OPI or alternates")
        elif xobject.get("/Subtype") == "/Form":
            errors += _content_errors(xobject, space, seen)
    return errors
