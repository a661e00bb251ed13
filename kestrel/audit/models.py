"""The audit trail: one row for every sign-in, view of a child's record, change and refusal.

Rows are written in the same transaction as the change they record and are never updated or
deleted; they keep a snapshot of labels so that they read correctly whatever happens later.
"""

from django.conf import settings
from django.db import models
from django.db.models import Manager, Q
from django.utils import timezone

from kestrel.schools.models import School
from kestrel.schools.scope import school_scoped


class AuditEvent(models.Model):
    school = models.ForeignKey(
        School, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    actor_label = models.CharField(max_length=200, blank=True)
    action = models.CharField(max_length=60)
    object_type = models.CharField(max_length=60, blank=True)
    object_id = models.CharField(max_length=40, blank=True)
    object_label = models.CharField(max_length=300, blank=True)
    student = models.ForeignKey(
        "students.Student", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    detail = models.JSONField(default=dict, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    session_hash = models.CharField(max_length=64, blank=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)
    # The row's own seal, written with it: an HMAC (keyed from AUDIT_KEY, which the database
    # does not hold) over its fields, so that an edited row is caught at once. Empty only on rows
    # written before rows carried one (their place in the chain covers them).
    mac = models.CharField(max_length=64, blank=True)
    # Random, under the MAC: two rows alike (the same click twice in one microsecond) still have
    # different MACs, so a row with another's MAC is a copy.
    nonce = models.CharField(max_length=32, blank=True)
    # The hash chain (one per school; chain 0 for events that belong to no school), linked
    # afterwards by the worker's sealer, within AUDIT_SEAL_SECONDS: each sealed row's hash
    # covers its own fields, its seal and the previous row's hash, so an altered, removed or
    # inserted row breaks every hash after it. `seq` is empty until the row is sealed; the
    # triggers let a row be updated once, from unsealed to sealed, and in no other way. See
    # kestrel.audit.chain.
    chain = models.BigIntegerField(default=0)
    seq = models.BigIntegerField(null=True, blank=True, default=None)
    prev_hash = models.CharField(max_length=64, blank=True)
    row_hash = models.CharField(max_length=64, blank=True)

    # Pages read a school's events in its scope (scope.py). The chain itself (kestrel.audit.chain:
    # appending, verifying, publishing heads) works by chain number across schools, and writes
    # events that belong to no school (chain 0): it, and only it, uses `all_schools`.
    objects = school_scoped()
    all_schools = Manager()  # noqa: DJ012 (a manager: the default, `objects`, must come first)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["school", "student", "-at"]),
            models.Index(fields=["school", "actor", "-at"]),
            # What the sealer reads: each chain's rows not sealed yet, in the order written.
            models.Index(
                fields=["chain", "id"], condition=Q(seq__isnull=True), name="auditevent_unsealed"
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["chain", "seq"], name="auditevent_unique_chain_seq"),
            # A copy of a row carries the same seal: the database refuses it.
            models.UniqueConstraint(
                fields=["mac"], condition=~Q(mac=""), name="auditevent_unique_mac"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_label} {self.action} {self.object_label}"
