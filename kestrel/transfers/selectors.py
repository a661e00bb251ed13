"""What the DSL team sees of transfers: the Dashboard's counts (no child named) and the
transfer log."""

from dataclasses import dataclass

from django.db.models import Count, Q
from django.utils import timezone

from kestrel.transfers.models import Received, ReceivedState, State, Transfer


@dataclass(frozen=True)
class TransferCounts:
    needs_destination: int = 0
    due: int = 0
    overdue: int = 0
    chase: int = 0
    inform: int = 0
    refused: int = 0
    received_waiting: int = 0
    received_held: int = 0
    to_review: int = 0

    @property
    def any(self) -> bool:
        return any(vars(self).values())


def team_counts(school_id: int, today=None) -> TransferCounts:
    """The DSL team's transfer reminders at the school, in two queries."""
    today = today or timezone.localdate()
    out = Transfer.objects.filter(
        school_id=school_id,
        state__in=[State.NEEDS_DESTINATION, State.DUE, State.SENT, State.INFORM, State.REFUSED],
    ).aggregate(
        needs_destination=Count("pk", filter=Q(state=State.NEEDS_DESTINATION)),
        due=Count("pk", filter=Q(state=State.DUE, due_on__gte=today)),
        overdue=Count(
            "pk",
            filter=Q(state__in=[State.DUE, State.NEEDS_DESTINATION], due_on__lt=today),
        ),
        chase=Count("pk", filter=Q(state=State.SENT, chase_on__lte=today)),
        inform=Count("pk", filter=Q(state=State.INFORM)),
        refused=Count("pk", filter=Q(state=State.REFUSED)),
    )
    received = Received.objects.filter(school_id=school_id).aggregate(
        received_waiting=Count("pk", filter=Q(state=ReceivedState.WAITING)),
        received_held=Count("pk", filter=Q(state=ReceivedState.HELD)),
        to_review=Count("pk", filter=Q(state=ReceivedState.ACCEPTED, reviewed_at__isnull=True)),
    )
    return TransferCounts(**out, **received)


def transfer_log(school_id: int):
    """Every transfer of the school, the open ones first, for the transfer log."""
    return (
        Transfer.objects.filter(school_id=school_id)
        .select_related("student", "sent_by", "destination_school")
        .order_by("-created_at", "-id")
    )


def received_files(school_id: int):
    return Received.objects.filter(school_id=school_id).select_related("student", "accepted_by")


def latest_transfer(student) -> Transfer | None:
    """The child's newest transfer (open or not), for the case file's links."""
    return Transfer.objects.filter(student=student).order_by("-created_at", "-id").first()
