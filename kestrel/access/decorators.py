"""`@requires(permission)`: the declaration every view must make."""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.shortcuts import resolve_url

from kestrel.access.policy import NEEDS_KEY, PUBLIC, RULES, SECOND_FACTOR_PENDING, allows
from kestrel.access.refusals import KEY_LOCKED, NOT_ALLOWED, record_refusal, refuse
from kestrel.accounts import second_factor


def _page(request) -> str:
    """What was asked for, by the URL's name ("students:chronology")."""
    match = request.resolver_match
    return match.view_name if match is not None and match.url_name else "page"


def requires(permission: str):
    """Lets the view run only for users the policy allows; anonymous users are sent to sign in."""
    if permission not in RULES:
        raise ValueError(
            f"Unknown permission {permission!r}: add its rule to kestrel.access.policy"
        )

    def decorate(view):
        @wraps(view)
        def guarded(request, *args, **kwargs):
            if permission != PUBLIC:
                if not request.user.is_authenticated:
                    return redirect_to_login(request.get_full_path())
                if permission != SECOND_FACTOR_PENDING:
                    step = second_factor.state(request)
                    if step == second_factor.PENDING:
                        return redirect_to_login(
                            request.get_full_path(), resolve_url("accounts:verify")
                        )
                    if step == second_factor.ENROL:
                        return redirect_to_login(
                            request.get_full_path(), resolve_url("accounts:two_factor_setup")
                        )
                if (
                    permission in NEEDS_KEY
                    and request.user.is_key_holder
                    and not allows(request, permission)
                ):
                    if "pk" in kwargs:  # a record, asked for by its id
                        record_refusal(
                            request, kind=_page(request), asked=kwargs["pk"], reason=KEY_LOCKED
                        )
                    return redirect_to_login(request.get_full_path(), resolve_url("key:unlock"))
                if not allows(request, permission):
                    refuse(
                        request,
                        kind=_page(request),
                        asked=kwargs.get("pk", ""),
                        reason=NOT_ALLOWED,
                        forbidden=True,
                        permission=permission,
                    )
            return view(request, *args, **kwargs)

        guarded.kestrel_permission = permission
        return guarded

    return decorate
