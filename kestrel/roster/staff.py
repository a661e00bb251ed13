"""Staff from the MIS: a file's rows matched to the school's colleagues, previewed, then applied.

A row is the colleague whose email address it gives (addresses are unique in the whole
installation, compared in their one spelling: kestrel.accounts.emails). An address that belongs
to an account at another school is refused, without saying which school. A row with a new
address but the first and last name of a colleague is held for the administrator to decide (the
same person, whose address changes, or a different one), never merged by itself.

Names come from first and last name columns, or from one full-name column split by
`values.split_name`: at a comma when there is one ("van der Berg, Mary-Jane", the surname first,
as MIS staff lists show it), else at the first space ("Mary-Jane van der Berg" is Mary-Jane, van
der Berg), so that a surname of several words stays whole.

An access level or alert group is named as the school names it, case aside; a name the school
does not have (or has retired) refuses the row, naming the ones it has. A column the file does
not have changes nothing; an empty cell in a column it has clears the value (no job title, no
access level, not a key holder, in no alert group). Alert groups in the file are the colleague's
whole membership of the school's groups in use: groups are added and removed.

New colleagues are added deactivated: they can sign in only once the administrator activates
them and sends each a first-time email (`invite_new`), after checking who was added. An import
never activates an existing account: a colleague deactivated by hand (a suspension, say) stays
so, whatever the file says. Leavers (active colleagues a whole-roster file does not list, their
address not even in a refused row) are deactivated, never deleted, and their sessions end; their
records keep their name. Never the administrator running the import, nor the school's last active
administrator: their rows are refused in the preview, and left out when applying.

The file is read in CHUNK rows at a time, as students are (kestrel.roster.pupils), and applied
the same way: CHUNK rows per transaction, each with its colleagues' writes, its rows marked
applied and an audit event per colleague, so that a worker killed mid-import carries on from the
rows not applied. A school's staff list is hundreds of rows: the rows no address matched are kept
until the end of the file, to be matched by name against colleagues no row named.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.db import IntegrityError, transaction
from django.db.models import Q

from kestrel.accounts.emails import normalise
from kestrel.accounts.models import User
from kestrel.accounts.services import end_other_sessions
from kestrel.accounts.tasks import send_first_time_email
from kestrel.alerts.models import AlertGroup
from kestrel.audit.models import AuditEvent
from kestrel.audit.services import event, record_all
from kestrel.forms import hidden_characters
from kestrel.roster import values as parse
from kestrel.roster.columns import STAFF_FIELDS
from kestrel.roster.models import Decision, Kind, Outcome, RosterImport, RosterRow, State
from kestrel.roster.previews import Incoming as RowValues
from kestrel.roster.previews import PreviewRows, Refusal, chunks
from kestrel.roster.pupils import _applied_counts
from kestrel.schools.models import AccessLevel
from kestrel.search import fold
from kestrel.tasks import enqueue_with_transaction

CHUNK = 1000

# The fields an import writes, in the order the preview lists a colleague's changes; "active" is
# only ever written for a leaver.
FIELDS = (
    "first_name",
    "last_name",
    "email",
    "job_title",
    "access_level",
    "key_holder",
    "alert_groups",
    "active",
)
LABELS = {**{f.name: f.label for f in STAFF_FIELDS}, "active": "Active"}
TEXTS = ("first_name", "last_name", "email", "job_title")
MAX_LENGTHS = {name: User._meta.get_field(name).max_length for name in TEXTS}
# The User field each written field is kept in (alert groups are a membership, not a field).
MODEL_FIELDS = {
    "first_name": "first_name",
    "last_name": "last_name",
    "email": "email",
    "job_title": "job_title",
    "access_level": "access_level",
    "key_holder": "is_key_holder",
    "active": "is_active",
}
ALREADY_TAKEN = "Another account now has this email address: nothing was changed."


def _key(name: str) -> str:
    """A configuration name as compared: case and spacing aside."""
    return " ".join(name.split()).casefold()


@dataclass
class Configuration:
    """The school's access levels and alert groups in use, by name as compared."""

    levels: dict[str, AccessLevel]
    groups: dict[str, AlertGroup]

    @classmethod
    def now(cls) -> "Configuration":
        """Read in the school's scope."""
        return cls(
            levels={_key(lv.name): lv for lv in AccessLevel.objects.filter(is_active=True)},
            groups={_key(g.name): g for g in AlertGroup.objects.filter(is_active=True)},
        )


class Incoming(RowValues):
    """A row of the staff file, cleaned (see previews.Incoming)."""

    @property
    def email(self) -> str:
        return self.values["email"]


class Gone(Exception):
    """A value the preview named no longer exists (an access level retired since)."""


def clean(row: int, raw: dict[str, str], configuration: Configuration) -> Incoming:
    """The row's values as Kestrel keeps them, or Refusal naming every problem in it."""
    raw = {name: " ".join(text.split()) for name, text in raw.items()}
    values: dict[str, object] = {}
    problems: list[str] = []

    if "name" in raw and not ("first_name" in raw and "last_name" in raw):
        # One column with the whole name (values.split_name): the file has no columns apart.
        try:
            values["first_name"], values["last_name"] = parse.split_name(raw["name"])
        except ValueError as error:
            problems.append(
                f"{LABELS['name']}: {error}" if raw["name"] else f"{LABELS['name']} is missing."
            )
    # Field -> its parser, and whether the parser's message needs the column's label before it
    # (an access level's and alert groups' messages name the column themselves).
    parsers = {
        "first_name": (str, False),
        "last_name": (str, False),
        "job_title": (str, False),
        "email": (lambda text: normalise(parse.parse_email(text)), True),
        "access_level": (lambda text: _level(text, configuration), False),
        "key_holder": (lambda text: bool(parse.parse_bool(text)), True),
        "alert_groups": (lambda text: _groups(text, configuration), False),
    }
    for name, (parser, labelled) in parsers.items():
        if name not in raw:
            continue
        try:
            values[name] = parser(raw[name])
        except ValueError as error:
            problems.append(f"{LABELS[name]}: {error}" if labelled else str(error))

    for name in ("first_name", "last_name", "email"):
        said = (LABELS[name],) if name == "email" else (LABELS[name], LABELS["name"])
        if not values.get(name) and not any(problem.startswith(said) for problem in problems):
            problems.append(f"{LABELS[name]} is missing.")
    for name in TEXTS:
        text = values.get(name)
        if not isinstance(text, str):
            continue
        if len(text) > MAX_LENGTHS[name]:
            problems.append(f"{LABELS[name]} is longer than {MAX_LENGTHS[name]} characters.")
        if hidden_characters(text):
            problems.append(f"{LABELS[name]} must be on one line, without hidden characters.")
    if problems:
        raise Refusal(" ".join(dict.fromkeys(problems)))
    return Incoming(row=row, values=values)


def _level(text: str, configuration: Configuration) -> str | None:
    if not text:
        return None
    level = configuration.levels.get(_key(text))
    if level is not None:
        return level.name
    names = sorted((lv.name for lv in configuration.levels.values()), key=_key)
    if not names:
        raise ValueError(
            f"Access level “{text}” does not exist: the school has no access levels yet. Add "
            "them in School set-up → Access levels, or leave the cell empty."
        )
    raise ValueError(
        f"Access level “{text}” does not exist. The school’s access levels are: "
        f"{', '.join(names)}. Use one of these names, or leave the cell empty for none."
    )


def _groups(text: str, configuration: Configuration) -> list[str]:
    found, unknown = {}, []
    for name in parse.parse_list(text):
        group = configuration.groups.get(_key(name))
        if group is None:
            unknown.append(f"“{name}”")
        else:
            found[group.pk] = group.name
    if unknown:
        names = sorted((g.name for g in configuration.groups.values()), key=_key)
        which = "Alert group " if len(unknown) == 1 else "Alert groups "
        verb = " does not exist." if len(unknown) == 1 else " do not exist."
        known = (
            f" The school’s alert groups are: {', '.join(names)}."
            if names
            else " The school has no alert groups yet: add them in School set-up → Alert groups."
        )
        raise ValueError(f"{which}{', '.join(unknown)}{verb}{known} Separate names with ; or ,.")
    return sorted(found.values(), key=_key)


# -- What a colleague has now ------------------------------------------------------------------


def _memberships(user_ids: Iterable[int]) -> dict[int, list[tuple[int, int, str]]]:
    """Colleague -> their memberships of the school's alert groups in use, as (membership row
    id, group id, group name)."""
    through = AlertGroup.members.through
    found: dict[int, list[tuple[int, int, str]]] = defaultdict(list)
    rows = through.objects.filter(
        user_id__in=list(user_ids), alertgroup__in=AlertGroup.objects.filter(is_active=True)
    ).values_list("pk", "user_id", "alertgroup_id", "alertgroup__name")
    for pk, user_id, group_id, name in rows:
        found[user_id].append((pk, group_id, name))
    return found


def _current(user: User, name: str, groups: list[tuple[int, int, str]]):
    """The colleague's value for a field, as the preview writes it (JSON)."""
    if name == "access_level":
        return user.access_level.name if user.access_level_id else None
    if name == "alert_groups":
        return sorted((group_name for _pk, _id, group_name in groups), key=_key)
    return getattr(user, MODEL_FIELDS[name])


def differences(user: User, incoming: Incoming, groups: list) -> dict[str, list]:
    """Field -> [old, new] for what the row would change about `user`, in FIELDS order."""
    changes = {}
    for name in FIELDS:
        if name in incoming.values:
            old, new = _current(user, name, groups), incoming.values[name]
            if old != new:
                changes[name] = [old, new]
    return changes


# -- The preview -------------------------------------------------------------------------------


@dataclass
class Preview(PreviewRows):
    """What checking a file of staff found (see PreviewRows): `matched`, `kept` and `mentioned`
    are of colleagues and their addresses."""

    emails: dict[str, int] = field(default_factory=dict)  # address -> the row that gave it
    unmatched: list[Incoming] = field(default_factory=list)


def preview(
    roster_import: RosterImport,
    rows: Iterable[tuple[int, dict[str, str]]],
    *,
    progress=lambda done: None,
) -> dict[str, int]:
    """Checks every row against the school's colleagues and writes the import's preview; returns
    its counts (`on_roll` is the number of active colleagues). Runs in the school's scope. Run
    again, it starts again."""
    RosterRow.objects.filter(roster_import=roster_import).delete()
    state = Preview(roster_import=roster_import)
    state.counts["on_roll"] = User.objects.filter(is_active=True).count()
    configuration = Configuration.now()
    done = 0
    for chunk in chunks(rows, CHUNK):
        incoming = []
        for row, raw in chunk:
            state.counts["rows"] += 1
            if raw.get("email", "").strip():
                state.mentioned.add(normalise(raw["email"]))
            try:
                incoming.append(clean(row, raw, configuration))
            except Refusal as refusal:
                state.refuse_unread(row, raw, str(refusal))
        _match_chunk(state, incoming)
        with transaction.atomic():
            state.flush()
        done += len(chunk)
        progress(done)
    _by_name(state)
    if roster_import.whole_roster:
        _leavers(state)
    state.flush()
    return state.counts


def _match_chunk(state: Preview, chunk: list[Incoming]) -> None:
    """Each row's colleague, by email address; rows with an address nobody has wait in
    `state.unmatched`."""
    school_id = state.roster_import.school_id
    emails = {incoming.email for incoming in chunk}
    # Across schools: an address is unique in the installation, so another school's is refused.
    accounts = {
        user.email: user
        for user in User.all_schools.filter(email__in=emails).select_related("access_level")
    }
    ours = [user.pk for user in accounts.values() if user.school_id == school_id]
    groups = _memberships(ours)
    for incoming in chunk:
        earlier = state.emails.get(incoming.email)
        user = accounts.get(incoming.email)
        if earlier is not None:
            reason = f"Email address {incoming.email} is also on row {earlier}."
        elif user is not None and user.school_id != school_id:
            reason = (
                f"Email address {incoming.email} is already used by a Kestrel account at "
                "another school, and an address can have only one account. Use this "
                "colleague’s address at your school."
            )
        else:
            reason = ""
        if reason:
            state.add(Outcome.REFUSED, incoming.row, values=_values_json(incoming), reason=reason)
            continue
        state.emails[incoming.email] = incoming.row
        if user is None:
            state.unmatched.append(incoming)
            continue
        state.matched[user.pk] = incoming.row
        state.kept.add(user.pk)
        changes = differences(user, incoming, groups.get(user.pk, []))
        if changes:
            state.add(
                Outcome.CHANGED,
                incoming.row,
                staff=user,
                values=_values_json(incoming),
                changes=changes,
                reason=_deactivated(user),
            )
        else:
            state.counts["unchanged"] += 1


def _values_json(incoming: Incoming) -> dict:
    return dict(incoming.values)


def _deactivated(user: User) -> str:
    if user.is_active:
        return ""
    return (
        f"{user.full_name} is deactivated in Kestrel, and stays so: an import never activates "
        "an account. If they should sign in, activate them in School set-up → Staff."
    )


def _name_key(first: str, last: str) -> tuple[str, str]:
    return fold(" ".join(first.split())), fold(" ".join(last.split()))


def _by_name(state: Preview) -> None:
    """Rows no address matched: new, or held where a colleague no row named has their name."""
    if not state.unmatched:
        return
    wanted = {_name_key(i.values["first_name"], i.values["last_name"]) for i in state.unmatched}
    candidates: dict[tuple, list[int]] = defaultdict(list)
    everyone = User.objects.order_by("pk").values_list("pk", "first_name", "last_name")
    for pk, first, last in everyone.iterator(chunk_size=2000):
        key = _name_key(first, last)
        if key in wanted and pk not in state.matched:
            candidates[key].append(pk)
    held = {pk for pks in candidates.values() for pk in pks}
    users = User.objects.select_related("access_level").in_bulk(held)
    groups = _memberships(held)
    for chunk in chunks(state.unmatched, CHUNK):
        for incoming in chunk:
            seen = candidates.get(
                _name_key(incoming.values["first_name"], incoming.values["last_name"])
            )
            if not seen:
                state.add(Outcome.NEW, incoming.row, values=_values_json(incoming))
                continue
            state.kept.update(seen)
            user = users[seen[0]]
            reason = (
                f"Same name as {user.full_name} ({user.email}), but a different email address. "
                "If it is the same person, their email address changes to the row’s."
            )
            if len(seen) > 1:
                others = len(seen) - 1
                reason += f" {others} more colleague{'s' if others > 1 else ''} have this name."
            if not user.is_active:
                reason += f" {_deactivated(user)}"
            state.add(
                Outcome.HELD,
                incoming.row,
                staff=user,
                values=_values_json(incoming),
                changes=differences(user, incoming, groups.get(user.pk, [])),
                reason=reason,
            )
        with transaction.atomic():
            state.flush()


def _leavers(state: Preview) -> None:
    """Active colleagues whom the whole-roster file does not list are leaving, except the
    administrator who uploaded it and the school's last active administrator (refused rows that
    say so)."""
    active = (
        User.objects.filter(is_active=True)
        .order_by("last_name", "first_name", "pk")
        .values_list("pk", "email", "first_name", "last_name", "is_school_admin")
    )
    leaving = [
        (pk, User.name_of(first, last), admin)
        for pk, email, first, last, admin in active.iterator(chunk_size=2000)
        if pk not in state.kept and email not in state.mentioned
    ]
    uploader = state.roster_import.uploaded_by_id
    staying_admins = set(
        User.objects.filter(is_active=True, is_school_admin=True).values_list("pk", flat=True)
    ) - {pk for pk, _name, _admin in leaving if pk != uploader}
    last_admin = None
    if not staying_admins:
        last_admin = next((pk for pk, _name, admin in leaving if admin), None)
    for pk, name, _admin in leaving:
        if pk == uploader:
            reason = (
                f"{name} is not in the file, but uploaded it: Kestrel never deactivates the "
                "administrator running an import. If they have left, another administrator "
                "can deactivate them in School set-up → Staff."
            )
        elif pk == last_admin:
            reason = (
                f"{name} is not in the file, but is the school’s last active administrator: "
                "Kestrel never deactivates the last one, or nobody could manage the school’s "
                "set-up. Make someone else an administrator first, in School set-up → Staff."
            )
        else:
            state.add(
                Outcome.LEAVING,
                0,
                staff_id=pk,
                values={"active": False},
                changes={"active": [True, False]},
            )
            continue
        state.add(Outcome.REFUSED, 0, staff_id=pk, reason=reason)


# -- Applying ----------------------------------------------------------------------------------


def apply(roster_import: RosterImport, *, actor, progress=lambda done: None) -> dict[str, int]:
    """Applies the confirmed preview, CHUNK rows per transaction; returns what was applied
    (added, changed, left: deactivated, not_applied). Run again after a crash, it carries on
    with the rows not yet applied."""
    rows = RosterRow.objects.filter(roster_import=roster_import, applied=False).exclude(
        outcome=Outcome.REFUSED
    )
    done = RosterRow.objects.filter(roster_import=roster_import, applied=True).count()
    configuration = Configuration.now()
    last = 0
    while True:
        chunk = list(rows.filter(pk__gt=last).order_by("pk")[:CHUNK])
        if not chunk:
            break
        last = chunk[-1].pk
        _apply_chunk(roster_import, chunk, actor, configuration)
        done += len(chunk)
        progress(done)
    return _applied_counts(roster_import)


def _apply_chunk(roster_import, chunk: list[RosterRow], actor, configuration) -> None:
    try:
        with transaction.atomic():
            _write(roster_import, chunk, actor, configuration)
    except IntegrityError:
        # A row clashes with an account added or changed since the preview (its address now
        # taken): each row on its own, so that only the clashing ones are left out.
        for row in chunk:
            try:
                with transaction.atomic():
                    _write(roster_import, [row], actor, configuration)
            except IntegrityError:
                RosterRow.objects.filter(pk=row.pk).update(applied=True, skipped=ALREADY_TAKEN)


@dataclass
class Writes:
    """One chunk's writes, made together."""

    created: list[tuple[RosterRow, User, list[int]]] = field(default_factory=list)
    updated: list[User] = field(default_factory=list)  # changed and deactivated colleagues
    fields: set[str] = field(default_factory=set)  # the User fields they changed
    groups: dict[int, list[int]] = field(default_factory=dict)  # colleague -> their groups now
    left: list[User] = field(default_factory=list)
    events: list = field(default_factory=list)


def _write(roster_import: RosterImport, chunk: list[RosterRow], actor, configuration) -> None:
    writes = Writes()
    # The colleagues the rows change, read again (and locked) in this transaction: the stale
    # check compares with what they are now, and a chunk retried row by row starts afresh.
    users = (
        User.objects.select_related("access_level")
        .select_for_update(of=("self",))
        .in_bulk([row.staff_id for row in chunk if _changes_someone(row)])
    )
    memberships = _memberships(users)
    # Addresses the rows give that an account has now (in any school).
    taken = set(
        User.all_schools.filter(
            email__in=[row.values["email"] for row in chunk if "email" in row.values]
        ).values_list("email", flat=True)
    )
    admins = None  # the school's active administrators, read (and locked) once a leaver is one
    done = {}  # colleague -> the row that changed them
    for row in chunk:
        row.skipped = ""
        outcome = row.outcome
        if outcome == Outcome.HELD:
            if row.decision == Decision.UNDECIDED:
                row.skipped = "Not decided: nothing was changed."
                continue
            outcome = Outcome.NEW if row.decision == Decision.NEW else Outcome.CHANGED
        if outcome == Outcome.NEW:
            row.skipped = _add(roster_import, row, configuration, taken, writes)
            continue
        user = row.staff = users[row.staff_id]
        if user.pk in done:  # two held rows both said to be this colleague
            row.skipped = (
                f"Row {done[user.pk]} changed {user.full_name} already: nothing was changed."
            )
            continue
        if outcome == Outcome.LEAVING:
            if admins is None:
                admins = set(
                    User.objects.select_for_update()
                    .filter(is_active=True, is_school_admin=True)
                    .values_list("pk", flat=True)
                )
            row.skipped = _leaver(user, actor, admins)
            if row.skipped:
                continue
        row.skipped = _change(row, user, memberships.get(user.pk, []), configuration, taken, writes)
        if row.skipped:
            continue
        done[user.pk] = row.row
        action = "staff.deactivated" if outcome == Outcome.LEAVING else "staff.changed"
        writes.events.append(_event(action, roster_import, actor, user, row.changes))
        writes.updated.append(user)
        if outcome == Outcome.LEAVING:
            writes.left.append(user)
    _save(writes, memberships, roster_import, actor)
    for row in chunk:
        row.applied = True
    RosterRow.objects.bulk_update(chunk, ["applied", "skipped", "staff"])
    record_all(writes.events)


def _changes_someone(row: RosterRow) -> bool:
    """Whether the row changes a colleague Kestrel has (rather than adding one)."""
    if row.outcome == Outcome.HELD:
        return row.decision == Decision.SAME
    return row.outcome in {Outcome.CHANGED, Outcome.LEAVING}


def _event(action: str, roster_import: RosterImport, actor, user: User, fields):
    return event(
        action=action,
        actor=actor,
        obj=user,
        school=roster_import.school,
        detail={"fields": sorted(fields), "import": roster_import.pk},
    )


def _add(roster_import, row: RosterRow, configuration, taken: set[str], writes: Writes) -> str:
    """Makes the row's new colleague, deactivated; or says why not."""
    if row.values["email"] in taken:
        return ALREADY_TAKEN
    try:
        fields, group_ids = _resolved(row.values, configuration)
    except Gone as gone:
        return str(gone)
    user = User(school_id=roster_import.school_id, is_active=False, **fields)
    user.set_unusable_password()  # they set their own through the first-time email's link
    writes.created.append((row, user, group_ids))
    return ""


def _leaver(user: User, actor, admins: set[int]) -> str:
    """Why this leaver is not deactivated after all, or ''."""
    if actor is not None and user.pk == actor.pk:
        return (
            f"{user.full_name} confirmed this import: Kestrel never deactivates the administrator "
            "running an import. Nothing was changed."
        )
    if user.pk in admins:
        if not admins - {user.pk}:
            return (
                f"{user.full_name} is the school’s last active administrator: Kestrel never "
                "deactivates the last one. Nothing was changed."
            )
        admins.discard(user.pk)
    return ""


def _change(row, user: User, groups, configuration, taken: set[str], writes: Writes) -> str:
    """Sets the row's changes on `user` (to be saved with the chunk), or says why not."""
    stale = [
        name for name, (old, _new) in row.changes.items() if _current(user, name, groups) != old
    ]
    if stale == ["active"]:
        return f"{user.full_name} was deactivated in Kestrel since: nothing was changed."
    if stale:
        return (
            f"{user.full_name} was changed in Kestrel after this file was checked "
            f"({', '.join(LABELS[n] for n in stale)}): nothing was changed. Import the file "
            "again to see the changes as they are now."
        )
    if "email" in row.changes and row.changes["email"][1] in taken:
        return ALREADY_TAKEN
    try:
        fields, group_ids = _resolved(
            {name: new for name, (_old, new) in row.changes.items()}, configuration
        )
    except Gone as gone:
        return str(gone)
    for name, value in fields.items():
        setattr(user, name, value)
    writes.fields.update(fields)
    if "alert_groups" in row.changes:
        writes.groups[user.pk] = group_ids
    return ""


def _resolved(values: dict, configuration: Configuration) -> tuple[dict, list[int]]:
    """The User fields `values` set, and the ids of the alert groups they name; Gone when a
    level or group the preview named is no longer in use."""
    fields, group_ids = {}, []
    for name, value in values.items():
        if name == "alert_groups":
            for group_name in value:
                group = configuration.groups.get(_key(group_name))
                if group is None:
                    raise Gone(
                        f"The alert group “{group_name}” is no longer in use: nothing was "
                        "changed. Import the file again with the groups the school has."
                    )
                group_ids.append(group.pk)
        elif name == "access_level" and value is not None:
            level = configuration.levels.get(_key(value))
            if level is None:
                raise Gone(
                    f"The access level “{value}” is no longer in use: nothing was changed. "
                    "Import the file again with a level the school has."
                )
            fields["access_level"] = level
        else:
            fields[MODEL_FIELDS[name]] = value
    return fields, group_ids


def _save(writes: Writes, memberships, roster_import: RosterImport, actor) -> None:
    if writes.created:
        User.objects.bulk_create([user for _row, user, _groups in writes.created])
        for row, user, group_ids in writes.created:
            row.staff = user
            writes.groups[user.pk] = group_ids
            writes.events.append(_event("staff.added", roster_import, actor, user, row.values))
    if writes.updated and writes.fields:
        User.objects.bulk_update(writes.updated, sorted(writes.fields))
    # Alert groups: the file's are the colleague's whole membership of the groups in use.
    through = AlertGroup.members.through
    removed, added = [], []
    for user_id, group_ids in writes.groups.items():
        now = memberships.get(user_id, [])
        removed.extend(pk for pk, group_id, _name in now if group_id not in group_ids)
        had = {group_id for _pk, group_id, _name in now}
        added.extend(
            through(user_id=user_id, alertgroup_id=group_id)
            for group_id in group_ids
            if group_id not in had
        )
    if removed:
        through.objects.filter(pk__in=removed).delete()
    if added:
        through.objects.bulk_create(added, ignore_conflicts=True)
    for user in writes.left:
        # A deactivated account can do nothing, at once: every session it has ends.
        end_other_sessions(user=user, keep_session_key=None)


# -- First-time emails -------------------------------------------------------------------------


def _created(roster_import: RosterImport):
    """The ids of the colleagues this import added."""
    return RosterRow.objects.filter(
        Q(outcome=Outcome.NEW) | Q(outcome=Outcome.HELD, decision=Decision.NEW),
        roster_import=roster_import,
        applied=True,
        skipped="",
        staff__isnull=False,
    ).values_list("staff_id", flat=True)


def _invitable(roster_import: RosterImport) -> list[User]:
    """The colleagues this import added who are still as it left them: deactivated, never
    signed in, never sent a password link, and not activated or deactivated by an
    administrator since (School set-up, a later import, or this import's own invitation)."""
    if roster_import.kind != Kind.STAFF or roster_import.state != State.DONE:
        return []
    users = list(
        User.objects.filter(
            pk__in=_created(roster_import),
            is_active=False,
            last_login__isnull=True,
            password_link_serial=0,
            password__startswith=UNUSABLE_PASSWORD_PREFIX,  # no password was ever set
        ).order_by("last_name", "first_name", "pk")
    )
    if not users:
        return []
    # Only administrators change who is active; their events are read by their index.
    admins = set(User.objects.filter(is_school_admin=True).values_list("pk", flat=True))
    if roster_import.confirmed_by_id:
        admins.add(roster_import.confirmed_by_id)
    touched = set()
    events = AuditEvent.objects.filter(
        actor_id__in=admins,
        at__gte=roster_import.confirmed_at or roster_import.uploaded_at,
        object_type=User._meta.label_lower,
        object_id__in=[str(user.pk) for user in users],
        action__in=("staff.invited", "staff.deactivated", "user.changed"),
    ).values_list("object_id", "action", "detail")
    for object_id, action, detail in events:
        if action in {"staff.invited", "staff.deactivated"} or "is_active" in detail.get(
            "fields", []
        ):
            touched.add(int(object_id))
    return [user for user in users if user.pk not in touched]


def to_invite(roster_import: RosterImport) -> int:
    """How many colleagues this import added are still waiting for their first-time email."""
    return len(_invitable(roster_import))


def invite_new(roster_import: RosterImport, *, actor, request=None) -> int:
    """Activates the colleagues this import added (those `to_invite` counts) and sends each
    their first-time email, with one audit event each; returns how many. Pressed twice, or by
    two administrators at once, each colleague is activated and emailed once."""
    invited = []
    with transaction.atomic():
        for user in _invitable(roster_import):
            # Compare-and-set: of two presses at once, only one activates a colleague.
            if not User.objects.filter(pk=user.pk, is_active=False).update(is_active=True):
                continue
            invited.append(user)
            enqueue_with_transaction(send_first_time_email, user.pk, getattr(actor, "pk", None))
        record_all(
            [
                event(
                    action="staff.invited",
                    actor=actor,
                    request=request,
                    obj=user,
                    school=roster_import.school,
                    detail={"import": roster_import.pk},
                )
                for user in invited
            ]
        )
    return len(invited)
