"""The one place that decides who may do what. Unknown permissions are refused.

Each permission names a rule over the signed-in staff member. Views declare theirs with
`kestrel.access.decorators.requires`; a view that declares none is refused by the middleware.
Record-level rules (which incidents a user may see, as QuerySet filters) join this module as the
records arrive.
"""

from collections.abc import Callable

PUBLIC = "public"
SECOND_FACTOR_PENDING = "second_factor_pending"


def _signed_in(user) -> bool:
    return bool(user.is_authenticated and user.is_active)


def _school_admin(user) -> bool:
    return _signed_in(user) and user.is_school_admin


RULES: dict[str, Callable[..., bool]] = {
    PUBLIC: lambda user: True,
    # Signed in with a password, second factor not yet given: only the pages that ask for it.
    SECOND_FACTOR_PENDING: _signed_in,
    "signed_in": _signed_in,
    "configure_school": _school_admin,
    "manage_staff": _school_admin,
    "manage_students": _school_admin,
}


def allows(user, permission: str) -> bool:
    """Whether `user` holds `permission`; a permission with no rule is refused."""
    rule = RULES.get(permission)
    return bool(rule and rule(user))
