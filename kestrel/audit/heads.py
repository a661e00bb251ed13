"""Published chain heads: where each school's audit chain had got to, kept outside the database.

The hash chain shows a row altered, removed or inserted in the middle, but not rows removed from
the end: the rows left still form an unbroken chain. So the worker publishes each chain's head
(its last sequence number and row hash, with the time) to the "audit_heads" storage, and
`verify_audit` checks that the database still holds every published head and does not end
before the last one.

Each publication is a new object, never rewritten: `chain-<chain>/<seq>.json`, sealed with an
HMAC keyed from AUDIT_KEY for this purpose alone, and naming the head published before it. A
database administrator who cannot write to that storage cannot hide the newest rows' removal;
one who can write there too, but lacks AUDIT_KEY, cannot forge a head, only delete the newest
ones: keep the store where the database's administrators cannot delete (another host or user,
an append-only directory, or an object store with object lock).
"""

import datetime
import hashlib
import hmac
import json
from dataclasses import dataclass
from itertools import pairwise
from posixpath import join

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.utils import timezone

from kestrel.audit.chain import chain_for, tail
from kestrel.audit.models import AuditEvent
from kestrel.schools.models import School

STORAGE = "audit_heads"
SEALED_FIELDS = ("chain", "school", "seq", "row_hash", "published_at", "previous")


def heads_key() -> bytes:
    """The key that seals heads: from AUDIT_KEY, but not the chain's own key."""
    key = getattr(settings, "AUDIT_KEY", "") or settings.SECRET_KEY
    return hashlib.sha256(f"kestrel-audit-heads:{key}".encode()).digest()


def seal(head: dict) -> str:
    fields = [head.get(name) for name in SEALED_FIELDS]
    message = json.dumps(fields, ensure_ascii=False, separators=(",", ":")).encode()
    return hmac.new(heads_key(), message, hashlib.sha256).hexdigest()


def store():
    return storages[STORAGE]


def folder(chain: int) -> str:
    return f"chain-{chain}"


def object_name(chain: int, seq: int) -> str:
    # Zero-padded so that names sort as sequence numbers do.
    return join(folder(chain), f"{seq:020d}.json")


@dataclass(frozen=True)
class Head:
    name: str
    chain: int
    school: int | None
    seq: int
    row_hash: str
    published_at: str
    previous: str
    sealed: bool

    @property
    def when(self) -> str:
        at = datetime.datetime.fromisoformat(self.published_at)
        return timezone.localtime(at).strftime("%d/%m/%Y %H:%M:%S")


def _names(chain_folder: str) -> list[str]:
    try:
        _, files = store().listdir(chain_folder)
    except FileNotFoundError:
        return []
    return sorted(name for name in files if name.endswith(".json"))


def chains_published() -> list[int] | None:
    """The chains that have heads in the store; None when the store does not exist yet."""
    try:
        folders, _ = store().listdir("")
    except FileNotFoundError:
        return None
    return sorted(
        int(name.removeprefix("chain-"))
        for name in folders
        if name.startswith("chain-") and name.removeprefix("chain-").isdigit()
    )


def read(name: str) -> Head:
    """One published head; `sealed` is False when its seal does not match what it says."""
    with store().open(name, "rb") as handle:
        raw = handle.read()
    try:
        head = json.loads(raw)
        sealed = hmac.compare_digest(str(head.get("mac", "")), seal(head))
        return Head(
            name=name,
            chain=int(head["chain"]),
            school=head["school"],
            seq=int(head["seq"]),
            row_hash=str(head["row_hash"]),
            published_at=str(head["published_at"]),
            previous=str(head["previous"]),
            sealed=sealed,
        )
    except (ValueError, KeyError, TypeError, AttributeError):
        return Head(name, -1, None, -1, "", "", "", sealed=False)


def published(chain: int) -> list[Head]:
    """Every head published for `chain`, oldest first."""
    chain_folder = folder(chain)
    return [read(join(chain_folder, name)) for name in _names(chain_folder)]


def publish_heads(every_seconds: int | None = None) -> int:
    """Publishes the head of every chain that has grown since its last publication, at most
    once every `every_seconds` (AUDIT_HEADS_EVERY_SECONDS) a chain; returns how many were
    published. The worker runs it (PERIODIC_JOBS), and `manage.py tidy` daily."""
    if every_seconds is None:
        every_seconds = getattr(settings, "AUDIT_HEADS_EVERY_SECONDS", 0)
    moment = timezone.now()
    now = moment.astimezone(datetime.UTC).isoformat(timespec="microseconds")
    recent = (moment - datetime.timedelta(seconds=every_seconds)).isoformat()
    # Every school's chain, in no school's scope: it reads schools and the chains' ends only
    # (AuditEvent.all_schools), never a school's rows.
    chains = [
        0,
        *(chain_for(pk) for pk in School.objects.order_by("pk").values_list("pk", flat=True)),
    ]
    written = 0
    for chain in chains:
        seq, row_hash = tail(chain)
        if seq == 0:
            continue
        names = _names(folder(chain))
        last = names[-1] if names else ""
        if last and int(last.removesuffix(".json")) >= seq:
            continue
        if last and every_seconds and _published_since(join(folder(chain), last), recent):
            continue
        name = object_name(chain, seq)
        head = {
            "chain": chain,
            "school": chain or None,
            "seq": seq,
            "row_hash": row_hash,
            "published_at": now,
            "previous": join(folder(chain), last) if last else "",
        }
        head["mac"] = seal(head)
        if store().exists(name):
            continue  # another worker published this head at the same moment: never rewrite
        store().save(name, ContentFile(json.dumps(head, indent=1).encode()))
        written += 1
    return written


def _published_since(name: str, moment: str) -> bool:
    head = read(name)
    return head.sealed and _utc(head.published_at) > _utc(moment)


def _utc(text: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(text).astimezone(datetime.UTC)


def where(chain: int) -> str:
    return f"chain {chain} (school {chain or 'none'})"


def check(chunk_size: int = 1000) -> tuple[list[str], str]:
    """Compares the database's chains with the published heads: (problems, a note for the
    report). Every published head must be in its chain (same sequence and hash), sealed with
    the heads' key, and linked to the head before it; no chain may end before its last head."""
    chains = chains_published()
    if chains is None or not chains:
        return [], (
            "No chain heads have been published yet: the end of each chain cannot be checked "
            "(publish_heads runs in the worker and in manage.py tidy)."
        )
    problems: list[str] = []
    count = 0
    for chain in chains:
        heads = published(chain)
        count += len(heads)
        sealed = []
        for head in heads:
            if not head.sealed or head.chain != chain or head.name != object_name(chain, head.seq):
                problems.append(
                    f"{where(chain)}: the published head {head.name} has been altered "
                    "(its seal does not match)"
                )
            else:
                sealed.append(head)
        for before, after in pairwise(sealed):
            if after.previous != before.name:
                problems.append(
                    f"{where(chain)}: a published head before sequence {after.seq} is missing "
                    f"(it names {after.previous or 'none'}, the store has {before.name})"
                )
        if not sealed:
            continue
        end, _ = tail(chain)
        newest = sealed[-1]
        if end < newest.seq:
            problems.append(
                f"{where(chain)}: chain ends at {end} but head {newest.seq} was published at "
                f"{newest.when}"
            )
        problems.extend(_differing(chain, [h for h in sealed if h.seq <= end], chunk_size))
    return problems, f"{count} published chain heads compared."


def _differing(chain: int, heads: list[Head], chunk_size: int) -> list[str]:
    """The heads whose row in the database has another hash (the chain was rewritten)."""
    problems = []
    for start in range(0, len(heads), chunk_size):
        chunk = heads[start : start + chunk_size]
        rows = dict(
            AuditEvent.all_schools.filter(chain=chain, seq__in=[h.seq for h in chunk]).values_list(
                "seq", "row_hash"
            )
        )
        for head in chunk:
            found = rows.get(head.seq)
            if found is None:
                problems.append(
                    f"{where(chain)}: the row at sequence {head.seq}, published at {head.when}, "
                    "is missing"
                )
            elif not hmac.compare_digest(found, head.row_hash):
                problems.append(
                    f"{where(chain)}: the row at sequence {head.seq} is not the one published at "
                    f"{head.when} (the chain was rewritten)"
                )
    return problems
