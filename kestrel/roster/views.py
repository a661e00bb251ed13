"""School set-up → Import students / Import staff: upload, match columns, preview, confirm."""

import datetime

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from kestrel.access.decorators import requires
from kestrel.access.policy import allows
from kestrel.access.refusals import get_for_user
from kestrel.audit.services import record
from kestrel.roster import pupils, selectors, services
from kestrel.roster.exports import NAME_FIELDS, refused_rows_csv
from kestrel.roster.forms import ColumnsForm, ConfirmForm, DecisionForm, UploadForm
from kestrel.roster.models import Kind, Outcome, RosterImport, RosterRow, State
from kestrel.roster.reading import Unreadable
from kestrel.roster.work import fields_for
from kestrel.students.models import GENDERS, SEN_STATUSES, YEAR_GROUPS, Student
from kestrel.students.names import MASK, NamesShown

PERMISSION = {Kind.STUDENTS: "manage_students", Kind.STAFF: "manage_staff"}
TITLES = {Kind.STUDENTS: "Import students", Kind.STAFF: "Import staff"}
NOUNS = {Kind.STUDENTS: "student", Kind.STAFF: "member of staff"}
PLURALS = {Kind.STUDENTS: "students", Kind.STAFF: "members of staff"}
SHOWN = 50  # rows of each kind on the preview; the rest a page at a time
SECTIONS = [
    (Outcome.REFUSED, "Refused rows"),
    (Outcome.HELD, "To confirm"),
    (Outcome.NEW, "New"),
    (Outcome.CHANGED, "Changed"),
    (Outcome.LEAVING, "Leaving"),
]


def _kind(kind: str) -> str:
    if kind not in Kind.values:
        raise Http404("No such import")
    return kind


def _allowed(request, kind: str) -> None:
    if not allows(request, PERMISSION[kind]):
        raise Http404("No such import")


@requires("configure_school")
@require_http_methods(["GET", "POST"])
def upload(request, kind):
    kind = _kind(kind)
    _allowed(request, kind)
    form = UploadForm(request.POST or None, request.FILES or None, kind=kind)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            roster_import = services.start(
                school=request.school,
                actor=request.user,
                source=upload,
                name=upload.name,
                kind=kind,
                whole_roster=form.cleaned_data["whole_roster"],
                request=request,
            )
        except Unreadable as error:
            form.add_error("file", str(error))
        else:
            if roster_import.state == State.COLUMNS:
                return redirect("roster:columns", pk=roster_import.pk)
            return redirect("roster:detail", pk=roster_import.pk)
    recent = selectors.recent_imports(kind)
    return render(
        request,
        "roster/upload.html",
        {"form": form, "kind": kind, "title": TITLES[kind], "recent": recent},
    )


def _import(request, pk) -> RosterImport:
    roster_import = get_for_user(
        request,
        selectors.imports(),
        kind="roster_import",
        pk=pk,
    )
    _allowed(request, roster_import.kind)
    return roster_import


@requires("configure_school")
@require_http_methods(["GET", "POST"])
def columns(request, pk):
    roster_import = _import(request, pk)
    if roster_import.state != State.COLUMNS:
        return redirect("roster:detail", pk=pk)
    fields = fields_for(roster_import.kind)
    form = ColumnsForm(
        request.POST or None,
        headers=roster_import.headers,
        fields=fields,
        initial_mapping={int(i): name for i, name in roster_import.mapping.items()},
    )
    if request.method == "POST" and form.is_valid():
        services.set_columns(
            roster_import=roster_import, actor=request.user, mapping=form.mapping(), request=request
        )
        return redirect("roster:detail", pk=pk)
    return render(
        request,
        "roster/columns.html",
        {
            "roster_import": roster_import,
            "form": form,
            "title": TITLES[roster_import.kind],
            "required": [f for f in fields if f.required],
        },
    )


@requires("configure_school")
def detail(request, pk):
    roster_import = _import(request, pk)
    if roster_import.state == State.COLUMNS:
        return redirect("roster:columns", pk=pk)
    if request.htmx and request.GET.get("progress"):
        return _progress(request, roster_import)
    context = _context(request, roster_import)
    if roster_import.state == State.PREVIEW:
        context["confirm_form"] = _confirm_form(roster_import)
    if roster_import.state == State.DONE and roster_import.kind == Kind.STAFF:
        from kestrel.roster import staff

        context["new_staff_to_invite"] = staff.to_invite(roster_import)
    return render(request, "roster/detail.html", context)


def _progress(request, roster_import: RosterImport):
    """The progress bar, polled by htmx; once the work is done, the whole page again."""
    if not roster_import.is_working:
        response = HttpResponse(status=204)
        response["HX-Refresh"] = "true"
        return response
    return render(request, "roster/_progress.html", {"roster_import": roster_import})


def _confirm_form(roster_import: RosterImport, data=None) -> ConfirmForm:
    return ConfirmForm(
        data,
        counts=roster_import.counts,
        second_confirmation=pupils.needs_second_confirmation(roster_import.counts),
        noun=NOUNS[roster_import.kind],
        plural=PLURALS[roster_import.kind],
    )


def _context(request, roster_import: RosterImport) -> dict:
    names = NamesShown.of(request)
    sections = []
    shows_rows = roster_import.state in {State.PREVIEW, State.APPLYING, State.DONE}
    for outcome, heading in SECTIONS if shows_rows else []:
        count = _count(roster_import, outcome)
        if not count:
            continue
        rows = selectors.preview_rows(roster_import, outcome)[:SHOWN]
        sections.append(
            {
                "outcome": outcome,
                "heading": heading,
                "count": count,
                "rows": [_shown(row, roster_import.kind, names) for row in rows],
                "more": count > SHOWN,
            }
        )
    if sections:
        record(
            action="roster.previewed",
            request=request,
            obj=roster_import,
            school=request.school,
            detail={"state": roster_import.state},
        )
    return {
        "roster_import": roster_import,
        "title": TITLES[roster_import.kind],
        "noun": NOUNS[roster_import.kind],
        "sections": sections,
        "decision_form": DecisionForm(),
        "second_confirmation": pupils.needs_second_confirmation(roster_import.counts),
        "nothing_to_change": roster_import.state == State.PREVIEW
        and not any(roster_import.counts.get(k) for k in ("new", "changed", "leaving", "held")),
    }


def _count(roster_import: RosterImport, outcome: str) -> int:
    counts = roster_import.counts
    return counts.get(outcome, 0)


@requires("configure_school")
def refused_csv(request, pk):
    """The refused rows as a CSV file, to correct in the MIS."""
    roster_import = _import(request, pk)
    names = NamesShown.of(request)
    rows = list(selectors.preview_rows(roster_import, Outcome.REFUSED))
    record(
        action="roster.refused_rows_downloaded",
        request=request,
        obj=roster_import,
        school=request.school,
        detail={"rows": len(rows), "names_hidden": names.hidden},
    )
    body = refused_rows_csv(roster_import, rows, hidden=names.hidden, mask=MASK)
    response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="refused-rows-{roster_import.pk}.csv"'
    return response


@requires("configure_school")
def rows(request, pk, outcome):
    """Every row of one kind of the preview, a page at a time."""
    roster_import = _import(request, pk)
    if outcome not in Outcome.values:
        raise Http404("No such rows")
    names = NamesShown.of(request)
    rows = selectors.preview_rows(roster_import, outcome)
    page = Paginator(rows, 100).get_page(request.GET.get("page"))
    record(
        action="roster.previewed",
        request=request,
        obj=roster_import,
        school=request.school,
        detail={"state": roster_import.state, "outcome": outcome, "page": page.number},
    )
    return render(
        request,
        "roster/rows.html",
        {
            "roster_import": roster_import,
            "title": TITLES[roster_import.kind],
            "heading": dict(SECTIONS)[outcome],
            "outcome": outcome,
            "page": page,
            "rows": [_shown(row, roster_import.kind, names) for row in page],
            "decision_form": DecisionForm(),
        },
    )


@requires("configure_school")
@require_POST
def confirm(request, pk):
    roster_import = _import(request, pk)
    if roster_import.state != State.PREVIEW:
        return redirect("roster:detail", pk=pk)
    form = _confirm_form(roster_import, request.POST)
    if not form.is_valid():
        context = _context(request, roster_import)
        context["confirm_form"] = form
        return render(request, "roster/detail.html", context, status=400)
    services.confirm(
        roster_import=roster_import,
        actor=request.user,
        leave_out_refused=form.cleaned_data.get("leave_out_refused", False),
        request=request,
    )
    return redirect("roster:detail", pk=pk)


@requires("configure_school")
@require_POST
def cancel(request, pk):
    roster_import = _import(request, pk)
    if services.cancel(roster_import=roster_import, actor=request.user, request=request):
        messages.success(request, "The import has been cancelled. Nothing was changed.")
    return redirect("roster:upload", kind=roster_import.kind)


@requires("configure_school")
@require_POST
def invite(request, pk):
    """Activates the staff the import added and sends each their first-time email."""
    roster_import = _import(request, pk)
    if roster_import.kind != Kind.STAFF or roster_import.state != State.DONE:
        return redirect("roster:detail", pk=pk)
    from kestrel.roster import staff

    sent = staff.invite_new(roster_import, actor=request.user, request=request)
    messages.success(
        request,
        f"{sent} first-time email{'s' if sent != 1 else ''} will be sent in the next minute."
        if sent
        else "Every new member of staff from this import has had their first-time email.",
    )
    return redirect("roster:detail", pk=pk)


@requires("configure_school")
@require_POST
def decide(request, pk, row):
    roster_import = _import(request, pk)
    held = get_for_user(
        request,
        selectors.held_rows(roster_import),
        kind="roster_row",
        school_path="roster_import__school",
        pk=row,
    )
    form = DecisionForm(request.POST)
    if roster_import.state == State.PREVIEW and form.is_valid():
        services.decide(
            roster_import=roster_import,
            row=held,
            decision=form.cleaned_data["decision"],
            actor=request.user,
            request=request,
        )
        messages.success(request, f"Row {held.row}: your answer has been saved.")
    elif roster_import.state == State.PREVIEW:
        messages.error(request, f"Row {held.row}: choose the same person or a different person.")
    return redirect(f"{reverse('roster:detail', kwargs={'pk': pk})}#held-{held.pk}")


# -- How a preview row reads -------------------------------------------------------------------

YEARS = dict(YEAR_GROUPS)
CHOICES = {"gender": dict(GENDERS), "sen_status": dict(SEN_STATUSES)}


def _value(name: str, value, *, hidden: bool) -> str:
    if value is None or value == "" or value == []:
        return "(none)"
    if isinstance(value, list):  # a colleague's alert groups
        return ", ".join(str(item) for item in value)
    if hidden and name in NAME_FIELDS:
        return MASK
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if name == "year_group":
        return YEARS.get(value, str(value))
    if name in CHOICES:
        return CHOICES[name].get(value, value)
    if name in {"date_of_birth", "admission_date", "left_on"}:
        try:
            return datetime.date.fromisoformat(value).strftime("%-d %b %Y")
        except (TypeError, ValueError):
            return str(value)
    return str(value)


def _label(kind: str, name: str) -> str:
    for field in fields_for(kind):
        if field.name == name:
            return field.label
    if kind == Kind.STUDENTS:
        try:
            return str(Student._meta.get_field(name).verbose_name)
        except Exception:
            return name
    return name.replace("_", " ").capitalize()


def _shown(row: RosterRow, kind: str, names: NamesShown) -> dict:
    """A preview row as the page shows it: who, and what changes, names starred under Hide
    Names."""
    values = row.values
    if row.student_id:
        who = names.label(row.student)
    elif row.staff_id:
        who = row.staff.full_name
    elif kind == Kind.STUDENTS:
        first = values.get("preferred_first_name") or values.get("legal_first_name") or ""
        last = values.get("preferred_last_name") or values.get("legal_last_name") or ""
        who = MASK if names.hidden else f"{first} {last}".strip() or "(no name)"
    else:
        who = f"{values.get('first_name', '')} {values.get('last_name', '')}".strip()
        who = who or values.get("email", "") or "(no name)"
    hidden = names.hidden
    changes = [
        (_label(kind, name), _value(name, old, hidden=hidden), _value(name, new, hidden=hidden))
        for name, (old, new) in row.changes.items()
    ]
    details = [
        (_label(kind, name), _value(name, value, hidden=names.hidden))
        for name, value in values.items()
        if value not in ("", None, False) and name not in {"on_roll"}
    ]
    reason = names.text(row.reason, [row.student] if row.student_id else []) if row.reason else ""
    return {
        "row": row,
        "who": who,
        "changes": changes,
        "details": details,
        "reason": reason,
    }
