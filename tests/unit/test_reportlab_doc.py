"""Canary: the private ReportLab API behind cardsapp.render.reportlab_doc still behaves."""

from __future__ import annotations

import io

import pikepdf
import reportlab
from reportlab.pdfbase.pdfdoc import PDFName
from reportlab.pdfgen.canvas import Canvas

from cardsapp.render import reportlab_doc


def test_reportlab_is_the_minor_version_the_adapter_was_tested_with():
    assert reportlab.Version.startswith("5.1.")  # pyproject.toml pins reportlab 5.1


def test_catalog_and_info_entries_streams_and_shared_resources_reach_the_file():
    buffer = io.BytesIO()
    canvas = Canvas(buffer, invariant=1)
    assert reportlab_doc.document(canvas) is not None
    reportlab_doc.set_stream_filters(canvas, [])
    for _ in range(3):
        canvas.drawString(10, 10, "x")
        canvas.showPage()
    xmp = reportlab_doc.stream({"Type": PDFName("Metadata")}, b"<x/>", compress=False)
    reportlab_doc.add_catalog_entry(canvas, "Metadata", reportlab_doc.reference(canvas, xmp))
    reportlab_doc.add_catalog_entry(canvas, "OutputIntents", PDFName("Placeholder"))
    reportlab_doc.add_info_entries(canvas, {"GTS_PDFXVersion": "PDF/X-4"})
    assert reportlab_doc.time_stamp(canvas) == ((2000, 1, 1, 0, 0, 0), 0, 0)
    assert reportlab_doc.info_fields(canvas)["Producer"].startswith("ReportLab")
    reportlab_doc.share_page_resources(canvas)
    canvas.save()
    with pikepdf.open(io.BytesIO(buffer.getvalue())) as doc:
        assert doc.Root.Metadata.read_bytes() == b"<x/>"
        assert str(doc.Root.OutputIntents) == "/Placeholder"
        assert str(doc.trailer.Info.GTS_PDFXVersion) == "PDF/X-4"
        assert str(doc.trailer.Info.Producer).startswith("ReportLab")
        resources = {page.obj.Resources.objgen for page in doc.pages}
        assert len(resources) == 1  # one dictionary, shared by the three pages
