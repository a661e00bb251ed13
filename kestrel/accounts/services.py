"""Signing in and out, second factors, password links and sessions. Each writes its audit event."""

from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.contrib.sessions.models import Session
from django.db import transaction
from django.utils import timezone
from django_otp import login as otp_login

from kestrel.accounts import devices, reauth, throttle
from kestrel.accounts.emails import normalise
from kestrel.accounts.middleware import SIGNED_IN_AT
from kestrel.accounts.models import SignInSession, User
from kestrel.accounts.second_factor import ENROL, EXEMPT_SESSION_KEY, NOT_REQUIRED, state
from kestrel.accounts.tasks import send_password_reset
from kestrel.audit.services import client_ip, record
from kestrel.tasks import enqueue_with_transaction


def account_named(email: str) -> User | None:
    """The account (active or not) whose address is `email`, in its one spelling (emails.py)."""
    return User.all_schools.select_related("school").filter(email=normalise(email)).first()


def _lockout_key(email: str, account: User | None) -> str:
    """What a sign-in lockout counts: the account when the address names one (whatever spelling
    found it), otherwise the address itself, so unknown addresses lock exactly as real ones do."""
    return f"account:{account.pk}" if account is not None else f"address:{normalise(email)}"


# Password links -----------------------------------------------------------------------------


def request_password_reset(*, email: str, request) -> None:
    """Queues a password link for this address; known and unknown addresses are treated alike.

    The worker looks the address up, so the request does the same work either way. At most three
    links an hour go to one address, and thirty from one IP address.
    """
    ip = client_ip(request) or "unknown"
    email = normalise(email)
    # The IP limit is for unknown browsers: a person's own browser still gets their link when
    # someone behind the school's address has used up its allowance (devices.py).
    refused = throttle.is_limited("password_link.address", email) or (
        throttle.is_limited("password_link.ip", ip) and not devices.trusts_address(request, email)
    )
    with transaction.atomic():
        record(
            action="password.link_refused" if refused else "password.link_requested",
            request=request,
            detail={"rule": "too many links"} if refused else {},
        )
        if refused:
            return
        throttle.count("password_link.address", email)
        throttle.count("password_link.ip", ip)
        # Written with the audit row (database queue): no moment where a dying process loses it.
        enqueue_with_transaction(send_password_reset, email)


def record_password_set(*, user, request, how: str) -> None:
    record(action=f"password.{how}", actor=user, request=request)


# Signing in -------------------------------------------------------------------------------


def sign_in_refused(*, email: str, request) -> bool:
    """Whether this sign-in attempt is locked out; a refusal is audited.

    A browser that has signed in fully as this account before (devices.py) answers only to its
    own lock; any other browser to the account's (or unknown address's) lock and the IP limit.
    """
    account = account_named(email)
    device = devices.trusted_device(request, account)
    if device is not None:
        refused = throttle.is_limited("signin.device", device)
    else:
        ip = client_ip(request) or "unknown"
        refused = throttle.is_limited(
            "signin.account", _lockout_key(email, account)
        ) or throttle.is_limited("signin.ip", ip)
    if refused:
        record(action="signin.refused", request=request, detail={"rule": "lockout"})
    return refused


def record_failed_sign_in(*, email: str, request) -> None:
    user = account_named(email)
    device = devices.trusted_device(request, user)
    with transaction.atomic():
        if device is not None:
            throttle.count("signin.device", device)
        else:
            throttle.count("signin.account", _lockout_key(email, user))
            throttle.count("signin.ip", client_ip(request) or "unknown")
        record(
            action="signin.failed",
            actor=user,
            request=request,
            school=user.school if user else None,
            detail={} if user else {"unknown_email": True},
        )


def sign_in(*, user, request) -> str:
    """Signs in after a correct password; returns what comes next: a second factor or nothing."""
    auth_login(request, user)  # a new session id
    throttle.clear("signin.account", _lockout_key(user.email, user))
    if (device := devices.trusted_device(request, user)) is not None:
        throttle.clear("signin.device", device)
    throttle.prune()  # counts older than a day matter to no rule
    request.session[SIGNED_IN_AT] = timezone.now().isoformat()
    next_step = state(request)
    if next_step == NOT_REQUIRED:
        request.session[EXEMPT_SESSION_KEY] = True
    if next_step in {NOT_REQUIRED, ENROL}:
        reauth.mark(request)  # no second factor to give: the password was everything
        devices.trust(request, user)  # signed in fully: no second factor is asked of them
    with transaction.atomic():
        SignInSession.objects.create(
            user=user,
            session_key=request.session.session_key,
            ip_address=client_ip(request),
            user_agent=request.headers.get("user-agent", "")[:300],
        )
        record(action="signin.succeeded", actor=user, request=request, detail={"next": next_step})
    return next_step


def second_factor_refused(*, request) -> bool:
    ip = client_ip(request) or "unknown"
    user = request.user
    # The IP limit is for unknown browsers, as at the password step (devices.py).
    ip_limited = devices.trusted_device(request, user) is None and throttle.is_limited(
        "second_factor.ip", ip
    )
    if throttle.is_limited("second_factor.account", str(user.pk)) or ip_limited:
        record(action="second_factor.refused", request=request, detail={"rule": "lockout"})
        return True
    return False


def record_failed_second_factor(*, request, kind: str) -> None:
    with transaction.atomic():
        throttle.count("second_factor.account", str(request.user.pk))
        if devices.trusted_device(request, request.user) is None:
            throttle.count("second_factor.ip", client_ip(request) or "unknown")
        record(action="second_factor.failed", request=request, detail={"kind": kind})


def complete_second_factor(*, request, device, kind: str) -> None:
    """Marks the session as verified with `device`, under a new session id."""
    old_key = request.session.session_key
    otp_login(request, device)
    request.session.cycle_key()
    reauth.mark(request)  # signing in counts as confirming it is you, for a few minutes
    throttle.clear("second_factor.account", str(request.user.pk))
    devices.trust(request, request.user)  # signed in fully: this browser is now trusted
    with transaction.atomic():
        SignInSession.objects.filter(user=request.user, session_key=old_key).update(
            session_key=request.session.session_key, second_factor_at=timezone.now()
        )
        record(action="second_factor.succeeded", request=request, detail={"kind": kind})


def session_key_changed(*, user, old_key: str | None, request) -> None:
    """Keeps the sign-in record in step when Django gives the session a new id."""
    if old_key and old_key != request.session.session_key:
        SignInSession.objects.filter(user=user, session_key=old_key).update(
            session_key=request.session.session_key
        )


def needs_enrolment(request) -> bool:
    return state(request) == ENROL


# Signing out ------------------------------------------------------------------------------


def sign_out(*, request) -> None:
    """Ends this session for real: the server forgets it."""
    if request.user.is_authenticated:
        with transaction.atomic():
            SignInSession.objects.filter(
                user=request.user, session_key=request.session.session_key, ended_at=None
            ).update(ended_at=timezone.now())
            record(action="signout", request=request)
    auth_logout(request)


def end_other_sessions(*, user, keep_session_key: str | None, request=None) -> int:
    """Signs the user out everywhere except (optionally) this session."""
    with transaction.atomic():
        rows = SignInSession.objects.filter(user=user, ended_at=None)
        if keep_session_key:
            rows = rows.exclude(session_key=keep_session_key)
        keys = list(rows.values_list("session_key", flat=True))
        Session.objects.filter(session_key__in=keys).delete()
        ended = rows.update(ended_at=timezone.now())
        record(
            action="signout.everywhere",
            actor=user,
            request=request,
            detail={"sessions_ended": ended},
        )
    return ended
