"""The one door to a transfer: of the user's school (any other is refused, 404, and the refusal
recorded), and only for those whom its child's case file's door lets in."""

from kestrel.access.refusals import get_for_user
from kestrel.students.doors import get_student_for_user
from kestrel.transfers.models import Transfer


def get_transfer_for_user(request, pk) -> Transfer:
    rows = Transfer.objects.filter(school_id=request.user.school_id).select_related(
        "school", "student", "sent_by", "export", "destination_school"
    )
    transfer = get_for_user(request, rows, kind="transfer", pk=pk)
    transfer.student = get_student_for_user(request, transfer.student_id, "case_file")
    return transfer
