"""Template tags available in every template (registered as builtins in settings)."""

import datetime

from django import template
from django.core.paginator import Paginator
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone

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
    return _names_shown(context).label(student)


@register.simple_tag(takes_context=True)
def date_of_birth(context, student, format_: str) -> str:
    """A student's date of birth in the `date` filter's format, or "Hidden" under Hide Names."""
    return _names_shown(context).date_of_birth(student, format_)


@register.simple_tag(takes_context=True)
def searched_for(context, query: str) -> str:
    """ "matching “words”" after a list's count, or "matching your search" under Hide Names
    (the words may be a child's name)."""
    return _names_shown(context).searched_for(query)


def _names_shown(context):
    """The request's one Hide Names presenter (kestrel.students.names.NamesShown)."""
    from kestrel.students.names import NamesShown

    return NamesShown.of(context["request"])


@register.filter
def ago(moment: datetime.datetime | None) -> str:
    """How long ago, in its largest whole unit, as the guide's Dashboard puts it: "2 days ago".
    Days are counted up to two months, so that a week-old alert reads "8 days ago"."""
    if moment is None:
        return ""
    seconds = (timezone.now() - moment).total_seconds()
    days = seconds / 86400
    if seconds < 60:
        return "just now"
    if days >= 365:
        count, unit = int(days // 365), "year"
    elif days >= 60:
        count, unit = int(days // 30), "month"
    elif days >= 1:
        count, unit = int(days), "day"
    elif seconds >= 3600:
        count, unit = int(seconds // 3600), "hour"
    else:
        count, unit = int(seconds // 60), "minute"
    return f"{count} {unit}{'' if count == 1 else 's'} ago"


DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@register.filter
def when(moment: datetime.datetime | None) -> str:
    """A date and time as the guides show them, in the school's time: "Mon 13/08/2018 at 15:50".
    (The same as `date:"D d/m/Y"` and `time:"H:i"`, at a fraction of their cost on long pages.)"""
    if moment is None:
        return ""
    local = timezone.localtime(moment)
    return (
        f"{DAYS[local.weekday()]} {local.day:02d}/{local.month:02d}/{local.year:04d}"
        f" at {local.hour:02d}:{local.minute:02d}"
    )


TRUNCATED = " …"


@register.filter(is_safe=True)
def first_words(text: str, count: int) -> str:
    """The first `count` words, spaced singly, and " …" if there were more: Django's
    `truncatewords` for plain text, at half its cost (a chronology page calls it about 100
    times)."""
    words = str(text).split()
    shown = " ".join(words[:count])
    if len(words) <= count or shown.endswith(TRUNCATED):
        return shown
    return shown + TRUNCATED


@register.simple_tag(takes_context=True)
def page_query(context, number: int, params=None) -> str:
    """The query string of page `number` of a list: `params` (a dict; by default the request's
    own query, so that filters and searches carry over) with its page number replaced. An include
    that is given no params passes "" (the template's empty value): the same as none."""
    query = QueryDict(mutable=True)
    if params is None or params == "":
        for key, values in context["request"].GET.lists():
            if key != "page":
                query.setlist(key, values)
    else:
        query.update({key: value for key, value in params.items() if value})
    query["page"] = number
    return f"?{query.urlencode()}"


@register.simple_tag(takes_context=True)
def position_query(context, direction: str, position: str) -> str:
    """The query string of the page of a list paged by position (the chronology): the request's
    own query (its filters) with the position asked for ("older" or "newer") in place of any."""
    query = QueryDict(mutable=True)
    for key, values in context["request"].GET.lists():
        if key not in {"older", "newer", "page"}:
            query.setlist(key, values)
    query[direction] = position
    return f"?{query.urlencode()}"


@register.simple_tag
def page_numbers(page) -> list[int | None]:
    """The page numbers a pagination shows around `page` (the first, the last, and those next
    to the current one), with None where numbers are left out."""
    numbers = page.paginator.get_elided_page_range(page.number, on_each_side=1, on_ends=1)
    return [None if number == Paginator.ELLIPSIS else number for number in numbers]
