"""School set-up: the school administrator's pages for the school's configuration."""

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from kestrel.access.decorators import requires
from kestrel.access.refusals import get_for_user, record_refused_choices
from kestrel.accounts import reauth
from kestrel.accounts.reauth import recent_authentication
from kestrel.accounts.selectors import colleagues
from kestrel.alerts.selectors import undelivered_alert_emails
from kestrel.alerts.services import send_again
from kestrel.audit.services import record
from kestrel.school_calendar import services as calendar_services
from kestrel.school_setup.forms import SchoolDetailsForm, TermDatesFileForm
from kestrel.school_setup.sections import SECTIONS, Section
from kestrel.school_setup.services import (
    ConfigurationClash,
    reset_second_factor,
    save_configuration,
    update_school,
)
from kestrel.students.names import NamesShown


def _section(slug: str) -> Section:
    try:
        return SECTIONS[slug]
    except KeyError:
        raise Http404("No such section") from None


@requires("configure_school")
def overview(request):
    school = request.school
    sections = [(section, section.rows(school).count()) for section in SECTIONS.values()]
    return render(request, "schools/overview.html", {"sections": sections, "school": school})


@requires("configure_school")
def details(request):
    form = SchoolDetailsForm(request.POST or None, instance=request.school)
    if request.method == "POST" and form.is_valid():
        update_school(actor=request.user, request=request, form=form)
        messages.success(request, "The school's details have been saved.")
        return redirect("schools:overview")
    return render(request, "schools/details.html", {"form": form})


@requires("configure_school")
def section_list(request, slug):
    section = _section(slug)
    # PostgreSQL refuses NUL in text (and in the audit event's JSON): a search never needs one.
    query = request.GET.get("q", "").replace("\x00", "").strip()[:100]
    # Only a known filter is applied, recorded or carried into page links; anything else is "All".
    status = request.GET.get("status", "")
    status = status if status in section.filters else ""
    rows = section.listed(request.school, query=query, status=status)
    page = Paginator(rows, section.page_size).get_page(request.GET.get("page"))
    table = _table(section, page, NamesShown.of(request))
    if section.holds_child_data:
        record(
            action=f"{section.slug}.listed",
            request=request,
            school=request.school,
            detail={"query": query, "status": status, "page": page.number},
        )
    return render(
        request,
        "schools/section_list.html",
        {
            "section": section,
            "page": page,
            "table": table,
            "query": query,
            "status": status,
            # What page links carry: the search and a known filter, nothing else typed.
            "page_params": {"q": query, "status": status},
            "pages_label": f"Pages of {section.title.lower()}",
        },
    )


def _table(section: Section, page, names: NamesShown) -> list[tuple]:
    """Each row of the page with its columns' values, a student's name starred under Hide Names."""
    return [
        (
            obj,
            [names.column(col.value(obj), is_name=col.is_student_name) for col in section.columns],
        )
        for obj in page
    ]


@requires("configure_school")
@require_http_methods(["GET", "POST"])
def section_add(request, slug):
    section = _section(slug)
    return _edit(request, section, section.model(school=request.school))


@requires("configure_school")
@require_http_methods(["GET", "POST"])
def section_edit(request, slug, pk):
    section = _section(slug)
    obj = get_for_user(
        request, section.rows(request.school), kind=section.model._meta.model_name, pk=pk
    )
    if section.holds_child_data and request.method == "GET":
        record(action=f"{section.slug}.viewed", request=request, obj=obj, student=obj)
    return _edit(request, section, obj)


def _edit(request, section: Section, obj):
    adding = obj.pk is None
    withheld = section.holds_child_data and not adding and NamesShown.of(request).hidden
    if withheld and request.method == "POST":
        return redirect("schools:edit", slug=section.slug, pk=obj.pk)  # no form was shown
    # What was typed before "Confirm it is you" comes back, to be checked and saved again.
    data = request.POST or reauth.stashed_form(request) or None
    form = section.form(data, instance=obj, school=request.school, actor=request.user)
    if request.method == "POST" and form.is_valid():
        if _changes_sign_in(section, form, adding) and not reauth.is_recent(request):
            # A new address would receive the password link: the administrator confirms first.
            reauth.stash_form(request)
            return reauth.ask(request, back=request.path)
        saved = _save(request, section, form, adding)
        if saved is not None:
            return saved
    if request.method == "POST":
        record_refused_choices(request, form)
    return render(
        request,
        "schools/section_form.html",
        {
            "section": section,
            "form": form,
            "obj": obj,
            "adding": adding,
            # Under Hide Names a student's form (full of their names) is not sent at all.
            "withheld": withheld,
        },
    )


def _save(request, section: Section, form, adding: bool):
    """Saves the form; the redirect to the list, or None when it clashed (the form says so)."""
    try:
        saved = save_configuration(
            actor=request.user, request=request, form=form, kind=section.model._meta.model_name
        )
    except ConfigurationClash:
        form.add_error(
            None,
            f"This {section.singular} could not be saved because it clashes with another "
            "that was saved at the same moment. Check the list, then try again.",
        )
        return None
    done = "added" if adding else "saved"
    label = NamesShown.of(request).label(saved) if section.holds_child_data else str(saved)
    messages.success(request, f"{section.singular.capitalize()} “{label}” has been {done}.")
    return redirect("schools:section", slug=section.slug)


def _changes_sign_in(section: Section, form, adding: bool) -> bool:
    """Whether saving changes how a colleague signs in (their email address)."""
    return section.slug == "staff" and not adding and "email" in form.changed_data


@requires("manage_staff")
@recent_authentication(default="schools:overview")
@require_POST
def staff_reset_second_factor(request, pk):
    """The administrator resets a colleague's second factor (a lost or replaced phone)."""
    staff = get_for_user(request, colleagues(), kind="staff", pk=pk)
    reset_second_factor(actor=request.user, request=request, staff=staff)
    messages.success(
        request,
        f"{staff.full_name}’s second factor has been reset and they have been signed out. They "
        "will set up their authenticator app again the next time they sign in.",
    )
    return redirect("schools:edit", slug="staff", pk=staff.pk)


@requires("configure_school")
def email_problems(request):
    """Alert emails not delivered: failed after every retry, or still waiting long after the
    alert (no child's details shown)."""
    undelivered = undelivered_alert_emails()[:200]
    return render(
        request,
        "schools/email_problems.html",
        {"undelivered": undelivered, "overdue_minutes": settings.ALERT_EMAIL_OVERDUE_MINUTES},
    )


@requires("configure_school")
@require_POST
def email_retry(request, pk):
    alert = get_for_user(
        request,
        undelivered_alert_emails(),
        kind="alert",
        pk=pk,
    )
    send_again(actor=request.user, alert=alert, request=request)
    messages.success(request, f"The email to {alert.recipient.full_name} will be sent again.")
    return redirect("schools:email_problems")


@requires("configure_school")
def import_term_dates(request):
    """The school's term dates from a CSV file as local authorities publish them."""
    form = TermDatesFileForm(request.POST or None, request.FILES or None)
    problems = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            counts = calendar_services.import_term_dates(
                actor=request.user,
                school=request.school,
                data=upload.read(calendar_services.MAX_BYTES + 1),
                file_name=upload.name,
                request=request,
            )
        except calendar_services.CalendarFileRefused as refused:
            problems = refused.problems
        else:
            messages.success(
                request,
                f"{counts['terms']} term{'s' if counts['terms'] != 1 else ''} and "
                f"{counts['closures']} half term{'s' if counts['closures'] != 1 else ''} or "
                "INSET days added. Dates the school already had were left as they were.",
            )
            return redirect("schools:section", slug="terms")
    return render(
        request,
        "schools/import_term_dates.html",
        {"form": form, "problems": problems, "columns": calendar_services.COLUMNS},
    )
