"""The incidents: whose and when (a long tail of students with many, a few in the last week),
then each one's rows with its categories, agencies, linked students and body map, followed by
its alerts and actions, all in the order recorded and sent to the parent in batches.

Runs in the generator process, which never uses the database connection.
"""

import bisect
import heapq
from array import array

from bench.scale.alerts_and_actions import add_alerts, add_later, plan_actions
from bench.scale.audit_trail import add_audit, json_text
from bench.scale.draws import delay, school_hours, share, spread
from bench.scale.texts import (
    BODY,
    CARERS,
    FOLLOW_UPS,
    INCIDENT_TEXT,
    LESSONS,
    PLACES,
    TIMES,
)
from bench.scale.times import DAY, HOUR, MINUTE
from demo import school as demo_school
from kestrel.incidents.models import Incident, snapshot_of

SHARE_WITH_INCIDENTS = 0.3  # most students have no incident at all
PARETO_ALPHA = 2.0  # the long tail: a few students have hundreds of incidents
PARETO_CAP = 50.0  # but none has a tenth of the school's: about 35 times the median weight
TOP_CHRONOLOGY = 500  # at least one student per school has this many incidents, when possible
RECENT_SHARE = 0.03  # incidents in the last 7 days, for Dashboard and My History
BATCH_INCIDENTS = 5000  # incidents (with their actions, alerts and audit rows) per write
INCIDENT = Incident._meta.label_lower  # the audit trail's object type, as the app records it


def make_incidents(seeder, total: int, send) -> None:
    """Every incident with its rows, sent as ("rows", batch) every BATCH_INCIDENTS."""
    occurred, recorded, students, schools, seeds = plan_incidents(seeder, total)
    send("made", f"Planned {len(recorded)} incidents")
    step = max(total // 10, 1)
    pending, reseed = seeder.pending, seeder.rng.seed
    for position, moment in enumerate(recorded):
        while pending and pending[0][0] <= moment:
            add_later(seeder, heapq.heappop(pending))
        reseed(seeds[position])
        add_incident(
            seeder, seeder.schools[schools[position]], students[position], occurred[position],
            moment,
        )  # fmt: skip
        if (position + 1) % BATCH_INCIDENTS == 0:
            send("rows", seeder.batch())
        if (position + 1) % step == 0:
            send("made", f"{position + 1} incidents made")
    while pending:
        add_later(seeder, heapq.heappop(pending))
    send("rows", seeder.batch())


# Whose, and when


def plan_incidents(seeder, total: int) -> tuple[array, ...]:
    """Every incident's times, student, school and random seed, in the order recorded.

    Each incident makes its rows from a random stream of its own, so that the same --seed
    makes the same records whenever it runs, though their times move with the clock."""
    occurred, recorded, students = array("q"), array("q"), array("q")
    schools, seeds = array("b"), array("q")
    for position, school in enumerate(seeder.schools):
        size = share(total, len(seeder.schools), position)
        for student_id, happened, written in _school_incidents(seeder, school, size):
            occurred.append(happened)
            recorded.append(written)
            students.append(student_id)
            schools.append(position)
            seeds.append(seeder.rng.getrandbits(63))
    order = sorted(range(len(recorded)), key=recorded.__getitem__)
    return tuple(array(found.typecode, (found[i] for i in order)) for found in (
        occurred, recorded, students, schools, seeds
    ))  # fmt: skip


def incident_counts(seeder, school, size: int) -> dict[int, int]:
    """How many incidents each student has (by position): none for most, a long Pareto
    tail, and one student on roll for years with at least TOP_CHRONOLOGY when possible."""
    rng = seeder.rng
    pupils = len(school.student_ids)
    involved = min(size, round(pupils * SHARE_WITH_INCIDENTS))
    if not involved:
        return {}
    candidates = [i for i in range(pupils) if school.on_roll[i]] or list(range(pupils))
    earliest = min(school.windows[i][0] for i in candidates)
    top = rng.choice([i for i in candidates if school.windows[i][0] == earliest])
    others = rng.sample([i for i in range(pupils) if i != top], involved - 1)
    weights = sorted(
        (min(rng.paretovariate(PARETO_ALPHA), PARETO_CAP) for _ in range(involved)),
        reverse=True,
    )
    counts = spread(size, weights)
    if counts[0] < TOP_CHRONOLOGY and size >= TOP_CHRONOLOGY + involved - 1:
        counts = [TOP_CHRONOLOGY, *spread(size - TOP_CHRONOLOGY, weights[1:])]
    return dict(zip([top, *others], counts, strict=True))


def _school_incidents(seeder, school, size: int):
    random_, clock = seeder.random, seeder.clock
    now = clock.now_us
    counts = incident_counts(seeder, school, size)
    on_roll = sum(count for i, count in counts.items() if school.on_roll[i])
    recent = min(1.0, RECENT_SHARE * size / on_roll) if on_roll else 0.0
    for position, count in counts.items():
        start, end = school.windows[position]
        student_id = school.student_ids[position]
        here = school.on_roll[position]
        for _ in range(count):
            if here and random_() < recent:
                moment = max(now - MINUTE - int(random_() * 7 * DAY), start)
            else:
                moment = school_hours(start + int(random_() * (end - start)), random_)
                moment = min(max(moment, start), end)
            moment -= moment % MINUTE
            # Recorded a few minutes to a day later, and never in the future.
            later = delay(random_, [(0.6, 2 * MINUTE, HOUR), (0.3, HOUR, 8 * HOUR)], DAY)
            yield student_id, moment, clock.recorded(moment + later)


# The rows


def add_incident(seeder, school, student_id: int, occurred: int, recorded: int) -> None:
    random_, pick = seeder.random, seeder.pick
    incidents = seeder.incidents
    incident_id = incidents.next_id
    incidents.next_id += 1
    reporter = pick(school.reporters)
    first, pronouns = seeder.students[student_id]
    weights = school.pick_weights
    categories, rank, family = school.picks[bisect.bisect(weights, random_() * weights[-1])]
    if len(categories) == 1 and random_() < 0.25:  # and a second main category
        other, other_rank, _ = school.picks[pick(school.main_picks)]
        if other != categories:
            categories, rank = categories + other, max(rank, other_rank)
    child_protection = family == "Child Protection"
    agencies = ()
    if random_() < (0.3 if child_protection else 0.03):
        agencies = tuple(seeder.rng.sample(school.agency_ids, 1 if random_() < 0.7 else 2))
    words = {
        "n": first,
        "staff": seeder.people[pick(school.alertable)].title_name,
        "place": pick(PLACES),
        "lesson": pick(LESSONS),
        "time": pick(TIMES),
        "carer": pick(CARERS),
        "body": pick(BODY),
        "agency": pick(demo_school.AGENCIES),
        **pronouns,
    }
    text = pick(INCIDENT_TEXT[family]).format_map(words)
    for _ in range(pick((0, 1, 1, 2, 2, 3))):
        text += " " + pick(FOLLOW_UPS).format_map(words)
    markers = ()
    if random_() < (0.12 if child_protection else 0.015):
        markers = _add_markers(seeder, incident_id)
        text += " Marks shown on the body map: " + ", ".join(
            f"{marker['number']} ({pick(BODY)}, {marker['side']})" for marker in markers
        )
    at = seeder.clock.at(recorded)
    suffix = seeder.suffix
    incidents.rows.append(
        (
            incident_id, school.id, student_id, reporter, text[:600],
            seeder.clock.minute(occurred) + suffix, at + suffix, rank,
            _snapshot(seeder, school, categories, agencies, markers),
        )
    )  # fmt: skip
    through = seeder.incident_categories
    for category in categories:
        through.rows.append((through.next_id, incident_id, category))
        through.next_id += 1
    through = seeder.incident_agencies
    for agency in agencies:
        through.rows.append((through.next_id, incident_id, agency))
        through.next_id += 1
    linked = _add_links(seeder, school, incident_id, student_id) if random_() < 0.1 else 0
    session = "%064x" % seeder.rng.getrandbits(256)  # noqa: UP031 - the request's session
    alerted = add_alerts(seeder, school, incident_id, student_id, reporter, recorded, at, session)
    add_audit(
        seeder, school, reporter, "incident.added", INCIDENT, incident_id,
        f"Incident {incident_id}", student_id, {"alerted": alerted, "linked": linked}, session,
        at,
    )  # fmt: skip
    plan_actions(seeder, school, incident_id, student_id, reporter, recorded, words, linked)


def _snapshot(seeder, school, categories, agencies, markers) -> str:
    """The incident's snapshot as kestrel.incidents.models.snapshot_of makes it."""
    key = (categories, agencies)
    found = None if markers else seeder.snapshots.get(key)
    if found is None:
        found = json_text(
            snapshot_of(
                categories=[school.categories[pk] for pk in categories],
                agencies=[school.agencies[pk] for pk in agencies],
                markers=markers,
            )
        )
        if not markers:
            seeder.snapshots[key] = found
    return found


def _add_markers(seeder, incident_id: int) -> list[dict]:
    rng, markers, made = seeder.rng, seeder.markers, []
    for number in range(1, rng.choice((1, 1, 2, 3, 4)) + 1):
        side = "front" if rng.random() < 0.6 else "back"
        x, y = round(rng.uniform(0.2, 0.8), 3), round(rng.uniform(0.05, 0.95), 3)
        made.append({"number": number, "side": side, "x": x, "y": y})
        markers.rows.append((markers.next_id, incident_id, number, side, x, y))
        markers.next_id += 1
    return made


def _add_links(seeder, school, incident_id: int, student_id: int) -> int:
    random_, links = seeder.random, seeder.links
    chosen = {seeder.pick(school.student_ids) for _ in range(1 if random_() < 0.7 else 2)}
    chosen.discard(student_id)
    for other in chosen:
        links.rows.append((links.next_id, incident_id, other, random_() < 0.3, random_() < 0.25))
        links.next_id += 1
    return len(chosen)
