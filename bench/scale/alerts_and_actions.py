"""What follows an incident: the alerts sent when it is saved (and read later), and about three
actions in the days after. What happens later waits in `seeder.pending`, a heap by time, so that
each school's audit trail is written in time order as the app writes it.

Runs in the generator process, which never uses the database connection.
"""

import bisect
import heapq
import math

from bench.scale.audit_trail import add_audit, json_text
from bench.scale.draws import POISSON_3, POISSON_31, delay
from bench.scale.texts import ACTION_FOLLOW_UPS, ACTION_TEXT
from bench.scale.times import DAY, HOUR, MINUTE
from demo import school as demo_school
from kestrel.incidents.models import Action, Incident, snapshot_of

READ_AFTER_DAYS = 14  # alerts older than this have all been read
# The audit trail's object types, as the app records them.
INCIDENT, ACTION = Incident._meta.label_lower, Action._meta.label_lower


def add_alerts(seeder, school, incident_id, student_id, reporter, recorded, at, session) -> int:
    """Alerts to about 4 colleagues (0 to 13), the DSL team first, never the reporter.
    Alerts older than two weeks have been read; most of the last two weeks' have not."""
    random_, pick, alerts, clock = seeder.random, seeder.pick, seeder.alerts, seeder.clock
    now, getrandbits = clock.now_us, seeder.rng.getrandbits
    wanted = 0 if random_() < 0.03 else 1 + bisect.bisect(POISSON_31, random_())
    if not wanted:
        return 0
    dsl = [person for person in school.key_holders if person != reporter]
    chosen = seeder.rng.sample(dsl, min(wanted, len(dsl), 1 if random_() < 0.6 else 2))
    wanted = min(wanted, len(school.alertable) - 1)
    while len(chosen) < wanted:
        person = pick(school.alertable)
        if person != reporter and person not in chosen:
            chosen.append(person)
    old = recorded < now - READ_AFTER_DAYS * DAY
    suffix = seeder.suffix
    at_text = at + suffix
    # One task sends the emails of one incident's alerts, a few seconds after it is saved.
    sent = clock.at(clock.recorded(recorded + 1_000_000 + int(random_() * 30_000_000)))
    sent += suffix
    school_id, rows, people = school.id, alerts.rows, seeder.people
    for recipient in chosen:
        alert_id = alerts.next_id
        alerts.next_id += 1
        read = read_at = None
        later = delay(random_, [(0.5, MINUTE, HOUR), (0.35, HOUR, DAY)], 10 * DAY)
        # Drawn whether used or not, so that the stream does not depend on the clock.
        read_soon, reading = random_() < 0.3, "%064x" % getrandbits(256)  # noqa: UP031
        if old or (read_soon and recorded + later < now):
            read = clock.recorded(recorded + later)
            read_at = clock.at(read)
            what = (school, recipient, incident_id, student_id, alert_id, read_at, reading)
            heapq.heappush(seeder.pending, (read, next(seeder.order), what))
            read_at += suffix
        rows.append(
            (
                alert_id, school_id, incident_id, recipient, reporter, at_text, read_at,
                "sent", 1, sent, "",
            )
        )  # fmt: skip
        add_audit(
            seeder, school, reporter, "alert.sent", INCIDENT, incident_id,
            f"Incident {incident_id}", student_id,
            {"action": None, "recipient": recipient, "recipient_name": people[recipient].name},
            session, at,
        )  # fmt: skip
    return len(chosen)


def plan_actions(seeder, school, incident_id, student_id, reporter, recorded, words, linked):
    """About three actions per incident, one after another in the days that follow."""
    random_, pick, clock = seeder.random, seeder.pick, seeder.clock
    now = clock.now_us
    moment = recorded
    for _ in range(bisect.bisect(POISSON_3, random_())):
        gap = int(-math.log(1.0 - random_()) * 2 * DAY)  # two days on average
        instead = int(random_() * (now - moment))  # if that would be in the future
        moment += gap if moment + gap < now else instead
        done = clock.recorded(moment + int(random_() * 4 * HOUR))
        roll = random_()
        if roll < 0.65:
            author = pick(school.key_holders)
        else:
            author = reporter if roll < 0.85 else pick(school.alertable)
        words["staff"] = seeder.people[pick(school.alertable)].title_name
        words["agency"] = pick(demo_school.AGENCIES)
        text = pick(ACTION_TEXT).format_map(words)
        if random_() < 0.4:
            text += " " + pick(ACTION_FOLLOW_UPS).format_map(words)
        agencies = (pick(school.agency_ids),) if random_() < 0.05 else ()
        what = (
            school, author, incident_id, student_id, moment - moment % MINUTE, text,
            bool(linked) and random_() < 0.3, random_() < 0.1, agencies,
            "%064x" % seeder.rng.getrandbits(256),  # noqa: UP031 - its session
        )  # fmt: skip
        heapq.heappush(seeder.pending, (done, next(seeder.order), what))


def add_later(seeder, event: tuple) -> None:
    """An action recorded, or an alert marked as read, in its place in the audit trail."""
    moment, _, what = event
    if len(what) == 7:
        school, recipient, incident_id, student_id, alert_id, at, session = what
        add_audit(
            seeder, school, recipient, "alert.read", INCIDENT, incident_id,
            f"Incident {incident_id}", student_id, {"alert": alert_id}, session, at,
        )  # fmt: skip
        return
    (school, author, incident_id, student_id, occurred, text, linked, shared, agencies,
     session) = what  # fmt: skip
    actions, clock, suffix = seeder.actions, seeder.clock, seeder.suffix
    action_id = actions.next_id
    actions.next_id += 1
    at = clock.at(moment)
    snapshot = seeder.snapshots.get(agencies)
    if snapshot is None:
        names = snapshot_of(agencies=[school.agencies[pk] for pk in agencies])["agencies"]
        snapshot = seeder.snapshots[agencies] = json_text({"agencies": names})
    actions.rows.append(
        (
            action_id, school.id, incident_id, author, text,
            clock.minute(occurred) + suffix, at + suffix, linked, shared, snapshot,
        )
    )  # fmt: skip
    through = seeder.action_agencies
    for agency in agencies:
        through.rows.append((through.next_id, action_id, agency))
        through.next_id += 1
    add_audit(
        seeder, school, author, "action.added", ACTION, action_id, f"Action {action_id}",
        student_id, {"alerted": 0, "incident": incident_id}, session, at,
    )  # fmt: skip
