"""The whole file as a PDF, laid out by WeasyPrint from a Django template.

Tagged as PDF/UA-1 (its structure, title and language for screen readers). No resource is
fetched: the template holds its own styles and the body map is inline SVG, and WeasyPrint's URL
fetcher refuses everything, so that no text in a record can make the worker fetch a URL.
"""

import logging

from django.template.loader import render_to_string

PDF_VARIANT = "pdf/ua-1"


class RepeatedFigureTitles(logging.Filter):
    """Drops WeasyPrint's warning that the body map's title ids repeat: each entry's figures
    come from the app's one figure template (incidents/_figure.html), whose ids are fixed. The
    titles still describe each figure in the PDF's tags; any other warning is kept."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (
            record.msg == "Anchor defined twice: %r"
            and str(record.args[0] if record.args else "").startswith("figure-")
        )


logging.getLogger("weasyprint").addFilter(RepeatedFigureTitles())


def html_of(context: dict) -> str:
    return render_to_string("exports/file.html", context)


def pdf_of(html: str) -> tuple[bytes, int]:
    """The PDF of the export's HTML, and its number of pages."""
    # Imported here: only the worker lays out PDFs, and WeasyPrint takes a while to import.
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    document = HTML(string=html, url_fetcher=URLFetcher(allowed_protocols=())).render()
    return document.write_pdf(pdf_variant=PDF_VARIANT), len(document.pages)
