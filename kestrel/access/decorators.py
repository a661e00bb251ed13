"""`@requires(permission)`: the declaration every view must make."""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.shortcuts import resolve_url

from kestrel.access.policy import NEEDS_KEY, PUBLIC, RULES, SECOND_FACTOR_PENDING, allows
from kestrel.accounts import second_factor
from kestrel.audit.services import record


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
                    return redirect_to_login(request.get_full_path(), resolve_url("key:unlock"))
                if not allows(request, permission):
                    with transaction.atomic():
                        record(
                            action="access.refused",
                            request=request,
                            detail={"permission": permission, "path": request.path},
                        )
                    raise PermissionDenied
            return view(request, *args, **kwargs)

        guarded.kestrel_permission = permission
        return guarded

    return decorate
