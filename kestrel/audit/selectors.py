"""Reading the audit trail for the DSL's pages."""

import datetime

from django.db.models import QuerySet
from django.utils import timezone

from kestrel.audit.models import AuditEvent

ACTION_LABELS = {
    "signin.succeeded": "Signed in",
    "signin.failed": "Failed to sign in",
    "signin.refused": "Sign-in refused (locked out)",
    "signout": "Logged out",
    "signout.everywhere": "Signed out everywhere else",
    "second_factor.succeeded": "Confirmed it was them (second factor)",
    "second_factor.failed": "Gave a wrong second-factor code",
    "key.unlocked": "Unlocked key access",
    "key.locked": "Locked key access",
    "access.refused": "Was refused a record or page",
    "students.listed": "Listed students",
    "students.viewed": "Opened a student’s details",
    "student.added": "Added a student",
    "student.changed": "Changed a student’s details",
    "audit.student_viewed": "Read a student’s audit trail",
    "audit.staff_viewed": "Read a colleague’s audit trail",
    "incident.viewed": "Opened an incident",
    "incident.added": "Recorded an incident",
    "alert.sent": "Alerted a colleague",
    "names.hidden": "Turned Hide Names on",
    "names.shown": "Turned Hide Names off",
    "chronology.viewed": "Opened a chronology",
    "dashboard.viewed": "Opened their Dashboard (alerts about students)",
    "students.searched": "Searched for a student",
    "student.left": "Marked a student as left",
    "staff.added": "Added a colleague",
    "staff.changed": "Changed a colleague’s details",
    "staff.deactivated": "Deactivated a colleague",
    "staff.invited": "Sent a colleague their first-time email",
    "roster.uploaded": "Uploaded a roster file",
    "roster.refused": "Uploaded a roster file that was refused",
    "roster.columns_matched": "Matched a roster file’s columns",
    "roster.previewed": "Looked at a roster import’s preview",
    "roster.row_decided": "Decided whether a roster row is a known person",
    "roster.refused_rows_downloaded": "Downloaded a roster import’s refused rows",
    "roster.confirmed": "Confirmed a roster import",
    "roster.imported": "Imported a roster",
    "roster.cancelled": "Cancelled a roster import",
    "roster.rows_removed": "Removed an old roster import’s rows",
    "action.added": "Added an action to an incident",
    "incident.corrected": "Corrected an incident (the original is kept)",
    "encompass.acknowledged": "Acknowledged an Operation Encompass notification",
    "file.uploaded": "Uploaded a file",
    "file.downloaded": "Downloaded a file",
    "file.refused": "Had a file refused",
    "file.picture_discarded": "Had a picture refused in a “no images” category (not kept)",
    "calendar.imported": "Imported the school’s term dates",
    "term.added": "Added a term to the school’s calendar",
    "term.changed": "Changed a term of the school’s calendar",
    "closure.added": "Added a half term or INSET day",
    "closure.changed": "Changed a half term or INSET day",
    "case_file.viewed": "Opened a student’s case file",
    "case_file.form_viewed": "Opened a form of a student’s case file",
    "caseload.viewed": "Listed the DSL team’s caseload",
    "caseload.awaiting_feedback_viewed": "Listed referrals awaiting feedback",
    "case.opened": "Opened a case",
    "case.status_started": "Started a status (Child in Need, Child Protection Plan, ...)",
    "case.status_ended": "Ended a status",
    "case.risk_set": "Set a student’s risk level",
    "case.referral_made": "Recorded a referral",
    "case.referral_outcome": "Recorded the feedback on a referral",
    "case.decision": "Recorded a decision",
    "case.information_shared": "Recorded information shared",
    "case.information_not_shared": "Recorded information not shared",
    "case.reviewed": "Signed off a case review",
    "case.closed": "Closed a case with its outcome",
    "case.corrected": "Corrected a case-file record (what it said before is kept)",
    "key_facts.viewed": "Opened a student’s key facts",
    "key_facts.contact_added": "Added a contact to a student’s key facts",
    "key_facts.contact_changed": "Changed a contact in a student’s key facts",
    "key_facts.contact_ended": "Ended a contact in a student’s key facts",
    "key_facts.professional_added": "Added a professional to a student’s key facts",
    "key_facts.professional_changed": "Changed a professional in a student’s key facts",
    "key_facts.professional_ended": "Ended a professional in a student’s key facts",
    "key_facts.notes_changed": "Changed the notes of a student’s key facts",
    "export.requested": "Asked for a PDF of a student’s whole file",
    "export.made": "A PDF of a student’s whole file was made",
    "export.downloaded": "Downloaded the PDF of a student’s whole file",
    "export.files_downloaded": "Downloaded the attached files of a student’s whole file",
    "export.removed": "An old export’s files were deleted",
    "student.marked_left": "Marked a student as left",
    "transfer.started": "A leaver’s child protection file became due at the next school",
    "transfer.destination_set": "Recorded where a leaver has gone",
    "transfer.viewed": "Opened a leaver’s transfer",
    "transfer.form_viewed": "Opened a form of a leaver’s transfer",
    "transfer.log_viewed": "Read the transfer log",
    "transfer.sent": "Sent a child protection file to the next school",
    "transfer.received": "Receipt of a sent child protection file was confirmed",
    "transfer.chased": "A file sent with no receipt after 5 school days was chased",
    "transfer.informed": "Recorded that the local authority was told of a leaver",
    "transfer.cancelled": "Cancelled a leaver’s transfer",
    "transfer.copy_recorded": "Recorded what was done with the school’s copy of a sent file",
    "transfer.kestrel_send_requested": "Sent a file to a school on Kestrel",
    "transfer.kestrel_send_refused": "Was refused sending a file to a school on Kestrel",
    "transfer.kestrel_not_sent": "A file could not be delivered to a school on Kestrel",
    "transfer.package_refused": "A transfer package from another Kestrel was refused",
    "transfer.receipt_sent": "Told the sending school that its file was received",
    "transfer.receipt_refused": "A receipt from another Kestrel was refused",
    "transfer.link_sent": "Sent a download link for a child protection file",
    "transfer.link_emailed": "A download link was emailed",
    "transfer.link_opened": "A download link was opened",
    "transfer.link_code_sent": "A one-time code for a download link was emailed",
    "transfer.link_code_right": "A download link was opened with its one-time code",
    "transfer.link_code_wrong": "A wrong one-time code was typed at a download link",
    "transfer.link_code_refused": "A used or expired one-time code was typed at a download link",
    "transfer.link_code_limited": "Too many codes were asked for at a download link",
    "transfer.link_locked": "A download link was locked after wrong codes",
    "transfer.link_refused": "A download link was refused (expired, withdrawn or locked)",
    "transfer.link_named": "The recipient of a download link named themselves",
    "transfer.link_downloaded": "A child protection file was downloaded by its link",
    "transfer.link_withdrawn": "Withdrew a download link",
    "transfer.file_received": "A child protection file arrived from another school",
    "transfer.file_matched": "Matched a received file to a student",
    "transfer.file_accepted": "Accepted a received file into a student’s chronology",
    "transfer.file_refused": "Refused a received file",
    "transfer.file_reviewed": "Recorded the review of a received file",
    "transfer.received_listed": "Listed the files received from other schools",
    "transfer.received_viewed": "Opened a file received from another school",
    "transfer.received_downloaded": "Downloaded a file received from another school",
}


def describe(action: str) -> str:
    return ACTION_LABELS.get(action, action.replace(".", ": ").replace("_", " ").capitalize())


def _between(events: QuerySet, start: datetime.date | None, end: datetime.date | None):
    zone = timezone.get_current_timezone()
    if start:
        events = events.filter(at__gte=datetime.datetime.combine(start, datetime.time(), zone))
    if end:
        next_day = end + datetime.timedelta(days=1)
        events = events.filter(at__lt=datetime.datetime.combine(next_day, datetime.time(), zone))
    return events


def student_trail(*, student, start=None, end=None) -> QuerySet[AuditEvent]:
    """Who has viewed or changed this student's records, newest first."""
    events = AuditEvent.objects.filter(student=student).select_related("actor")
    return _between(events, start, end).order_by("-at", "-id")


def staff_trail(*, staff, start=None, end=None) -> QuerySet[AuditEvent]:
    """What this member of staff has viewed and done, newest first."""
    events = AuditEvent.objects.filter(actor=staff).select_related("student")
    return _between(events, start, end).order_by("-at", "-id")
