"""The seeded audit rows, linked into each school's hash chain exactly as kestrel.audit.chain
links them, but signed from text written out here rather than from model instances."""

import hashlib
import json

from kestrel.audit import chain


class Signer:
    """kestrel.audit.chain.row_hash for a canonical form already written out as text.

    HMAC-SHA256 (RFC 2104) with the chain's key, its inner and outer pads hashed once.
    """

    def __init__(self):
        key = chain.chain_key().ljust(64, b"\0")
        self.inner = hashlib.sha256(bytes(byte ^ 0x36 for byte in key))
        self.outer = hashlib.sha256(bytes(byte ^ 0x5C for byte in key))

    def sign(self, prev_hash: str, canonical: str) -> str:
        inner = self.inner.copy()
        inner.update(f"{prev_hash}|{canonical}".encode())
        outer = self.outer.copy()
        outer.update(inner.digest())
        return outer.hexdigest()


def json_text(value) -> str:
    """`value` as the JSON of a canonical form: compact, and not escaped to ASCII."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def add_audit(
    seeder, school, actor, action, object_type, object_id, object_label, student_id, detail,
    session, at,
) -> None:  # fmt: skip
    """One audit row at the end of its school's chain. `detail` is JSON with sorted keys;
    the canonical form is `chain.canonical`'s, written out (the tests compare the two)."""
    person = seeder.people[actor]
    seq = school.seq = school.seq + 1
    school_id = school.id
    prev = school.prev_hash
    inner = seeder.signer.inner.copy()  # Signer.sign, inline: this runs for every audit row
    inner.update(
        f'{prev}|[{school_id},{seq},{school_id},{actor},{person.name_json},"{action}",'
        f'"{object_type}","{object_id}","{object_label}",{student_id},{detail},'
        f'{person.ip_json},"{session}","{at[:10]}T{at[11:]}+00:00"]'.encode()
    )
    outer = seeder.signer.outer.copy()
    outer.update(inner.digest())
    school.prev_hash = signed = outer.hexdigest()
    audit = seeder.audit
    audit.rows.append(
        (
            audit.next_id, school_id, actor, person.name, action, object_type,
            str(object_id), object_label, student_id, detail, person.ip, session,
            at + seeder.suffix, school_id, seq, prev, signed,
        )
    )  # fmt: skip
    audit.next_id += 1
