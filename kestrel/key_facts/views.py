"""The key facts pages: adding, changing and ending a contact or a professional, the notes, and
the history of every change. Each page is for key holders with their key unlocked, for a student
of their school, and each look at one is on the audit trail."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse

from kestrel.access.decorators import requires
from kestrel.access.redirects import safe_next
from kestrel.audit.services import record
from kestrel.key_facts import selectors, services
from kestrel.key_facts.forms import (
    ChangeContactForm,
    ContactForm,
    EndForm,
    NotesForm,
    ProfessionalForm,
)
from kestrel.students.doors import get_student_for_user
from kestrel.students.names import NamesShown


def _student(request, pk):
    return get_student_for_user(request, pk, "case_file")


def _back(request, student) -> str:
    """The page the editor came from (`next`, if it is on this site), else the history."""
    asked = request.POST.get("next") or request.GET.get("next")
    if asked and safe_next(request) == asked:
        return asked
    return reverse("key_facts:history", args=[student.pk])


def _page(request, student, template: str, context: dict):
    """Renders a key facts page, recording that the viewer saw the child's key facts."""
    record(
        action="key_facts.viewed",
        request=request,
        obj=student,
        student=student,
        detail={"page": request.resolver_match.url_name},
    )
    context.update(
        student=student, label=NamesShown.of(request).label(student), back=_back(request, student)
    )
    return render(request, template, context)


def _saved(request, form, student, save, done: str):
    """If the form was sent and is valid, saves it with `save(values, started_from)`: then the
    message `done` and back where the editor came from. Otherwise None: the form keeps what was
    typed, with why it was refused (a change someone else saved meanwhile is in the form's
    `changed_meanwhile`)."""
    if request.method != "POST" or not form.is_valid():
        return None
    try:
        save(form.values(), form.started_from)
    except services.ChangedMeanwhile as changed:
        form.changed_meanwhile(changed)
        return None
    except ValidationError as error:
        form.add_error(None, error)
        return None
    messages.success(request, done)
    return redirect(_back(request, student))


def _current(version):
    """A contact or professional as found, or 404 if the child has none by that id."""
    if version is None:
        raise Http404("No such contact or professional for this student.")
    return version


def _initial(version) -> dict:
    return {"version": version.number, **{f: getattr(version, f) for f in version.FIELDS}}


@requires("keep_case_file")
def history(request, pk):
    """Key facts history: the current key facts, then every change, newest first."""
    student = _student(request, pk)
    names = NamesShown.of(request)
    return _page(
        request,
        student,
        "key_facts/history.html",
        {
            "key_facts": selectors.front_sheet(student, names=names),
            "entries": selectors.history(student, names=names),
            "on_history": True,
        },
    )


@requires("keep_case_file")
def add_contact(request, pk):
    student = _student(request, pk)
    form = ContactForm(request.POST or None)

    def save(values, started_from):
        services.add_contact(actor=request.user, student=student, request=request, **values)

    done = _saved(request, form, student, save, "Contact added.")
    return done or _page(
        request, student, "key_facts/contact.html", {"form": form, "heading": "Add contact"}
    )


@requires("keep_case_file")
def edit_contact(request, pk, contact):
    student = _student(request, pk)
    current = _current(selectors.contact_for(student, contact))
    if current.ended and request.method != "POST":
        raise Http404("This contact is no longer involved.")
    form = ChangeContactForm(request.POST or None, initial=_initial(current))

    def save(values, started_from):
        services.change_contact(
            actor=request.user,
            contact=current.contact,
            started_from=started_from,
            request=request,
            **values,
        )

    done = _saved(request, form, student, save, f"Contact {current.name} saved.")
    return done or _page(
        request,
        student,
        "key_facts/contact.html",
        {"form": form, "heading": "Change contact", "current": current},
    )


@requires("keep_case_file")
def end_contact(request, pk, contact):
    student = _student(request, pk)
    current = _current(selectors.contact_for(student, contact))
    return _end(request, student, current, services.end_contact, "contact")


@requires("keep_case_file")
def add_professional(request, pk):
    student = _student(request, pk)
    form = ProfessionalForm(request.POST or None)

    def save(values, started_from):
        services.add_professional(actor=request.user, student=student, request=request, **values)

    done = _saved(request, form, student, save, "Professional added.")
    return done or _page(
        request,
        student,
        "key_facts/professional.html",
        {"form": form, "heading": "Add professional"},
    )


@requires("keep_case_file")
def edit_professional(request, pk, professional):
    student = _student(request, pk)
    current = _current(selectors.professional_for(student, professional))
    if current.ended and request.method != "POST":
        raise Http404("This professional is no longer involved.")
    form = ProfessionalForm(request.POST or None, initial=_initial(current))

    def save(values, started_from):
        services.change_professional(
            actor=request.user,
            professional=current.professional,
            started_from=started_from,
            request=request,
            **values,
        )

    done = _saved(request, form, student, save, f"Professional {current.name} saved.")
    return done or _page(
        request,
        student,
        "key_facts/professional.html",
        {"form": form, "heading": "Change professional", "current": current},
    )


@requires("keep_case_file")
def end_professional(request, pk, professional):
    student = _student(request, pk)
    current = _current(selectors.professional_for(student, professional))
    return _end(request, student, current, services.end_professional, "professional")


def _end(request, student, current, end, kind: str):
    """The page that records a contact or professional is no longer involved, and why."""
    if current.ended and request.method != "POST":
        raise Http404(f"This {kind} is no longer involved already.")
    form = EndForm(request.POST or None, initial={"version": current.number})

    def save(values, started_from):
        owner = {kind: getattr(current, kind)}
        end(actor=request.user, started_from=started_from, request=request, **owner, **values)

    done = _saved(request, form, student, save, f"{current.name} is no longer involved.")
    return done or _page(
        request,
        student,
        "key_facts/end.html",
        {"form": form, "current": current, "heading": f"{current.name}: no longer involved"},
    )


@requires("keep_case_file")
def edit_notes(request, pk):
    student = _student(request, pk)
    notes = selectors.current_notes(student)
    initial = {"version": notes.number, "text": notes.text} if notes else {"version": 0}
    form = NotesForm(request.POST or None, initial=initial)

    def save(values, started_from):
        services.save_notes(
            actor=request.user,
            student=student,
            started_from=started_from,
            text=values["text"],
            request=request,
        )

    done = _saved(request, form, student, save, "Notes saved.")
    return done or _page(
        request, student, "key_facts/notes.html", {"form": form, "notes": notes, "heading": "Notes"}
    )
