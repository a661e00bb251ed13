"""`{% transfer_reminders %}`: the DSL team's transfer reminders on the Dashboard (counts, no
child named). A tag rather than the Dashboard's view, which sits below the transfers in the
layers (.importlinter)."""

from django import template

from kestrel.transfers.selectors import team_counts

register = template.Library()


@register.inclusion_tag("transfer_pages/_reminders.html", takes_context=True)
def transfer_reminders(context):
    request = context["request"]
    user = request.user
    if not (user.is_authenticated and user.is_key_holder):
        return {"counts": None}
    return {"counts": team_counts(user.school_id)}
