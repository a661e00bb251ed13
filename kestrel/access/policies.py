"""One policy per kind of record, each answering the same three questions:

- `visible(viewer)`: the records the viewer may see, as a QuerySet filter (every list, count,
  export and detail page starts from it);
- `can(viewer, action, obj)`: whether the viewer may do `action` to one record;
- `users_who_can(action, obj)`: who would normally be able to do it (the red names under "Alert
  Staff Members" are those who are not).

Fail closed: `policy_for` raises `UnknownKind` for a kind with no policy, and `can` and
`users_who_can` raise `UnknownAction` for an action the policy does not name. Services ask `can`
themselves; views obtain records only through the doors in `kestrel.access.doors`.

"Would normally" treats every key as unlocked: a key holder is among `users_who_can("open",
incident)` when their key, once unlocked, opens the incident, whether or not it is unlocked now.
Their alerts and their own recent incidents count as `visible` counts them.
"""

import datetime
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, Model, OuterRef, Q, QuerySet
from django.utils import timezone

from kestrel.access.keys import key_unlocked
from kestrel.accounts.models import User
from kestrel.alerts.models import Alert
from kestrel.files.models import Attachment
from kestrel.incidents.models import Action, Incident
from kestrel.library.models import Document
from kestrel.students.models import Student

MY_HISTORY_DAYS = 7


class UnknownKind(LookupError):
    """A kind of record with no policy: nobody may do anything to it until it has one."""


class UnknownAction(LookupError):
    """An action the kind's policy does not name: refused by raising, never by a quiet False."""


@dataclass(frozen=True)
class Viewer:
    """Who is looking, and whether their key is unlocked in this session."""

    user: object
    key_unlocked: bool

    @classmethod
    def of(cls, request) -> "Viewer":
        return cls(user=request.user, key_unlocked=key_unlocked(request))

    @classmethod
    def acting(cls, actor, request=None) -> "Viewer":
        """The viewer a service checks: the request's session when there is one. Without a
        request (seeding, the bench, tasks and tests calling a service directly) no browser is
        involved and the actor's key counts as unlocked."""
        if request is not None:
            return cls.of(request)
        return cls(user=actor, key_unlocked=bool(actor.is_key_holder))

    @property
    def signed_in(self) -> bool:
        return bool(self.user.is_authenticated and self.user.is_active)

    @property
    def key_holder_locked(self) -> bool:
        """A key holder whose key is locked: sent to unlock it rather than refused."""
        return self.signed_in and self.user.is_key_holder and not self.key_unlocked

    @property
    def rank(self) -> int | None:
        level = self.user.access_level
        return level.rank if level is not None and level.is_active else None

    @property
    def key_rank(self) -> int | None:
        """The rank the user's key opens incidents up to, once unlocked (None: it opens none)."""
        return self.rank if self.user.is_key_holder else None

    def key_opens(self, required_rank: int) -> bool:
        """Whether the key, once unlocked, opens an incident that needs `required_rank`: the key
        holders' rule of `IncidentPolicy.visible`, for a row already read."""
        return self.key_rank is not None and required_rank <= self.key_rank


@dataclass(frozen=True)
class IncidentShape:
    """An incident not yet saved (Add Incident) or seen by its categories alone (Add Action's
    chooser): its school and the rank its categories need; no reporter and no alerts yet."""

    school_id: int
    required_rank: int
    pk: None = None
    reporter_id: None = None
    recorded_at: None = None


def _since() -> datetime.datetime:
    return timezone.now() - datetime.timedelta(days=MY_HISTORY_DAYS)


def unread_alert_for(user) -> Exists:
    return Exists(
        Alert.objects.filter(incident=OuterRef("pk"), recipient=user, read_at__isnull=True)
    )


# Marks an incident read through `IncidentPolicy.visible` for a viewer: `can` then needs no
# second query to know the viewer's alert rule held. Set only by this module.
_SEEN_BY = "_kestrel_visible_to"


class Policy:
    """The three questions, for one kind of record. Subclasses name their actions."""

    kind: str
    actions: frozenset[str]
    model: type[Model]

    def check_action(self, action: str) -> None:
        if action not in self.actions:
            raise UnknownAction(f"{self.kind}: no rule for {action!r}")

    def visible(self, viewer: Viewer) -> QuerySet:
        raise NotImplementedError

    def can(self, viewer: Viewer, action: str, obj) -> bool:
        self.check_action(action)
        if not viewer.signed_in or getattr(obj, "school_id", None) != viewer.user.school_id:
            return False
        return bool(getattr(self, f"_can_{action}")(viewer, obj))

    def users_who_can(self, action: str, obj) -> QuerySet:
        self.check_action(action)
        # The record's own school's staff (a rule, not the scope: a trust-wide scope holds more).
        staff = User.objects.filter(school_id=obj.school_id, is_active=True)
        return staff.filter(self._who(action, obj))

    def _who(self, action: str, obj) -> Q:
        raise NotImplementedError

    def sends_to_unlock(self, viewer: Viewer, action: str) -> bool:
        """Whether a refused viewer is sent to unlock their key rather than refused."""
        return False


def _key_opens(required_rank: int) -> Q:
    """Key holders whose key, once unlocked, opens an incident needing `required_rank`."""
    return Q(
        is_key_holder=True,
        access_level__is_active=True,
        access_level__rank__gte=required_rank,
    )


class IncidentPolicy(Policy):
    """Incidents. May open (and add an action to): a key holder with their key unlocked, up to
    their access level (`required_rank`, fixed when the incident was recorded); anyone alerted,
    until they mark the alert as read; whoever recorded it, for 7 days. A school administrator
    gets nothing from being an administrator. Correcting is for key holders with their key
    unlocked who may open it; the alerts' receipts are theirs too."""

    kind = "incident"
    model = Incident
    actions = frozenset({"open", "add_action", "correct", "see_receipts"})
    # A key holder refused these with their key locked is sent to unlock it (Add Action and the
    # files answer 404 as before: they are reached from a page already open).
    UNLOCKS = frozenset({"open", "correct"})

    def visible(self, viewer: Viewer) -> QuerySet[Incident]:
        """Every incident the viewer may open, scoped to their school."""
        user = viewer.user
        if not viewer.signed_in:
            return Incident.objects.none()
        rules = Q(reporter=user, recorded_at__gte=_since()) | Q(unread_alert_for(user))
        if viewer.key_unlocked and viewer.key_rank is not None:
            # First: the database tries the rules in order on each row and stops at the first
            # that holds, so the key holder's cheap column test spares most rows the alert lookup.
            rules = Q(required_rank__lte=viewer.key_rank) | rules
        return Incident.objects.filter(rules)

    def mark_visible(self, viewer: Viewer, incident: Incident) -> Incident:
        setattr(incident, _SEEN_BY, viewer)
        return incident

    def _can_open(self, viewer: Viewer, incident) -> bool:
        if viewer.key_unlocked and viewer.key_opens(incident.required_rank):
            return True
        if incident.pk is None:
            return False
        if incident.reporter_id == viewer.user.pk and incident.recorded_at >= _since():
            return True
        if getattr(incident, _SEEN_BY, None) == viewer:  # read through `visible` just now
            return True
        return Alert.objects.filter(
            incident_id=incident.pk, recipient=viewer.user, read_at__isnull=True
        ).exists()

    _can_add_action = _can_open

    def _can_correct(self, viewer: Viewer, incident) -> bool:
        unlocked = viewer.key_unlocked and viewer.user.is_key_holder
        return unlocked and self._can_open(viewer, incident)

    def _can_see_receipts(self, viewer: Viewer, incident) -> bool:
        return viewer.key_unlocked and viewer.user.is_key_holder

    def _who(self, action: str, incident) -> Q:
        if action == "see_receipts":
            return Q(is_key_holder=True)
        who = _key_opens(incident.required_rank)
        if incident.pk is not None:
            if incident.recorded_at >= _since():
                who |= Q(pk=incident.reporter_id)
            who |= Q(
                Exists(
                    Alert.objects.filter(
                        incident_id=incident.pk, recipient=OuterRef("pk"), read_at__isnull=True
                    )
                )
            )
        return who & Q(is_key_holder=True) if action == "correct" else who

    def sends_to_unlock(self, viewer: Viewer, action: str) -> bool:
        return action in self.UNLOCKS and viewer.key_holder_locked


INCIDENTS = IncidentPolicy()


class ActionPolicy(Policy):
    """An action below an incident: whoever may open the incident may read it."""

    kind = "action"
    model = Action
    actions = frozenset({"open"})

    def visible(self, viewer: Viewer) -> QuerySet[Action]:
        return Action.objects.filter(incident__in=INCIDENTS.visible(viewer).values("pk"))

    def can(self, viewer: Viewer, action: str, obj) -> bool:
        self.check_action(action)
        return INCIDENTS.can(viewer, "open", obj.incident)

    def users_who_can(self, action: str, obj) -> QuerySet:
        self.check_action(action)
        return INCIDENTS.users_who_can("open", obj.incident)


class FilePolicy(Policy):
    """A file attached to an incident or one of its actions: downloaded by whoever may open the
    incident. An upload not yet attached belongs to no record and is nobody's to download."""

    kind = "file"
    model = Attachment
    actions = frozenset({"download"})

    def visible(self, viewer: Viewer) -> QuerySet[Attachment]:
        return Attachment.objects.filter(incident__in=INCIDENTS.visible(viewer).values("pk"))

    def _can_download(self, viewer: Viewer, attachment) -> bool:
        return attachment.incident_id is not None and INCIDENTS.can(
            viewer, "open", attachment.incident
        )

    def _who(self, action: str, attachment) -> Q:
        if attachment.incident_id is None:
            return Q(pk__in=[])
        return INCIDENTS._who("open", attachment.incident)


class ChronologyPolicy(Policy):
    """A student's chronology and their audit trail: key holders of the student's school with
    their key unlocked (each entry then only as `IncidentPolicy.visible` allows)."""

    kind = "student"
    model = Student
    actions = frozenset({"chronology", "audit_trail"})

    def visible(self, viewer: Viewer) -> QuerySet[Student]:
        if not (viewer.signed_in and viewer.user.is_key_holder and viewer.key_unlocked):
            return Student.objects.none()
        return Student.objects.all()

    def _can_chronology(self, viewer: Viewer, student) -> bool:
        return viewer.user.is_key_holder and viewer.key_unlocked

    _can_audit_trail = _can_chronology

    def _who(self, action: str, student) -> Q:
        return Q(is_key_holder=True)

    def sends_to_unlock(self, viewer: Viewer, action: str) -> bool:
        return viewer.key_holder_locked


class StaffTrailPolicy(ChronologyPolicy):
    """What a colleague has viewed (the audit trail's staff page): as a student's trail."""

    kind = "staff"
    model = User
    actions = frozenset({"audit_trail"})

    def visible(self, viewer: Viewer) -> QuerySet:
        if not (viewer.signed_in and viewer.user.is_key_holder and viewer.key_unlocked):
            return User.objects.none()
        return User.objects.all()


class LibraryDocumentPolicy(Policy):
    """The Library: every member of staff reads and downloads the school's current documents and
    confirms they have read a policy; the DSL team (key holders) publishes new versions."""

    kind = "document"
    model = Document
    actions = frozenset({"open", "download", "confirm_read", "add_version", "see_readers"})

    def visible(self, viewer: Viewer) -> QuerySet[Document]:
        if not viewer.signed_in:
            return Document.objects.none()
        return Document.objects.filter(is_active=True)

    def _can_open(self, viewer: Viewer, document) -> bool:
        return document.is_active

    _can_download = _can_open

    def _can_confirm_read(self, viewer: Viewer, document) -> bool:
        return document.is_active and document.is_policy

    def _can_add_version(self, viewer: Viewer, document) -> bool:
        return document.is_active and viewer.user.is_key_holder

    def _can_see_readers(self, viewer: Viewer, document) -> bool:
        return document.is_policy and viewer.user.is_key_holder

    def _who(self, action: str, document) -> Q:
        if not document.is_active or (action == "confirm_read" and not document.is_policy):
            return Q(pk__in=[])
        if action == "see_readers" and not document.is_policy:
            return Q(pk__in=[])
        if action in ("add_version", "see_readers"):
            return Q(is_key_holder=True)
        return Q()


class AlertPolicy(Policy):
    """An alert is its recipient's: only they see it and mark it as read."""

    kind = "alert"
    model = Alert
    actions = frozenset({"open", "mark_as_read"})

    def visible(self, viewer: Viewer) -> QuerySet[Alert]:
        if not viewer.signed_in:
            return Alert.objects.none()
        return Alert.objects.filter(recipient=viewer.user)

    def _can_open(self, viewer: Viewer, alert) -> bool:
        return alert.recipient_id == viewer.user.pk

    _can_mark_as_read = _can_open

    def _who(self, action: str, alert) -> Q:
        return Q(pk=alert.recipient_id)


POLICIES: dict[str, Policy] = {
    policy.kind: policy
    for policy in (
        INCIDENTS,
        ActionPolicy(),
        FilePolicy(),
        ChronologyPolicy(),
        StaffTrailPolicy(),
        LibraryDocumentPolicy(),
        AlertPolicy(),
    )
}


def policy_for(kind: str) -> Policy:
    """The policy of a kind of record; a kind without one raises (nobody may touch it)."""
    try:
        return POLICIES[kind]
    except KeyError:
        raise UnknownKind(f"No policy for records of kind {kind!r}") from None


def check(viewer: Viewer, kind: str, action: str, obj) -> None:
    """For services: raises PermissionDenied unless the viewer may do `action` to `obj`."""
    if not policy_for(kind).can(viewer, action, obj):
        raise PermissionDenied(f"Not allowed: {action} on this {kind}")
