"""The quote as a PDF (WeasyPrint), made from quotes/pdf.html.

Nothing is fetched while rendering: the logo is embedded as a data: URI and the fetcher
refuses every other URL. Text is set in DejaVu Sans, so Cyrillic prints as well as Latin.
"""

from django.http import HttpResponse
from django.template.loader import render_to_string
from weasyprint import HTML
from weasyprint.urls import URLFetcher

from funia.sales.quotes.documents import document_context
from funia.sales.quotes.models import Quote


class DataOnlyFetcher(URLFetcher):
    """Fetches data: URIs only; any other URL (http, file, ...) is refused."""

    def __init__(self):
        super().__init__(timeout=1, allowed_protocols={"data"}, allow_redirects=False)

    def fetch(self, url, headers=None):
        if not str(url).lower().startswith("data:"):
            raise ValueError(f"Not fetched while printing: {url[:100]}")
        return super().fetch(url, headers)


def quote_html(quote: Quote) -> str:
    """The HTML the PDF is printed from."""
    return render_to_string("quotes/pdf.html", document_context(quote))


def quote_pdf(quote: Quote) -> bytes:
    return HTML(string=quote_html(quote), url_fetcher=DataOnlyFetcher()).write_pdf()


def filename(quote: Quote) -> str:
    return f"{quote.reference}.pdf"


def pdf_response(quote: Quote, *, inline: bool = False) -> HttpResponse:
    response = HttpResponse(quote_pdf(quote), content_type="application/pdf")
    disposition = "inline" if inline else "attachment"
    response["Content-Disposition"] = f'{disposition}; filename="{filename(quote)}"'
    return response
