"""Template tags available in every template (registered as builtins in settings)."""

from django import template
from django.urls import reverse

register = template.Library()


@register.inclusion_tag("_nav_item.html", takes_context=True)
def nav_item(context, url_name: str, label: str, prefix: str = ""):
    """One entry of the service navigation, marked as current when the page is under it."""
    url = reverse(url_name)
    path = context["request"].path
    current = path == url or bool(prefix and path.startswith(prefix))
    return {"url": url, "label": label, "current": current}


@register.simple_tag(takes_context=True)
def student_label(context, student) -> str:
    """A student as the guides show them, with the name starred out under Hide Names."""
    from kestrel.students.names import display_label, names_hidden

    return display_label(student, hidden=names_hidden(context["request"]))
