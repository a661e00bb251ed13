"""One policy per kind of record, each answering the same three questions:

- `visible(viewer)`: the records the viewer may see, as a QuerySet filter (every list, count,
  export and detail page starts from it);
- `can(viewer, action, obj)`: whether the viewer may do `action` to one record;
- `users_who_can(action, obj)`: who would normally be able to do it (the red names under "Alert
  Staff Members" are those who are not).

This module holds what every policy shares and the registry. Each app keeps its own kinds'
policies in its `policies` module (incidents and actions in `kestrel.incidents.policies`, files,
students, the Library, alerts, colleagues in theirs) and registers them with `register`, so that
`kestrel.access` depends on no app whose records it guards. A policy that needs another kind's
rule asks the registry (`policy_for("incident")`) rather than importing it.

Fail closed: `policy_for` raises `UnknownKind` for a kind with no policy, and `can` and
`users_who_can` raise `UnknownAction` for an action the policy does not name. Services ask `can`
themselves; views obtain records only through the doors (`get_<kind>_for_user`, built on
`kestrel.access.doors`).

"Would normally" treats every key as unlocked: a key holder is among `users_who_can("open",
incident)` when their key, once unlocked, opens the incident, whether or not it is unlocked now.
Their alerts and their own recent incidents count as `visible` counts them.
"""

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import Model, Q, QuerySet

from kestrel.access.keys import key_unlocked


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
        staff = get_user_model().objects.filter(school_id=obj.school_id, is_active=True)
        return staff.filter(self._who(action, obj))

    def _who(self, action: str, obj) -> Q:
        raise NotImplementedError

    def sends_to_unlock(self, viewer: Viewer, action: str) -> bool:
        """Whether a refused viewer is sent to unlock their key rather than refused."""
        return False


POLICIES: dict[str, Policy] = {}


def register(policy: Policy) -> Policy:
    """Adds a kind's policy to the registry (each app's `policies` module, imported by its
    AppConfig.ready); a kind registered twice is a mistake, not an override."""
    if policy.kind in POLICIES and POLICIES[policy.kind] is not policy:
        raise ValueError(f"A policy for records of kind {policy.kind!r} is already registered")
    POLICIES[policy.kind] = policy
    return policy


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
