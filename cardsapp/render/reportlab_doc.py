"""The one place cardsapp reaches into ReportLab's private document API (`canvas._doc`).

ReportLab keeps font subsets, stream filters, pages, the catalog and the Info dictionary on
the canvas's document object, which has no public accessors for what print files need:
per-page resource sharing, a PDF/X output intent, XMP metadata and Info keys ReportLab does
not know. ReportLab is pinned to the minor version tested (pyproject.toml), and
tests/unit/test_reportlab_doc.py fails on the day ReportLab changes any of it.
"""

from __future__ import annotations

from typing import Any

from reportlab.pdfbase.pdfdoc import (
    PDFDictionary,
    PDFInfo,
    PDFName,
    PDFResourceDictionary,
    PDFStream,
    PDFString,
)
from reportlab.pdfbase.pdfdoc import format as pdf_format
from reportlab.pdfgen.canvas import Canvas


def document(canvas: Canvas) -> Any:
    """The canvas's document: what ReportLab's font code keys its subsets on."""
    return canvas._doc


def set_stream_filters(canvas: Canvas, filters: list[Any]) -> None:
    """The filters every stream without its own gets (content, forms, fonts)."""
    canvas._doc.defaultStreamFilters = filters


def share_page_resources(canvas: Canvas) -> None:
    """One resource dictionary for each set of forms pages use, written once, not per page.

    ReportLab writes a resource dictionary on each page, a fifth of saving a 1,000-card PDF.
    Pages drawing the same artwork forms share one dictionary naming exactly those forms (and
    the fonts), so a page taken out of the file carries only its own artwork.
    """
    doc = canvas._doc
    pages = doc.Pages.pages
    for page in pages:
        if page.ExtGState or page._colorsUsed or page._shadingUsed:
            return  # resources cards never use: leave each page its own
    shared: dict[tuple[str, ...], Any] = {}
    for page in pages:
        forms = page.XObjects.dict if page.XObjects else {}
        key = tuple(sorted(forms))
        reference = shared.get(key)
        if reference is None:
            resources = PDFResourceDictionary()
            resources.basicFonts()
            resources.allProcs()  # the forms hold images
            if forms:
                named = PDFDictionary()
                named.dict.update(forms)
                resources.XObject = named
            reference = shared[key] = doc.Reference(resources, f"CardResources{len(shared)}")
        page.Resources = reference


def add_catalog_entry(canvas: Canvas, key: str, value: Any) -> None:
    """Put `key` in the document catalog (ReportLab writes only the keys it knows)."""
    catalog = canvas._doc.Catalog
    if key not in catalog.__NoDefault__:
        catalog.__NoDefault__ = [*catalog.__NoDefault__, key]
    setattr(catalog, key, value)


def reference(canvas: Canvas, obj: Any) -> Any:
    """An indirect reference to `obj`, written once in the file."""
    return canvas._doc.Reference(obj)


def stream(dictionary: dict[str, Any], content: bytes, compress: bool = True) -> PDFStream:
    """A stream object; uncompressed when `compress` is false (XMP stays readable)."""
    return PDFStream(PDFDictionary(dictionary), content, filters=None if compress else [])


class _InfoWithExtras(PDFInfo):  # type: ignore[misc]
    extras: dict[str, str]

    def format(self, document: Any) -> bytes:
        formatted: bytes = super().format(document)
        extra = b"".join(
            pdf_format(PDFName(key), document)
            + b" "
            + pdf_format(PDFString(value), document)
            + b" "
            for key, value in self.extras.items()
        )
        return formatted.replace(b"<<", b"<< " + extra, 1)


def add_info_entries(canvas: Canvas, entries: dict[str, str]) -> None:
    """Add string entries to the document Info dictionary (e.g. GTS_PDFXVersion)."""
    info = canvas._doc.info
    if not isinstance(info, _InfoWithExtras):
        upgraded = _InfoWithExtras()
        upgraded.__dict__.update(info.__dict__)
        upgraded.extras = {}
        canvas._doc.info = info = upgraded
    info.extras.update(entries)


def time_stamp(canvas: Canvas) -> tuple[tuple[int, ...], int, int]:
    """The document's creation time as ReportLab writes it: (Y, M, D, h, m, s), tz h, tz m."""
    stamp = canvas._doc._timeStamp
    return tuple(stamp.YMDhms), stamp.dhh, stamp.dmm


def info_fields(canvas: Canvas) -> dict[str, str]:
    """Title, Author, Producer, Creator, Subject and Keywords as the Info dictionary says."""
    info = canvas._doc.info
    return {
        "Title": info.title,
        "Author": info.author,
        "Producer": info.producer,
        "Creator": info.creator,
        "Subject": info.subject,
        "Keywords": info.keywords,
    }
