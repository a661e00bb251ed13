"""Student pages (the chronology arrives with incidents), and the Hide Names switch."""

from django.db import transaction
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from kestrel.access.decorators import requires
from kestrel.audit.services import record
from kestrel.students.names import HIDE_NAMES_SESSION_KEY, names_hidden


@requires("signed_in")
@require_POST
def hide_names(request):
    """The guide's Hide Names button; pressed again (now "Show Names") it shows them."""
    hidden = not names_hidden(request)
    request.session[HIDE_NAMES_SESSION_KEY] = hidden
    with transaction.atomic():
        record(action="names.hidden" if hidden else "names.shown", request=request)
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = "/dashboard/"
    return redirect(back)
