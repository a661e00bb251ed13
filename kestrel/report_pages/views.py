"""The reports' pages, for key holders with their key unlocked. Each report is recorded in the
audit trail when it is viewed or downloaded (which report and which year: never a child)."""

from django.http import HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.http import content_disposition_header

from kestrel.access.decorators import requires
from kestrel.access.policies import Viewer
from kestrel.audit.services import record
from kestrel.exports.pdf import pdf_of
from kestrel.report_pages import spreadsheets
from kestrel.reports.governors import charts_of, governors_report


def _governors(request, action: str, **detail):
    report = governors_report(Viewer.of(request), request.school)
    record(
        action=action,
        request=request,
        school=request.school,
        detail={"year": report.year.name, **detail},
    )
    return report


def _download(content, content_type: str, name: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, name)
    response["Cache-Control"] = "no-store"
    return response


@requires("view_reports")
def governors(request):
    """The governors' report: anonymised counts for the school year, by term."""
    report = _governors(request, "reports.governors_viewed")
    context = {"report": report, "charts": charts_of(report)}
    return render(request, "report_pages/governors.html", context)


@requires("view_reports")
def governors_pdf(request):
    report = _governors(request, "reports.governors_exported", format="pdf")
    html = render_to_string(
        "report_pages/governors_pdf.html", {"report": report, "charts": charts_of(report)}
    )
    content, _ = pdf_of(html)
    name = f"Governors report {report.year.name}.pdf"
    return _download(content, "application/pdf", name)


@requires("view_reports")
def governors_csv(request):
    report = _governors(request, "reports.governors_exported", format="csv")
    name = f"Governors report {report.year.name}.csv"
    return _download(spreadsheets.governors_csv(report), "text/csv; charset=utf-8", name)
