"""Who may open an incident and add an action to it: the policies of the kinds "incident" and
"action" (see `kestrel.access.policies` for the three questions every policy answers), and the
selectors every list, count, export and detail page starts from, so a list can never show what a
page refuses."""

import datetime
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from kestrel.access.policies import Policy, Viewer, register
from kestrel.alerts.models import Alert
from kestrel.incidents.models import Action, Incident, LinkedStudent

MY_HISTORY_DAYS = 7


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
    unlocked who may open it; the alerts' receipts are theirs too, and so is acknowledging an
    Operation Encompass notification."""

    kind = "incident"
    model = Incident
    actions = frozenset({"open", "add_action", "correct", "see_receipts", "acknowledge_encompass"})
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

    # The DSL team acknowledges an Operation Encompass notification: as for correcting.
    _can_acknowledge_encompass = _can_correct

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
        key_holders_only = action in {"correct", "acknowledge_encompass"}
        return who & Q(is_key_holder=True) if key_holders_only else who

    def sends_to_unlock(self, viewer: Viewer, action: str) -> bool:
        return action in self.UNLOCKS and viewer.key_holder_locked


INCIDENTS = register(IncidentPolicy())


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


ACTIONS = register(ActionPolicy())


def visible_incidents(viewer: Viewer) -> QuerySet[Incident]:
    """Every incident the viewer may open, scoped to their school (`IncidentPolicy.visible`)."""
    return INCIDENTS.visible(viewer)


def get_incident(viewer: Viewer, pk: int) -> Incident:
    """The incident if the viewer may open it; otherwise 404, whether or not it exists. (Views
    use the door, `kestrel.incidents.doors.get_incident_for_user`, which also records refusals.)"""
    incident = visible_incidents(viewer).filter(pk=pk).first()
    if incident is None:
        raise Http404("No incident you may open")
    return incident


def chronology_incidents(viewer: Viewer, student) -> QuerySet[Incident]:
    """A student's incidents, including those where they are a linked student, that the viewer
    may open. Chronologies are for key holders with their key unlocked."""
    own, linked = chronology_parts(viewer, student)
    # One indexed list of ids (own incidents, then linked ones) rather than an OR across a join,
    # which would make the database read every incident of the school.
    return own.model.objects.filter(pk__in=own.values("pk").union(linked.values("pk")))


def chronology_parts(viewer: Viewer, student) -> tuple[QuerySet[Incident], QuerySet[Incident]]:
    """The two halves of `chronology_incidents`, each found through its own index: the student's
    own incidents and those they are linked to, that the viewer may open."""
    if not (viewer.key_unlocked and viewer.user.is_key_holder):
        return Incident.objects.none(), Incident.objects.none()
    visible = visible_incidents(viewer)
    linked = LinkedStudent.objects.filter(student=student).values("incident_id")
    return visible.filter(student=student), visible.filter(pk__in=linked)
