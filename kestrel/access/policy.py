"""The one place that decides who may do what. Unknown permissions are refused.

Page permissions are rules over the request's signed-in staff member; views declare theirs with
`kestrel.access.decorators.requires`, and a view that declares none is refused by the middleware.
Which records a person may see is decided by each kind's policy (`kestrel.access.policies`), as
QuerySet filters that every list, count and detail page uses alike.
"""

from collections.abc import Callable

from kestrel.access.keys import key_unlocked
from kestrel.accounts import trusts

PUBLIC = "public"
SECOND_FACTOR_PENDING = "second_factor_pending"


def _signed_in(request) -> bool:
    user = request.user
    return bool(user.is_authenticated and user.is_active)


def _school_admin(request) -> bool:
    return _signed_in(request) and request.user.is_school_admin


def _key_holder(request) -> bool:
    return _signed_in(request) and request.user.is_key_holder


def _key_unlocked(request) -> bool:
    return _key_holder(request) and key_unlocked(request)


def _trust_lead(request) -> bool:
    # A trust's pages show no child's record, but a second factor is given first all the same.
    user = request.user
    verified = getattr(user, "is_verified", lambda: False)()
    return _signed_in(request) and verified and trusts.is_trust_lead(user)


RULES: dict[str, Callable[..., bool]] = {
    PUBLIC: lambda request: True,
    # Signed in with a password, second factor not yet given: only the pages that ask for it.
    SECOND_FACTOR_PENDING: _signed_in,
    "signed_in": _signed_in,
    "configure_school": _school_admin,
    "manage_staff": _school_admin,
    "manage_students": _school_admin,
    "use_key": _key_holder,
    # The DSL team publishes the Library's documents and sees who has read each policy.
    "manage_library": _key_holder,
    # The staff training log: the administrator and the DSL team keep it (no child data).
    "manage_training": lambda request: _school_admin(request) or _key_holder(request),
    # Pages that show records across students: key holders, with their key unlocked.
    "view_audit_trail": _key_unlocked,
    "view_chronology": _key_unlocked,
    # A child's case file (key facts, statuses, referrals, decisions) and the caseload.
    "keep_case_file": _key_unlocked,
    # The reports for governors and inspectors, and the DSL's pattern report.
    "view_reports": _key_unlocked,
    # The trust's pages (its schools side by side): the trust safeguarding lead.
    "view_trust": _trust_lead,
}

# Permissions a key holder gets by unlocking their key: while it is locked they are sent to
# unlock it rather than refused.
NEEDS_KEY = {"view_audit_trail", "view_chronology", "keep_case_file", "view_reports"}


def allows(request, permission: str) -> bool:
    """Whether the request's user holds `permission`; a permission with no rule is refused."""
    rule = RULES.get(permission)
    return bool(rule and rule(request))
