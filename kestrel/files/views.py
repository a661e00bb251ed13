"""Uploading files as they are dropped on a form, and the permission-checked download."""

from django.db import transaction
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404
from django.template.defaultfilters import filesizeformat
from django.views.decorators.http import require_POST

from kestrel.access.decorators import requires
from kestrel.access.records import Viewer, visible_incidents
from kestrel.audit.services import record
from kestrel.files import services
from kestrel.files.checks import ALLOWED
from kestrel.files.models import Attachment
from kestrel.files.responses import as_download
from kestrel.students.names import names_hidden, text_as_shown


@requires("signed_in")
@require_POST
def upload(request):
    """One file, uploaded the moment it is dropped; answers JSON for the form's script."""
    upload = request.FILES.get("file")
    if upload is None:
        return JsonResponse({"error": "Choose a file to upload."}, status=400)
    try:
        attachment = services.store_upload(actor=request.user, upload=upload, request=request)
    except services.Refused as refusal:
        with transaction.atomic():
            # The reason, not the message: the message names the file, which may name a child.
            record(action="file.refused", request=request, detail={"reason": refusal.reason})
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
    """Gives a file back only to someone who may open its incident, always as a download."""
    attachment = get_object_or_404(
        Attachment.objects.filter(school=request.school, incident__isnull=False), key=key
    )
    if not visible_incidents(Viewer.of(request)).filter(pk=attachment.incident_id).exists():
        with transaction.atomic():
            record(action="access.refused", request=request, detail={"file": str(key)})
        raise Http404("No file you may open")
    handle = services.open_for_download(actor=request.user, attachment=attachment, request=request)
    filename = attachment.original_name
    if names_hidden(request):
        # Under Hide Names the file's name, which may name a child, is starred out too.
        incident = attachment.incident
        about = [incident.student, *(link.student for link in incident.links.all())]
        filename = text_as_shown(request, about)(filename)
    return as_download(handle, name=filename, content_type=attachment.content_type)
