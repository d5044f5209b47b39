"""PDF/X-4 for print shops: output intent with an embedded ICC profile, XMP, Info keys.

sRGB is the default output condition: the artwork and text are sRGB already and a print
shop's RIP converts them. A CMYK profile supplied by the print shop (`cmyk_target`) makes the
file CMYK instead: artwork, text colours and marks are converted through LittleCMS (Pillow's
ImageCms) with relative colorimetric intent and black-point compensation, as prepress does.
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
import uuid
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from xml.sax.saxutils import escape

from PIL import Image, ImageCms
from reportlab.lib.colors import CMYKColor, Color
from reportlab.pdfbase.pdfdoc import PDFArray, PDFDictionary, PDFName, PDFString
from reportlab.pdfgen.canvas import Canvas

from cardsapp.render import reportlab_doc

PDFX_VERSION = "PDF/X-4"
PDF_VERSION = (1, 6)  # PDF/X-4 is based on PDF 1.6
SRGB_CONDITION = "sRGB IEC61966-2.1"
CMYK_JPEG_QUALITY = 92


class ProfileError(ValueError):
    """An ICC profile that cannot serve as a PDF/X output intent."""


@dataclass(frozen=True)
class OutputTarget:
    """The output condition a print-shop file is made for."""

    icc: bytes = b""  # empty: sRGB, made by LittleCMS
    name: str = SRGB_CONDITION

    @property
    def cmyk(self) -> bool:
        """Whether artwork and colours are converted to this CMYK condition."""
        return bool(self.icc)

    def profile_bytes(self) -> bytes:
        """The ICC profile embedded as the output intent."""
        return self.icc or _srgb_bytes()


SRGB = OutputTarget()


@lru_cache(maxsize=1)
def _srgb_bytes() -> bytes:
    return bytes(ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())


def cmyk_target(path: Path) -> OutputTarget:
    """The output condition of a print shop's CMYK ICC profile (e.g. FOGRA39, GRACoL)."""
    data = Path(path).read_bytes()
    try:
        profile = ImageCms.ImageCmsProfile(io.BytesIO(data))
    except (OSError, ImageCms.PyCMSError) as error:
        raise ProfileError(f"{path}: not an ICC profile ({error})") from None
    if profile.profile.xcolor_space.strip() != "CMYK":
        raise ProfileError(f"{path}: a {profile.profile.xcolor_space.strip()} profile, not CMYK")
    name = (profile.profile.profile_description or Path(path).stem).strip()
    return OutputTarget(data, name)


@lru_cache(maxsize=4)
def _transform(icc: bytes, mode: str) -> ImageCms.ImageCmsTransform:
    srgb = ImageCms.createProfile("sRGB")
    target = ImageCms.ImageCmsProfile(io.BytesIO(icc))
    transform = ImageCms.buildTransform(
        srgb,
        target,
        mode,
        "CMYK",
        renderingIntent=ImageCms.Intent.RELATIVE_COLORIMETRIC,
        flags=ImageCms.Flags.BLACKPOINTCOMPENSATION,
    )
    # LittleCMS cannot serialise a profile a transform was built from (Pillow 13 tags each
    # result with it): tag results with a fresh copy of the same profile instead.
    transform.output_profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
    return transform


def convert_colour(colour: Color, target: OutputTarget) -> Color:
    """`colour` (sRGB) in the target's colour space: unchanged for sRGB, else CMYK."""
    if not target.cmyk:
        return colour
    pixel = Image.new("RGB", (1, 1), tuple(round(c * 255) for c in colour.rgb()))
    c, m, y, k = _transform(target.icc, "RGB").apply(pixel).getpixel((0, 0))  # type: ignore[misc]
    return CMYKColor(c / 255, m / 255, y / 255, k / 255)


def convert_artwork(path: Path, target: OutputTarget) -> str:
    """The artwork file to embed: the original for sRGB, else a CMYK JPEG made once."""
    if not target.cmyk:
        return str(path)
    return _cmyk_artwork(path, path.stat().st_mtime_ns, target.icc)


@lru_cache(maxsize=16)
def _cmyk_artwork(path: Path, _mtime: int, icc: bytes) -> str:
    digest = hashlib.sha256(icc + str(path).encode() + str(_mtime).encode()).hexdigest()[:16]
    out = Path(tempfile.gettempdir()) / f"cardsapp-cmyk-{digest}.jpg"
    if not out.is_file():
        with Image.open(path) as image:
            cmyk = _transform(icc, "RGB").apply(image.convert("RGB"))
            dpi = image.info.get("dpi", (300, 300))
        # A name of its own, then renamed: two workers converting at once never mix files.
        handle, name = tempfile.mkstemp(dir=out.parent, prefix=".cardsapp-cmyk-", suffix=".jpg")
        os.close(handle)
        cmyk.save(name, "JPEG", quality=CMYK_JPEG_QUALITY, dpi=dpi)
        os.replace(name, out)
    return str(out)


def _xmp(title: str, producer: str, creator: str, date: str, document_id: str) -> bytes:
    return f"""<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about=""
    xmlns:dc="http://purl.org/dc/elements/1.1/"
    xmlns:xmp="http://ns.adobe.com/xap/1.0/"
    xmlns:pdf="http://ns.adobe.com/pdf/1.3/"
    xmlns:xmpMM="http://ns.adobe.com/xap/1.0/mm/"
    xmlns:pdfxid="http://www.npes.org/pdfx/ns/id/">
   <dc:format>application/pdf</dc:format>
   <dc:title><rdf:Alt><rdf:li xml:lang="x-default">{escape(title)}</rdf:li></rdf:Alt></dc:title>
   <dc:creator><rdf:Seq><rdf:li>{escape(creator)}</rdf:li></rdf:Seq></dc:creator>
   <xmp:CreateDate>{date}</xmp:CreateDate>
   <xmp:ModifyDate>{date}</xmp:ModifyDate>
   <xmp:MetadataDate>{date}</xmp:MetadataDate>
   <xmp:CreatorTool>{escape(creator)}</xmp:CreatorTool>
   <pdf:Producer>{escape(producer)}</pdf:Producer>
   <pdf:Trapped>False</pdf:Trapped>
   <xmpMM:DocumentID>uuid:{document_id}</xmpMM:DocumentID>
   <xmpMM:InstanceID>uuid:{document_id}</xmpMM:InstanceID>
   <xmpMM:VersionID>1</xmpMM:VersionID>
   <xmpMM:RenditionClass>default</xmpMM:RenditionClass>
   <pdfxid:GTS_PDFXVersion>{PDFX_VERSION}</pdfxid:GTS_PDFXVersion>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>""".encode()


def mark_pdfx(canvas: Canvas, target: OutputTarget) -> None:
    """Make the canvas's file PDF/X-4: call before saving, after setting the title."""
    canvas.setAuthor("cardsapp")
    canvas.setCreator("cardsapp")
    fields = reportlab_doc.info_fields(canvas)
    (year, month, day, hour, minute, second), tz_h, tz_m = reportlab_doc.time_stamp(canvas)
    sign = "-" if tz_h < 0 else "+"
    date = (
        f"{year:04d}-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}:{second:02d}"
        f"{sign}{abs(tz_h):02d}:{abs(tz_m):02d}"
    )
    document_id = uuid.uuid5(uuid.NAMESPACE_URL, f"cardsapp:{fields['Title']}:{date}")
    xmp = _xmp(fields["Title"], fields["Producer"], fields["Author"], date, str(document_id))
    kind = {"Type": PDFName("Metadata"), "Subtype": PDFName("XML")}
    metadata = reportlab_doc.stream(kind, xmp, compress=False)
    reportlab_doc.add_catalog_entry(canvas, "Metadata", reportlab_doc.reference(canvas, metadata))
    profile = target.profile_bytes()
    channels = 4 if target.cmyk else 3
    icc = reportlab_doc.stream({"N": channels}, profile)
    intent = {
        "Type": PDFName("OutputIntent"),
        "S": PDFName("GTS_PDFX"),
        "OutputConditionIdentifier": PDFString(target.name),
        "OutputCondition": PDFString(target.name),
        "RegistryName": PDFString("http://www.color.org"),
        "Info": PDFString(target.name),
        "DestOutputProfile": reportlab_doc.reference(canvas, icc),
    }
    reportlab_doc.add_catalog_entry(canvas, "OutputIntents", PDFArray([PDFDictionary(intent)]))
    reportlab_doc.add_info_entries(canvas, {"GTS_PDFXVersion": PDFX_VERSION})
