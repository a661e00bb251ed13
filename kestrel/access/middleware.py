"""Fail closed: a view that has not declared its permission is never run."""

from django.core.exceptions import PermissionDenied
from django.utils.cache import add_never_cache_headers, patch_cache_control

from kestrel.access import working_school
from kestrel.access.refusals import SendToUnlock
from kestrel.schools.scope import scope


class PrivatePagesMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        request.school = user.school if user is not None and user.is_authenticated else None
        response = self.get_response(request)
        if user is not None and user.is_authenticated:
            # Signed-in pages hold personal data: no cache may keep them, the browser included.
            add_never_cache_headers(response)
            patch_cache_control(response, no_store=True, private=True)
        return response

    def process_exception(self, request, exception):
        # A door met a key holder whose key is locked: to unlock it, then back to this page.
        if isinstance(exception, SendToUnlock):
            return exception.response
        return None

    def process_view(self, request, view_func, view_args, view_kwargs):
        if getattr(view_func, "kestrel_permission", None) is None:
            raise PermissionDenied("This page has not declared who may open it.")
        return None


class SchoolScopeMiddleware:
    """A signed-in request reads its own school's rows, and only them (kestrel.schools.scope):
    the whole request, the view, its templates and its audit events, run in the user's school's
    scope. An anonymous request has none: the sign-in pages use the unscoped sign-in path. A
    user who has switched to another school of their trust works there (working_school)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return self.get_response(request)
        working_school.apply(request)
        with scope(school=user.school_id):
            return self.get_response(request)
