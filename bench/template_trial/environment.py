"""The Jinja2 environment for Kestrel's pages (issue 19, part 2: measured, not yet switched on).

What the Django templates get from builtins and tags, the Jinja2 templates get here: `static`,
`url`, the service navigation's entries, the pagination's links, and the same filters (`when`,
`first_words`, Django's `date`, `time`, `pluralize`, `urlencode`). GOV.UK components come from
HM Land Registry's govuk-frontend-jinja macros, imported as "govuk_frontend_jinja/...".

Only `manage.py measure_templates` builds an engine with it; settings.TEMPLATES is unchanged.
"""

from django.core.paginator import Paginator
from django.template.defaultfilters import date, pluralize, time, urlencode
from django.templatetags.static import static
from django.urls import reverse
from jinja2 import ChoiceLoader, Environment, PackageLoader, PrefixLoader, pass_context
from markupsafe import Markup

from kestrel.templatetags.kestrel import first_words, page_query, when

GOVUK_PREFIX = "govuk_frontend_jinja"


def url(name: str, *args, **kwargs) -> str:
    """`{% url %}`: the path of a named URL."""
    return reverse(name, args=args or None, kwargs=kwargs or None)


def nav_item(request, url_name: str, label: str, prefix: str = "") -> dict:
    """One entry of govukServiceNavigation, current when the page is under it (as the Django
    `nav_item` tag decides)."""
    href = reverse(url_name)
    path = request.path
    return {
        "href": href,
        "text": label,
        "current": path == href or bool(prefix and path.startswith(prefix)),
    }


@pass_context
def pagination(context, page, *, label: str, previous: str, following: str, params=None) -> dict:
    """govukPagination's parameters for `page`, as Kestrel's _pagination.html shows it: the
    first, the last and the current page's neighbours, an ellipsis where numbers are left out,
    and page links that keep the request's query (or `params`), as the `page_query` tag does."""

    def href(number: int) -> str:
        return page_query({"request": context["request"]}, number, params)

    items = []
    for number in page.paginator.get_elided_page_range(page.number, on_each_side=1, on_ends=1):
        if number == Paginator.ELLIPSIS:
            items.append({"ellipsis": True})
        else:
            items.append({"number": number, "href": href(number), "current": number == page.number})
    hidden = Markup('<span class="govuk-visually-hidden"> page</span>')
    return {
        "landmarkLabel": label,
        "items": items,
        "previous": {"href": href(page.previous_page_number()), "html": previous + hidden}
        if page.has_previous()
        else None,
        "next": {"href": href(page.next_page_number()), "html": following + hidden}
        if page.has_next()
        else None,
    }


DATE_PARTS = ("Day", "Month", "Year")
# Classes govukDateInput adds to each box itself.
DATE_BOX_CLASSES = {"govuk-input", "govuk-date-input__input"}


def date_input_items(field) -> list[dict]:
    """govukDateInput's `items` for a bound DateField: ids, names and values as Django's
    DateWidget gives them (id_start_0, start_0, ...), so the form reads them back unchanged."""
    attrs = field.build_widget_attrs({})
    attrs.setdefault("id", field.auto_id)
    widget = field.field.widget.get_context(field.html_name, field.value(), attrs)["widget"]
    return [
        {
            "id": part["attrs"]["id"],
            "name": part["name"],
            "value": part["value"],
            "label": label,
            "inputmode": part["attrs"].get("inputmode"),
            # What else Django puts on the box, such as aria-invalid="true" on an error.
            "attributes": {
                name: value
                for name, value in part["attrs"].items()
                if name not in {"id", "class", "inputmode"}
            },
            "classes": " ".join(
                css for css in part["attrs"].get("class", "").split() if css not in DATE_BOX_CLASSES
            ),
        }
        for part, label in zip(widget["subwidgets"], DATE_PARTS, strict=True)
    ]


GROUPED_WIDGETS = {"date", "checkboxselectmultiple", "radioselect"}


def error_list(form) -> list[dict]:
    """govukErrorSummary's `errorList` for a form: its own errors, then each field's, linked to
    the field's first box (as forms/_error_summary.html links them)."""
    items = [{"text": error} for error in form.non_field_errors()]
    for field in form.visible_fields():
        grouped = field.widget_type in GROUPED_WIDGETS
        target = f"{field.auto_id}_0" if grouped else field.id_for_label
        items.extend({"text": error, "href": f"#{target}"} for error in field.errors)
    return items


def environment(**options) -> Environment:
    """Called by django.template.backends.jinja2.Jinja2 with its options (loader, autoescape,
    auto_reload, undefined)."""
    loader = options.pop("loader")
    options["loader"] = ChoiceLoader(
        [loader, PrefixLoader({GOVUK_PREFIX: PackageLoader("govuk_frontend_jinja")})]
    )
    # Django's backend passes autoescape=True unless told otherwise; Kestrel never turns it off.
    options.pop("autoescape", None)
    env = Environment(autoescape=True, **options)
    env.globals.update(
        static=static,
        url=url,
        nav_item=nav_item,
        pagination=pagination,
        date_input_items=date_input_items,
        error_list=error_list,
    )
    env.filters.update(
        when=when,
        first_words=first_words,
        date=date,
        time=time,
        pluralize=pluralize,
        urlencode=urlencode,
    )
    return env
