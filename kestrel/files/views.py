"""Uploading files as they are dropped on a form, and the permission-checked download."""

from django.http import JsonResponse
from django.template.defaultfilters import filesizeformat
from django.views.decorators.http import require_POST

from kestrel.access.decorators import requires
from kestrel.files import services
from kestrel.files.checks import ALLOWED
from kestrel.files.doors import get_file_for_user
from kestrel.files.responses import as_download
from kestrel.files.selectors import students_about
from kestrel.students.names import NamesShown


@requires("signed_in")
@require_POST
def upload(request):
    """One file, uploaded the moment it is dropped; answers JSON for the form's script. The
    form says when a "No images" category is chosen: a picture is then refused, unkept (and
    refused again when the form is sent, whatever this said)."""
    upload = request.FILES.get("file")
    if upload is None:
        return JsonResponse({"error": "Choose a file to upload."}, status=400)
    try:
        attachment = services.store_upload(
            actor=request.user,
            upload=upload,
            request=request,
            no_pictures=request.POST.get("no_images") == "1",
        )
    except services.Refused as refusal:  # recorded by the service
        return JsonResponse({"error": str(refusal)}, status=400)
    return JsonResponse(
        {
            "id": attachment.pk,
            "name": attachment.original_name,
            "size": filesizeformat(attachment.size),
            "type": ALLOWED.get(attachment.content_type, attachment.content_type),
        }
    )


@requires("signed_in")
def download(request, key):
    """Gives a file back only to someone who may open its incident, always as a download. Every
    refusal is recorded, naming why, and answers 404 whether or not the file exists."""
    attachment = get_file_for_user(request, key, "download")
    handle = services.open_for_download(actor=request.user, attachment=attachment, request=request)
    # Under Hide Names the file's name, which may name a child, is starred out too.
    filename = NamesShown.of(request).file_name(
        attachment.original_name, students_about(attachment)
    )
    return as_download(handle, name=filename, content_type=attachment.content_type)
