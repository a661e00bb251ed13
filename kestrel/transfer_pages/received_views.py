"""The pages of child protection files received from another school on Kestrel: the list, one
file (who sent it, the child as the file names them, the records, downloads), and what a key
holder does with it (match, accept, refuse, record the review). Key holders of the school only,
with their key unlocked; every page that shows child data is recorded in the audit trail."""

import zipfile

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.http import require_POST

from kestrel import notices
from kestrel.access.decorators import requires
from kestrel.access.refusals import get_for_user
from kestrel.accounts.selectors import active_colleagues
from kestrel.audit.services import record
from kestrel.forms import KestrelForm, text_box
from kestrel.ids import is_id
from kestrel.students.doors import get_student_for_user
from kestrel.students.models import Student
from kestrel.students.names import NamesShown
from kestrel.transfer_pages import receiving
from kestrel.transfers.models import Received, ReceivedState


class MatchForm(KestrelForm):
    student = forms.ChoiceField(
        label="Which student is this file about?", choices=(), required=False
    )
    upn = forms.CharField(
        label="Or enter the student's UPN",
        max_length=13,
        required=False,
        help_text="Their UPN here, 13 characters, for example A123456789012.",
    )

    def __init__(self, *args, candidates=(), names=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["student"].choices = [
            (found.student.pk, names.label(found.student)) for found in candidates
        ]
        self.fields["student"].widget = forms.RadioSelect(choices=self.fields["student"].choices)

    def clean(self):
        data = super().clean()
        if not data.get("student") and not (data.get("upn") or "").strip():
            raise ValidationError("Choose a student, or enter their UPN.")
        return data


class AcceptForm(KestrelForm):
    also_alert = forms.MultipleChoiceField(
        label="Colleagues to alert",
        choices=(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="They get an email asking them to see you about this file, for example the "
        "SENCO. The email does not name the child.",
    )

    def __init__(self, *args, colleagues=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["also_alert"].choices = [
            (user.pk, f"{user.full_name}, {user.job_title}" if user.job_title else user.full_name)
            for user in colleagues
        ]


class RefuseForm(KestrelForm):
    reason = forms.CharField(
        label="Why are you refusing this file?",
        max_length=300,
        help_text="For example: not our pupil. Your reason is sent to the school that sent the "
        "file, so that it can send it to the right school: do not name the child.",
    )


class ReviewForm(KestrelForm):
    note = text_box(
        "What you found and what you did",
        rows=6,
        help_text="This is added to the child's chronology.",
    )


def _received(request, pk) -> Received:
    """A received file of the key holder's school (404, recorded, for any other)."""
    rows = Received.objects.filter(school_id=request.user.school_id).select_related(
        "student", "accepted_by", "reviewed_by"
    )
    return get_for_user(request, rows, kind="received_file", pk=pk)


def _colleagues(request):
    return list(
        active_colleagues()
        .filter(school_id=request.user.school_id)
        .exclude(pk=request.user.pk)
        .order_by("last_name", "first_name")
    )


@requires("keep_case_file")
def received_list(request):
    """Files received from other schools: to match or accept, to review, and the history."""
    groups = receiving.received_files(request.user.school_id)
    names = NamesShown.of(request)
    rows = {
        group: [{"received": row, "child": _child_label(row, names)} for row in found]
        for group, found in groups.items()
    }
    record(
        action="transfer.received_listed",
        request=request,
        detail={"files": sum(len(found) for found in groups.values())},
    )
    return render(request, "transfer_pages/received_list.html", rows)


def _child_label(received: Received, names: NamesShown) -> str:
    if received.student is not None:
        return names.label(received.student)
    return names.column(received.child_name, is_name=True)


def _records_listed(data: dict) -> list[dict]:
    """Each record of the package as the file's page lists it: its date, kind, heading and
    author (the text is read in the PDF or, once accepted, on the chronology)."""
    out = []
    for item in data.get("records") or []:
        if not isinstance(item, dict):
            continue
        incident = item.get("kind") == "incident"
        moment = parse_datetime(
            str(item.get("occurred_at") if incident else item.get("happened_at") or "")
        )
        author = item.get("author") or {}
        out.append(
            {
                "at": moment,
                "kind": "Incident" if incident else "Case file entry",
                "heading": ", ".join(str(name) for name in item.get("categories") or [])
                if incident
                else str(item.get("summary") or ""),
                "author": author.get("name", "") if isinstance(author, dict) else str(author),
                "role": author.get("role", "") if isinstance(author, dict) else "",
                "actions": len(item.get("actions") or []) if incident else 0,
                "corrections": len(item.get("corrections") or []) if incident else 0,
            }
        )
    return out


def _page(request, received: Received, **forms_):
    names = NamesShown.of(request)
    try:
        data = receiving.package_data(received)
    except (FileNotFoundError, KeyError, ValueError, zipfile.BadZipFile):
        data = {}
    waiting = received.state in (ReceivedState.HELD, ReceivedState.WAITING)
    found = receiving.candidates(received) if waiting else []
    context = {
        "received": received,
        "child": _child_label(received, names),
        "child_name": names.column(received.child_name or "Not given", is_name=True),
        "match_withheld": names.hidden,  # matching needs the names shown
        "date_of_birth": "Hidden"
        if names.hidden
        else (received.child_date_of_birth and received.child_date_of_birth.strftime("%-d %B %Y")),
        "student_label": names.label(received.student) if received.student else "",
        "candidates": [
            {"candidate": candidate, "label": names.label(candidate.student)} for candidate in found
        ],
        "records_listed": _records_listed(data),
        "files": receiving.package_files(data)[1:],
        "package_readable": bool(data),
        "match_form": forms_.get("match_form")
        or (MatchForm(candidates=found, names=names) if waiting else None),
        "accept_form": forms_.get("accept_form")
        or (
            AcceptForm(colleagues=_colleagues(request))
            if received.state == ReceivedState.WAITING
            else None
        ),
        "refuse_form": forms_.get("refuse_form") or (RefuseForm() if waiting else None),
        "review_form": forms_.get("review_form")
        or (
            ReviewForm()
            if received.state == ReceivedState.ACCEPTED and received.reviewed_at is None
            else None
        ),
        "show": forms_.get("show", ""),
    }
    record(
        action="transfer.received_viewed",
        request=request,
        obj=received,
        student=received.student,
    )
    return render(request, "transfer_pages/received.html", context)


@requires("keep_case_file")
def received(request, pk):
    """One received file: who sent it and when, the child as the file names them, the student
    it is matched to (or the form to match it), its records and files, and what to do next."""
    return _page(request, _received(request, pk))


def _refused(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, messages_ in error.message_dict.items():
            form.add_error(field if field in form.fields else None, messages_)
    else:
        form.add_error(None, error.messages)


def _chosen_student(request, form, received: Received) -> Student | None:
    """The student the match form names: a candidate, or the student with the UPN typed
    (their UPN here or a former one). Through the student door: this school's only."""
    chosen = form.cleaned_data.get("student")
    if chosen:
        if not is_id(chosen):
            raise Http404("No such student")
        return get_student_for_user(request, int(chosen), "case_file")
    upn = form.cleaned_data["upn"].strip().upper()
    found = Student.objects.filter(
        Q(upn=upn) | Q(former_upns__icontains=upn), school_id=request.user.school_id
    )
    found = [s for s in found if upn in {s.upn.upper(), *receiving.upns_of(s.former_upns)}]
    if len(found) != 1:
        form.add_error(
            "upn",
            "No student here has this UPN." if not found else "More than one student has this UPN.",
        )
        return None
    return found[0]


@requires("keep_case_file")
@require_POST
def received_match(request, pk):
    """A key holder matches a held file to a student of the school (they decide; the
    candidates only help)."""
    received_ = _received(request, pk)
    names = NamesShown.of(request)
    found = receiving.candidates(received_)
    form = MatchForm(request.POST, candidates=found, names=names)
    if form.is_valid():
        student = _chosen_student(request, form, received_)
        if student is not None:
            try:
                receiving.match(
                    actor=request.user, received=received_, student=student, request=request
                )
            except ValidationError as error:
                _refused(form, error)
            else:
                notices.success(request, "The file is matched. Check it, then accept it.")
                return redirect("transfer_pages:received", pk=received_.pk)
    return _page(request, received_, match_form=form, show="match")


def _carry_out(request, received_, form, *, show: str, do, done: str, then: str):
    """A form's POST on a received file: `do(data)` (a service, given the form's cleaned data)
    when the form is valid, then `done` as the notice and on to `then` (the file's page or the
    list); a refusal goes beside the fields and the page comes again with what was typed."""
    if form.is_valid():
        try:
            do(form.cleaned_data)
        except ValidationError as error:
            _refused(form, error)
        else:
            notices.success(request, done)
            if then == "transfer_pages:received":
                return redirect(then, pk=received_.pk)
            return redirect(then)
    return _page(request, received_, **{f"{show}_form": form}, show=show)


@requires("keep_case_file")
@require_POST
def received_accept(request, pk):
    """A key holder accepts the file: its records join the child's chronology and the sending
    school is told it was received."""
    received_ = _received(request, pk)
    colleagues = _colleagues(request)

    def accept(data):
        chosen = {int(value) for value in data["also_alert"]}
        receiving.accept(
            actor=request.user,
            received=received_,
            also_alert=[user for user in colleagues if user.pk in chosen],
            request=request,
        )

    return _carry_out(
        request,
        received_,
        AcceptForm(request.POST, colleagues=colleagues),
        show="accept",
        do=accept,
        done="File accepted. Its records are on the child's chronology and the receipt is on its "
        "way to the sending school. Review the file and record what you found.",
        then="transfer_pages:received",
    )


@requires("keep_case_file")
@require_POST
def received_refuse(request, pk):
    """A key holder refuses a file that is not for this school: nothing joins a chronology."""
    received_ = _received(request, pk)
    return _carry_out(
        request,
        received_,
        RefuseForm(request.POST),
        show="refuse",
        do=lambda data: receiving.refuse(
            actor=request.user, received=received_, reason=data["reason"], request=request
        ),
        done="File refused. Nothing from it was added to any record.",
        then="transfer_pages:received_list",
    )


@requires("keep_case_file")
@require_POST
def received_review(request, pk):
    """Records the review of an accepted file: what was found and what was done."""
    received_ = _received(request, pk)
    return _carry_out(
        request,
        received_,
        ReviewForm(request.POST),
        show="review",
        do=lambda data: receiving.review(
            actor=request.user, received=received_, note=data["note"], request=request
        ),
        done="Review recorded. It is on the child's chronology.",
        then="transfer_pages:received",
    )


@requires("keep_case_file")
def received_download(request, pk):
    """The file's PDF, or with `?file=<n>` one of its attached files; recorded in the audit
    trail."""
    received_ = _received(request, pk)
    asked = request.GET.get("file", "0")
    if not is_id(asked) and asked != "0":
        raise Http404("No such file")
    try:
        data, held = receiving.package_contents(received_)
    except (FileNotFoundError, KeyError, ValueError, zipfile.BadZipFile):
        raise Http404("No such file") from None
    listed = receiving.package_files(data)
    chosen = next((found for found in listed if found.number == int(asked)), None)
    if chosen is None or chosen.path not in held:
        raise Http404("No such file")
    record(
        action="transfer.received_downloaded",
        request=request,
        obj=received_,
        student=received_.student,
        detail={"file": chosen.number},
    )
    day = timezone.localtime(received_.received_at).date().isoformat()
    name = (
        f"child-protection-file-received-{received_.pk}-{day}.pdf"
        if chosen.number == 0
        else f"received-{received_.pk}-{chosen.number}-{_safe(chosen.name)}"
    )
    response = StreamingHttpResponse(
        receiving.file_pieces(received_, chosen.path),
        content_type="application/pdf" if chosen.number == 0 else "application/octet-stream",
    )
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _safe(name: str) -> str:
    """A file name for the Content-Disposition header: letters, digits, dot, dash, underscore."""
    kept = "".join(
        char if char.isascii() and (char.isalnum() or char in ".-_") else "-" for char in name
    )
    return kept.strip(".-")[:100] or "file"
