"""The Library: documents and guidance the DSL publishes for staff."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from kestrel.access.decorators import requires
from kestrel.access.policy import allows
from kestrel.access.refusals import record_refused_choices
from kestrel.files.checks import ALLOWED, Refused
from kestrel.files.responses import as_download
from kestrel.library import selectors, services
from kestrel.library.doors import (
    get_document_for_user,
    get_document_version_for_user,
)
from kestrel.library.forms import PublishForm, VersionForm


@requires("signed_in")
def library(request):
    """Every document, by category, with whether the reader has confirmed each policy."""
    documents = list(selectors.documents())
    read = selectors.versions_read_by(request.user)
    categories = {}
    for document in documents:
        current = document.versions.all()[0]
        categories.setdefault(document.category, []).append(
            {"document": document, "current": current, "read": current.pk in read}
        )
    return render(
        request,
        "library/library.html",
        {
            "categories": sorted(
                categories.items(), key=lambda item: (item[0].position, item[0].name)
            ),
            "can_publish": allows(request, "manage_library"),
        },
    )


@requires("signed_in")
def document(request, pk):
    doc = get_document_for_user(request, pk, "open")
    return _document_page(request, doc, VersionForm())


def _document_page(request, doc, form):
    """The document's page; `form` is the new-version form, with what was typed if refused."""
    versions = list(doc.versions.all())
    current = versions[0]
    can_publish = allows(request, "manage_library")
    readers = selectors.readers(current) if doc.is_policy and can_publish else []
    return render(
        request,
        "library/document.html",
        {
            "doc": doc,
            "current": current,
            "versions": versions,
            "has_read": selectors.has_read(current, request.user),
            "can_publish": can_publish,
            "readers": readers,
            "read_count": sum(1 for row in readers if row["read_at"]),
            "form": form,
        },
    )


@requires("signed_in")
def download(request, pk, number):
    version = get_document_version_for_user(request, pk, number, "download")
    return as_download(
        services.open_for_download(actor=request.user, version=version, request=request),
        name=version.original_name,
        content_type=version.content_type,
    )


@requires("signed_in")
@require_POST
def confirm_read(request, pk):
    doc = get_document_for_user(request, pk, "confirm_read")
    services.confirm_read(actor=request.user, version=doc.versions.all()[0], request=request)
    messages.success(request, f"Thank you: you have confirmed you read “{doc.title}”.")
    return redirect("library:document", pk=doc.pk)


@requires("manage_library")
def publish(request):
    form = PublishForm(request.POST or None, request.FILES or None, school=request.school)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            category = data["category"] or services.category_named(
                school=request.school, name=data["new_category"]
            )
            doc = services.publish(
                actor=request.user,
                request=request,
                title=data["title"],
                category=category,
                summary=data["summary"],
                is_policy=data["is_policy"],
                upload=data["file"],
            )
        except Refused as refusal:
            form.add_error("file", str(refusal))
        else:
            messages.success(request, f"“{doc.title}” is now in the Library.")
            return redirect("library:document", pk=doc.pk)
    if request.method == "POST":
        record_refused_choices(request, form)
    return render(request, "library/publish.html", {"form": form, "type_names": ALLOWED})


@requires("manage_library")
@require_POST
def add_version(request, pk):
    doc = get_document_for_user(request, pk, "add_version")
    form = VersionForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            version = services.add_version(
                actor=request.user,
                document=doc,
                upload=form.cleaned_data["file"],
                notes=form.cleaned_data["notes"],
                request=request,
            )
        except Refused as refusal:
            form.add_error("file", str(refusal))
        else:
            messages.success(request, f"Version {version.number} of “{doc.title}” is published.")
            return redirect("library:document", pk=doc.pk)
    # Refused: the page again, with the message at the file and "What changed" as typed.
    return _document_page(request, doc, form)
