"""The quote's PDF: made from HTML with the organisation's logo and details, the customer,
the lines and the tax per rate; printed in DejaVu Sans so Cyrillic prints; nothing fetched.

No PDF text extractor is installed: the tests read the HTML the PDF is printed from, and
in the PDF itself its pages, the embedded image and the characters its font maps (the
ToUnicode tables of the decompressed objects)."""

import base64
import io
import re
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from funia.customers import services as customer_services
from funia.sales.quotes import documents, pdf, selectors, services
from funia.sales.quotes.organisation import document_settings_update
from tests.sales.quotes.conftest import assert_the_totals_add_up, printed_totals


def png(width=40, height=20) -> bytes:
    data = io.BytesIO()
    Image.new("RGB", (width, height), "navy").save(data, "PNG")
    return data.getvalue()


def pdf_objects(data: bytes) -> bytes:
    """The PDF with its compressed streams inflated."""
    parts = [data]
    for match in re.finditer(rb"stream\r?\n", data):
        end = data.find(b"endstream", match.end())
        try:
            parts.append(zlib.decompress(data[match.end() : end]))
        except zlib.error:
            continue
    return b"".join(parts)


def printed_characters(data: bytes) -> set[str]:
    """Every character the PDF's fonts map to Unicode (what is printed)."""
    objects = pdf_objects(data)
    return {
        chr(int(code, 16))
        for code in re.findall(rb"<[0-9a-f]{4}> <([0-9a-f]{4})>", objects, flags=re.IGNORECASE)
    }


@pytest.fixture
def cyrillic_quote(shop):
    customer_services.account_update(
        by=shop.admin, account=shop.account, fields={"name": "Балкан Фуудс ЕООД"}
    )
    document_settings_update(
        by=shop.admin,
        fields={"logo": SimpleUploadedFile("logo.png", png(), content_type="image/png")},
    )
    quote = shop.quote(discount_percent=5, notes="Доставка до 30 дни")
    shop.car_line(quote, "Red", "Leather", "Premium", quantity=2, discount=3)
    shop.service_line(quote)
    return selectors.quote_get(actor=shop.rep, pk=quote.pk)


def test_the_pdf_is_a_pdf_with_a_page(cyrillic_quote):
    data = pdf.quote_pdf(cyrillic_quote)

    assert data.startswith(b"%PDF-")
    assert len(re.findall(rb"/Type\s*/Page\b", pdf_objects(data))) == 1


def test_the_pdf_prints_cyrillic_in_dejavu_sans(cyrillic_quote):
    data = pdf.quote_pdf(cyrillic_quote)

    assert re.search(rb"/BaseFont\s*/[A-Z]{6}\+DejaVu-?Sans", pdf_objects(data))
    assert set("БалканФудсЕОДДоставка") <= printed_characters(data)


def test_the_pdf_embeds_the_logo(cyrillic_quote):
    data = pdf.quote_pdf(cyrillic_quote)

    assert b"/Subtype /Image" in pdf_objects(data)


def test_the_pdf_html_holds_the_logo_as_a_data_uri(cyrillic_quote):
    html = pdf.quote_html(cyrillic_quote)

    logo = base64.b64encode(png()).decode()
    assert f'src="data:image/png;base64,{logo}"' in html
    assert "http" not in re.sub(r"data:[^\"]+", "", html.split("<body>", 1)[1])


def test_the_pdf_html_holds_the_organisation_the_customer_and_the_validity(cyrillic_quote):
    html = pdf.quote_html(cyrillic_quote)

    assert "Acme Sales" in html
    assert "VAT BG123456789" in html
    assert "Балкан Фуудс ЕООД" in html
    assert "Elena Petrova · elena@balkanfoods.example" in html
    assert "Quote Q-00001" in html
    assert "Доставка до 30 дни" in html
    assert "The validity date is set when the quote is sent." in html


def test_the_pdf_html_lists_each_line_with_its_options_and_amounts(cyrillic_quote):
    html = pdf.quote_html(cyrillic_quote)

    assert "Roadster (Colour: Red, Seats: Leather, Packages: Premium)" in html
    assert "35,500.00 EUR" in html
    assert "68,870.00 EUR" in html  # 2 x 35,500.00 - 3 %
    assert "1,234.56 EUR" in html


def test_the_pdf_html_shows_the_tax_of_each_rate_and_the_totals(cyrillic_quote):
    html = pdf.quote_html(cyrillic_quote)

    # Car: 68,870.00 - 5 % = 65,426.50 taxed at 20 % = 13,085.30;
    # plan: 1,234.56 - 5 % (61.73) = 1,172.83 taxed at 9 % = 105.5547 -> 105.55
    assert "Tax 9 % of 1,172.83 EUR" in html
    assert "105.55 EUR" in html
    assert "Tax 20 % of 65,426.50 EUR" in html
    assert "13,085.30 EUR" in html
    # subtotal 72,234.56; discounts 2,130.00 + 3,443.50 + 61.73 = 5,635.23;
    # tax 13,190.85; total 72,234.56 - 5,635.23 + 13,190.85 = 79,790.18
    assert "72,234.56 EUR" in html
    assert "−5,635.23 EUR" in html
    assert "13,190.85 EUR" in html
    assert "79,790.18 EUR" in html


def test_the_tax_breakdown_sums_each_rate(cyrillic_quote):
    rows = documents.tax_breakdown(list(cyrillic_quote.lines.all()))

    assert [(str(r["rate"]), str(r["base"]), str(r["tax"])) for r in rows] == [
        ("9.00", "1172.83", "105.55"),
        ("20.00", "65426.50", "13085.30"),
    ]


def test_printing_fetches_nothing_but_data_uris():
    fetcher = pdf.DataOnlyFetcher()

    for url in ("http://example.com/logo.png", "https://example.com/x.css", "file:///etc/passwd"):
        with pytest.raises(ValueError):
            fetcher.fetch(url)
    response = fetcher.fetch("data:text/plain;base64," + base64.b64encode(b"ok").decode())
    assert response.read() == b"ok"


def test_a_sent_quote_prints_its_validity_date(shop):
    quote = shop.sent_quote()

    html = pdf.quote_html(selectors.quote_get(actor=shop.rep, pk=quote.pk))

    assert "This quote is valid until" in html
    assert services.effective_status(quote) == "sent"


def test_the_printed_discount_rows_add_up_to_the_net_total_and_the_total(cyrillic_quote):
    html = pdf.quote_html(cyrillic_quote)

    rows = printed_totals(html)
    assert [label for label, _ in rows[:3]] == [
        "Subtotal",
        "Discounts (quote discount 5 %)",
        "Net total",
    ]
    assert_the_totals_add_up(html)
