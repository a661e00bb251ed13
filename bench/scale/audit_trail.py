"""The seeded audit rows, linked into each school's hash chain by kestrel.audit.chain's own
canonical form and hash (`canonical_fields`, `chained_hash`): the seeder has no model instances,
but the chain has one canonical form."""

import datetime
import json
import secrets

from kestrel.audit import chain


def json_text(value) -> str:
    """`value` as the text of a JSON column: compact, and not escaped to ASCII."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def add_audit(
    seeder, school, actor, action, object_type, object_id, object_label, student_id,
    detail: dict, session, at,
) -> None:  # fmt: skip
    """One audit row at the end of its school's chain; `at` is the database's text for it."""
    person = seeder.people[actor]
    seq = school.seq = school.seq + 1
    school_id, chain_id, object_id = school.id, school.chain, str(object_id)
    prev = school.prev_hash
    fields = dict(
        chain=chain_id, school_id=school_id, actor_id=actor, actor_label=person.name,
        action=action, object_type=object_type, object_id=object_id, object_label=object_label,
        student_id=student_id, detail=detail, ip_address=person.ip, session_hash=session,
        at=datetime.datetime.fromisoformat(at).replace(tzinfo=datetime.UTC),
    )  # fmt: skip
    # Written and sealed at once, as chain.bulk_append does: its own nonce and MAC, then its
    # place in the chain.
    nonce = secrets.token_hex(16)
    mac = chain.content_mac(nonce, **fields)
    canonical = chain.canonical_fields(seq=seq, mac=mac, **fields)
    school.prev_hash = signed = chain.chained_hash(prev, canonical)
    audit = seeder.audit
    audit.rows.append(
        (
            audit.next_id, school_id, actor, person.name, action, object_type, object_id,
            object_label, student_id, json_text(detail), person.ip, session, at + seeder.suffix,
            chain_id, seq, prev, signed, mac, nonce,
        )
    )  # fmt: skip
    audit.next_id += 1
