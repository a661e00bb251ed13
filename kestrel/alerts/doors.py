"""The doors to alerts (see `kestrel.access.doors`)."""

from kestrel.access import doors, refusals
from kestrel.access.policies import Viewer, policy_for


def get_alert_for_user(request, pk: int, action: str):
    """One of the viewer's own alerts, with its incident and student."""
    return doors.get_for_user(
        request, "alert", pk, action, shape=lambda rows: rows.select_related("incident__student")
    )


def find_alert_for_user(request, asked, action: str = "open"):
    """For a page that carries on without the record ("next alert"): the viewer's alert, or
    None, the refusal recorded as the doors record it."""
    policy = policy_for("alert")
    policy.check_action(action)
    alert = policy.visible(Viewer.of(request)).filter(pk=asked).first()
    if alert is None:
        refusals.record_refusal(
            request,
            kind="alert",
            asked=asked,
            reason=refusals.reason_for(request, policy.model, pk=asked),
        )
    return alert
