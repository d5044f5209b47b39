"""Recipient files as organisers have them: Excel and LibreOffice CSV, cp1251, .xlsx."""

from __future__ import annotations

import io
import time
import zipfile

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from cardsapp.extensions import db
from cardsapp.models import Recipient
from cardsapp.services.recipients import open_address
from tests.factories import RecoveryOpener, compile_catalogues, logged_in_admin, make_campaign
from tests.factories import staff_csrf_token as token

COLUMNS = "public_label,name,address_line1,address_line2,city,postcode,country"
ROWS = [
    [
        "Mother in Example region",
        "Testa Uno",
        "1 Fake Street",
        "",
        "Fictionville",
        "FX001",
        "Nowhereland",
    ],
    [
        "Мама з Прыкладнага раёна",
        "Прыкладная Адна",
        "вул. Узорная 2",
        "кв. 3",
        "Прыкладск",
        "220000",
        "Узорная",
    ],
]
HEADER = COLUMNS.split(",")


def _csv(delimiter: str = ",", rows=ROWS) -> str:
    lines = [COLUMNS.replace(",", delimiter)] + [delimiter.join(r) for r in rows]
    return "\r\n".join(lines) + "\r\n"


def _xlsx(rows=ROWS, header=HEADER) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.fixture
def admin_client(app, client):
    logged_in_admin(db.session, client)
    return client


@pytest.fixture
def campaign(app):
    found = make_campaign(db.session)
    db.session.commit()
    return found


def _upload(client, campaign, data: bytes, name: str, **extra):
    return client.post(
        f"/admin/recipients/import?campaign={campaign.slug}",
        data={"file": (io.BytesIO(data), name), "csrf_token": token(client), **extra},
        content_type="multipart/form-data",
    )


def _count() -> int:
    return db.session.scalar(select(func.count(Recipient.id))) or 0


def _labels() -> list[str]:
    return list(db.session.scalars(select(Recipient.public_label).order_by(Recipient.id)))


@pytest.mark.parametrize(
    "data",
    [
        _csv(",").encode("utf-8"),
        _csv(",").encode("utf-8-sig"),  # Excel's "CSV UTF-8"
        _csv(";").encode("utf-8-sig"),  # Excel in a comma-decimal locale
        _csv(";").encode("utf-8"),  # LibreOffice with ';'
        ("sep=;\r\n" + _csv(";")).encode("utf-8"),  # Excel's separator hint line
        _csv("\t").encode("utf-16"),  # Excel's "Unicode text"
    ],
    ids=["comma", "comma-bom", "semicolon-bom", "semicolon", "sep-hint", "utf16-tab"],
)
def test_csv_files_from_excel_and_libreoffice_import(app, admin_client, campaign, data):
    response = _upload(admin_client, campaign, data, "people.csv")
    assert response.status_code == 302, response.get_data(as_text=True)[-2000:]
    assert _labels() == [ROWS[0][0], ROWS[1][0]]
    stored = db.session.scalars(select(Recipient).order_by(Recipient.id)).all()
    assert open_address(RecoveryOpener(db.session), stored[1]).address_line2 == "кв. 3"


def test_a_cp1251_file_is_refused_with_how_to_save_it_as_utf8(app, admin_client, campaign):
    response = _upload(admin_client, campaign, _csv(";").encode("cp1251"), "people.csv")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Windows-1251" in page and "CSV UTF-8" in page and "Unicode (UTF-8)" in page
    assert 'name="convert_cp1251"' in page  # and it offers to convert
    assert _count() == 0


def test_a_cp1251_file_is_converted_when_the_admin_confirms(app, admin_client, campaign):
    data = _csv(";").encode("cp1251")
    response = _upload(admin_client, campaign, data, "people.csv", convert_cp1251="y")
    assert response.status_code == 302
    assert _labels() == [ROWS[0][0], ROWS[1][0]]


def test_bytes_that_are_no_text_at_all_are_refused_as_not_utf8(app, admin_client, campaign):
    response = _upload(admin_client, campaign, b"\x81\x98\x00\xff" * 20, "x.csv")
    assert response.status_code == 400
    assert "not UTF-8" in response.get_data(as_text=True)


def test_an_xlsx_workbook_imports_with_numbers_as_text(app, admin_client, campaign):
    rows = [ROWS[0], [*ROWS[1][:5], 220000, ROWS[1][6]]]  # a postcode typed as a number
    response = _upload(admin_client, campaign, _xlsx(rows), "people.xlsx")
    assert response.status_code == 302, response.get_data(as_text=True)[-2000:]
    stored = db.session.scalars(select(Recipient).order_by(Recipient.id)).all()
    assert open_address(RecoveryOpener(db.session), stored[1]).postcode == "220000"


def test_xlsx_errors_name_the_line_and_the_field(app, admin_client, campaign):
    rows = [ROWS[0], [ROWS[1][0], "", *ROWS[1][2:]]]
    response = _upload(admin_client, campaign, _xlsx(rows), "people.xlsx")
    assert response.status_code == 400
    assert "Line 3, name (name): it is empty" in response.get_data(as_text=True)
    assert _count() == 0


def test_errors_are_in_the_admins_language(app, admin_client, campaign):
    compile_catalogues()
    rows = [ROWS[0], [ROWS[1][0], "", *ROWS[1][2:]]]
    admin_client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "ru"
    response = _upload(admin_client, campaign, _csv(",", rows).encode(), "people.csv")
    page = response.get_data(as_text=True)
    assert "Строка 3, имя (name): поле пустое" in page


def _zip_bomb() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", b"<x/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (80 * 1024 * 1024))
    return out.getvalue()


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (_zip_bomb(), "too large"),
        (b"PK\x03\x04 not really a zip", "not a readable .xlsx"),
        (_xlsx(header=["name", "address"]), "the first line must be"),
    ],
    ids=["zip-bomb", "broken-zip", "wrong-header"],
)
def test_hostile_or_wrong_xlsx_files_are_refused_clearly(app, admin_client, campaign, data, words):
    started = time.perf_counter()
    response = _upload(admin_client, campaign, data, "people.xlsx")
    assert response.status_code == 400
    assert words in response.get_data(as_text=True)
    assert time.perf_counter() - started < 5
    assert _count() == 0


def test_templates_download_and_import_as_they_are(app, admin_client, campaign):
    for kind in ("csv", "xlsx"):
        response = admin_client.get(f"/admin/recipients/template.{kind}")
        assert response.status_code == 200
        assert "attachment" in response.headers["Content-Disposition"]
        if kind == "xlsx":
            sheet = load_workbook(io.BytesIO(response.data)).active
            assert [c.value for c in sheet[1]] == COLUMNS.split(",")
        else:
            assert response.data.startswith(b"\xef\xbb\xbf" + COLUMNS.encode())
        db.session.execute(Recipient.__table__.delete())
        db.session.commit()
        assert _upload(admin_client, campaign, response.data, f"t.{kind}").status_code == 302
        assert _count() == 1


def _many_rows(n: int) -> list[list[str]]:
    return [
        [f"Mother {i:05d}", f"Testa {i}", f"{i} Fake Street", "", "Fictionville", "FX1", "Land"]
        for i in range(n)
    ]


def test_a_ten_thousand_row_file_imports_from_the_command_line(app, runner, campaign, tmp_path):
    path = tmp_path / "many.xlsx"
    path.write_bytes(_xlsx(_many_rows(10_000)))
    started = time.perf_counter()
    result = runner.invoke(args=["import-recipients", str(path), "--campaign", campaign.slug])
    elapsed = time.perf_counter() - started
    assert result.exit_code == 0, result.output
    assert "Imported 10000 recipients" in result.output
    assert _count() == 10_000
    assert elapsed < 60


def test_a_ten_thousand_row_csv_imports_through_the_page(app, admin_client, campaign):
    data = _csv(";", _many_rows(10_000)).encode("utf-8-sig")
    assert _upload(admin_client, campaign, data, "many.csv").status_code == 302
    assert _count() == 10_000


def test_the_command_line_takes_the_same_formats(app, runner, campaign, tmp_path):
    refused = tmp_path / "cyrillic.csv"
    refused.write_bytes(_csv(";").encode("cp1251"))
    result = runner.invoke(args=["import-recipients", str(refused)])
    assert result.exit_code == 1
    assert "cp1251" in result.output and "--encoding cp1251" in result.output
    assert _count() == 0
    result = runner.invoke(args=["import-recipients", str(refused), "--encoding", "cp1251"])
    assert result.exit_code == 0, result.output
    book = tmp_path / "more.xlsx"
    book.write_bytes(_xlsx([[f"Other {r[0]}", *r[1:]] for r in ROWS]))
    result = runner.invoke(args=["import-recipients", str(book)])
    assert result.exit_code == 0, result.output
    assert _count() == 4
