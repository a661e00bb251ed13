"""How a kept file leaves Kestrel: always as a download, named and typed as the type found."""

from django.http import FileResponse

from kestrel.files.checks import named


def as_download(handle, *, name: str, content_type: str) -> FileResponse:
    """A download the browser will not open in the page or sniff as another type. The name
    carries the extension of the type found, given in RFC 6266 form (`filename*=`) when it is
    not plain ASCII."""
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=named(name, content_type),
        content_type=content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
