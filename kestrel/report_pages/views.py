"""The reports' pages, for key holders with their key unlocked. Each report is recorded in the
audit trail when it is viewed or downloaded (which report and which year: never a child)."""

from django.http import HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.http import content_disposition_header

from kestrel.access.decorators import requires
from kestrel.access.policies import Viewer
from kestrel.audit.services import record
from kestrel.exports.pdf import pdf_of
from kestrel.report_pages import forms, spreadsheets
from kestrel.reports.governors import charts_of, governors_report
from kestrel.reports.inspection import inspection_pack
from kestrel.reports.patterns import filter_choices, pattern_report
from kestrel.reports.terms import school_year
from kestrel.students.names import NamesShown


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


def _pack(request, action: str, **detail):
    """The inspection pack for the dates asked (the school year to date if none), its form, and
    the names as this request shows them (Hide Names); None for the pack if the dates are wrong."""
    default = school_year(request.school, timezone.localdate()).year_to_date
    form = forms.PeriodForm.showing(request.GET, default)
    period = form.period(default)
    if period is None:
        return form, None
    pack = inspection_pack(Viewer.of(request), period)
    names = NamesShown.of(request)
    for line in pack.pupils:
        line.label = names.label(line.student)
    for line in pack.social_care + pack.lado:
        line.label = names.label(line.referral.student)
        line.resolution = names.text(line.resolution, [line.referral.student])
    record(
        action=action,
        request=request,
        school=request.school,
        detail={
            "from": period.starts_on.isoformat(),
            "to": period.ends_on.isoformat(),
            "pupils": len(pack.pupils),
            **detail,
        },
    )
    return form, pack


@requires("view_reports")
def inspection(request):
    """The inspection pack: one page for a date range, with its PDF."""
    form, pack = _pack(request, "reports.inspection_viewed")
    query = request.GET.urlencode()
    return render(
        request, "report_pages/inspection.html", {"form": form, "pack": pack, "query": query}
    )


@requires("view_reports")
def inspection_pdf(request):
    form, pack = _pack(request, "reports.inspection_exported", format="pdf")
    if pack is None:
        return render(request, "report_pages/inspection.html", {"form": form, "pack": None})
    html = render_to_string("report_pages/inspection_pdf.html", {"pack": pack})
    content, _ = pdf_of(html)
    name = f"Inspection pack {pack.period.starts_on} to {pack.period.ends_on}.pdf"
    return _download(content, "application/pdf", name)


@requires("view_reports")
def patterns(request):
    """The DSL's category and pattern report, narrowed by the filters chosen."""
    form = forms.PatternForm(request.GET or None, **filter_choices())
    chosen = form.chosen()
    report = None
    if chosen is not None:
        year = school_year(request.school, timezone.localdate())
        report = pattern_report(Viewer.of(request), year, chosen)
        names = NamesShown.of(request)
        for line in report.students:
            line.label = names.label(line.student)
        record(
            action="reports.patterns_viewed",
            request=request,
            school=request.school,
            detail={"filters": chosen.detail(), "students": len(report.students)},
        )
    return render(request, "report_pages/patterns.html", {"form": form, "report": report})
