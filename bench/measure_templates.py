"""Issue 19, part 2, the measurement: Django templates against Jinja2 with govuk-frontend-jinja.

`manage.py measure_templates` seeds a throwaway test database (a student with 500 incidents,
some with actions, corrections and linked students), opens the chronology as a signed-in DSL
with the test client, and keeps what the view handed to `render` and the request. Then, with no
database work, it renders the layout alone (base.html with an empty body) and the chronology
page many times in-process under each of:

  django        the templates Kestrel serves today (templates/base.html, chronology.html);
  jinja2        the issue's proposal: bench/template_trial/jinja2/base.html and students/chronology.html,
                GOV.UK components from govuk-frontend-jinja's macros;
  jinja2 plain  for comparison: the same pages translated line by line into Jinja2 with
                Kestrel's own markup (bench/template_trial/jinja2/plain/), to tell the engine's cost from
                the macros'.

Each is timed two ways: the compiled template alone from a context built once (what the engine
costs), and through the backend as `render()` does it (the context processors, the same for
every engine, run each time). It checks that the engines give the same page (Django's HTML
comparison, which ignores attribute order and runs of whitespace) in several states, and
profiles each chronology render.

Nothing in the running product changes: settings.TEMPLATES keeps the Django engine; the Jinja2
engine is built here.
"""

import cProfile
import datetime
import gc
import html.parser
import inspect
import io
import pstats
import random
import re
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from unittest import mock

from django.conf import settings
from django.db import connection
from django.template import Context, engines
from django.template.backends.jinja2 import Jinja2
from django.template.context import _builtin_context_processors
from django.test import Client
from django.test.html import parse_html
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, resolve, reverse
from django.utils import timezone
from django.utils.module_loading import import_string

ENTRIES = 500
# The ported chronology (whatever the view's own template is called: the view is moving).
JINJA2_CHRONOLOGY = "students/chronology.html"
JINJA2_DIR = Path(settings.BASE_DIR) / "bench" / "template_trial" / "jinja2"

# The words of the made-up incident and action texts.
WORDS = " ".join(
    (
        "said worried lunch playground teacher duty mum dad home tired hungry upset crying bruise",
        "arm leg shoulder break classroom friend older brother sister weekend shouting argument",
        "late uniform unwashed quiet withdrawn angry refused talk later asked again nurse office",
        "phoned parent carer social worker meeting plan attendance absent morning afternoon",
    )
).split()


def jinja2_engine() -> Jinja2:
    """The Jinja2 backend as settings.TEMPLATES would declare it, with the same context
    processors as the Django engine. `auto_reload` off, as under DEBUG=False in production."""
    options = settings.TEMPLATES[0]["OPTIONS"]
    return Jinja2(
        {
            "NAME": "jinja2",
            "DIRS": [JINJA2_DIR],
            "APP_DIRS": False,
            "OPTIONS": {
                "environment": "bench.template_trial.environment.environment",
                "context_processors": list(options.get("context_processors", [])),
                "auto_reload": False,
            },
        }
    )


# Seeding


def sentence(rng: random.Random, low: int, high: int, name: str = "") -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(low, high))]
    if name:
        words.insert(rng.randrange(len(words)), name)
    words[0] = words[0].capitalize()
    return " ".join(words) + "."


@dataclass
class Seeded:
    school: object
    dsl: object
    student: object
    categories: list
    empty_category: object


def seed(entries: int = ENTRIES) -> Seeded:
    """A school, a DSL with the key, and a student with `entries` incidents they may all see:
    texts of 10 to 120 words, one or two categories, actions on about 40% of them, corrections
    on about 5%, and about 10% recorded about a sibling and linked to the student."""
    from kestrel.incidents.models import Action, Correction, LinkedStudent
    from kestrel.testing.factories import (
        AccessLevelFactory,
        CategoryFactory,
        IncidentFactory,
        SchoolFactory,
        StudentFactory,
        UserFactory,
    )

    rng = random.Random(20261207)  # noqa: S311 - repeatable data, not a secret
    school = SchoolFactory(
        name="Ashdown Primary School",
        website_url="https://ashdown.example.org/",
        user_guide_url="https://ashdown.example.org/guide/",
    )
    staff_level = AccessLevelFactory(school=school, name="Staff", rank=20)
    dsl_level = AccessLevelFactory(school=school, name="DSL team", rank=40)
    dsl = UserFactory(
        school=school,
        first_name="Chloe",
        last_name="Kelan",
        job_title="Designated Safeguarding Lead",
        access_level=dsl_level,
        is_key_holder=True,
    )
    colleagues = [
        UserFactory(school=school, access_level=staff_level, last_name=f"Colleague{n}")
        for n in range(10)
    ]
    student = StudentFactory(
        school=school, legal_first_name="Hannah", legal_last_name="Greenwood", tutor_group="1B"
    )
    sibling = StudentFactory(
        school=school, legal_first_name="Matthew", legal_last_name="Greenwood", tutor_group="5B"
    )
    categories = [
        CategoryFactory(school=school, name="Home Issues", access_level=staff_level),
        CategoryFactory(school=school, name="Behaviour", access_level=staff_level),
        CategoryFactory(school=school, name="Child Protection", access_level=dsl_level),
        CategoryFactory(school=school, name="Attendance", access_level=staff_level),
    ]
    empty_category = CategoryFactory(school=school, name="Online Safety", access_level=staff_level)
    now = timezone.now()
    for n in range(entries):
        linked = rng.random() < 0.10
        incident = IncidentFactory(
            student=sibling if linked else student,
            reporter=rng.choice(colleagues),
            text=sentence(rng, 10, 120, name=rng.choice(["Hannah", "Matthew", ""])),
            categories=rng.sample(categories, rng.choice([1, 1, 2])),
            occurred_at=now - datetime.timedelta(days=n * 3, hours=rng.randint(0, 8)),
        )
        if linked:
            LinkedStudent.objects.create(incident=incident, student=student)
        if rng.random() < 0.40:
            for _ in range(rng.randint(1, 3)):
                Action.objects.create(
                    incident=incident,
                    school=school,
                    author=rng.choice([dsl, *colleagues]),
                    text=sentence(rng, 5, 60),
                    occurred_at=incident.occurred_at + datetime.timedelta(hours=rng.randint(1, 48)),
                    add_to_linked_students=rng.random() < 0.5,
                )
        if rng.random() < 0.05:
            Correction.objects.create(
                incident=incident, author=dsl, text=sentence(rng, 10, 80), reason="Typo."
            )
    return Seeded(school, dsl, student, categories, empty_category)


# What the view renders


@dataclass
class Captured:
    """What the chronology view handed to `render`, and its request."""

    request: object
    template_name: str
    context: dict
    html: str


def chronology_url(student) -> str:
    for name in ("students:chronology", "incidents:chronology"):
        try:
            return reverse(name, args=[student.pk])
        except NoReverseMatch:
            continue
    raise RuntimeError("No URL named students:chronology or incidents:chronology.")


def capture(client: Client, url: str, query: dict | None = None) -> Captured:
    """GETs `url` and keeps the view's own `render` arguments (wherever the view lives)."""
    view = inspect.unwrap(resolve(url).func)
    module = inspect.getmodule(view)
    seen = {}
    real_render = module.render

    def recording_render(request, template_name, context=None, *args, **kwargs):
        seen.update(request=request, template_name=template_name, context=dict(context or {}))
        return real_render(request, template_name, context, *args, **kwargs)

    with mock.patch.object(module, "render", recording_render):
        response = client.get(url, query or {})
    if response.status_code != 200 or not seen:
        raise RuntimeError(f"GET {url} answered {response.status_code}, not the page.")
    return Captured(html=response.content.decode(), **seen)


def processed(request) -> dict:
    """The context processors' values for `request` (Django's csrf one, then settings'), as
    both engines would compute them."""
    names = (
        *_builtin_context_processors,
        *settings.TEMPLATES[0]["OPTIONS"].get("context_processors", []),
    )
    values = {}
    for name in names:
        values.update(import_string(name)(request))
    return values


# Each page under each engine: Django, Jinja2 with govuk-frontend-jinja's macros, and, to tell
# the engine's cost from the macros', Jinja2 with Kestrel's own markup (bench/template_trial/jinja2/plain/).
ENGINES = ("django", "jinja2", "jinja2 plain")
LAYOUTS = {
    "django": '{% extends "base.html" %}{% block title %}Layout{% endblock %}',
    "jinja2": '{% extends "base.html" %}{% block title %}Layout{% endblock %}',
    "jinja2 plain": '{% extends "plain/base.html" %}{% block title %}Layout{% endblock %}',
}


@dataclass
class Case:
    """One page, ready to render by each engine: `template[engine]` renders the compiled
    template alone from a context built once; `backend[engine]` renders as `render()` does,
    the context processors run each time (the same ones for every engine)."""

    template: dict[str, Callable[[], str]]
    backend: dict[str, Callable[[], str]]


def make_case(captured: Captured, jinja: Jinja2, *, layout: bool, extra=None) -> Case:
    from django.middleware.csrf import get_token
    from django.utils.html import format_html

    request = captured.request
    view_context = {} if layout else dict(captured.context)
    shared = {**processed(request), **view_context, "request": request, **(extra or {})}
    # What django.template.backends.jinja2.Template.render adds to every context.
    token = get_token(request)
    csrf = {
        "csrf_input": format_html(
            '<input type="hidden" name="csrfmiddlewaretoken" value="{}">', token
        ),
        "csrf_token": token,
    }
    templates = {
        "django": engines["django"].from_string(LAYOUTS["django"])
        if layout
        else engines["django"].get_template(captured.template_name),
        "jinja2": jinja.from_string(LAYOUTS["jinja2"])
        if layout
        else jinja.get_template(JINJA2_CHRONOLOGY),
        "jinja2 plain": jinja.from_string(LAYOUTS["jinja2 plain"])
        if layout
        else jinja.get_template(f"plain/{JINJA2_CHRONOLOGY}"),
    }

    def alone(engine):
        compiled = templates[engine].template
        if engine == "django":
            return lambda: compiled.render(Context(dict(shared)))
        context = {**shared, **csrf}
        return lambda: compiled.render(context)

    def through_backend(engine):
        template = templates[engine]
        return lambda: template.render(dict(view_context), request)

    return Case(
        template={engine: alone(engine) for engine in ENGINES},
        backend={engine: through_backend(engine) for engine in ENGINES},
    )


# Equivalence


class Tokens(html.parser.HTMLParser):
    """A page as a list of lines: each start tag with its attributes sorted (class words
    sorted), each end tag, each run of text with its whitespace collapsed."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []

    def handle_starttag(self, tag, attrs):
        shown = []
        for key, value in sorted(attrs):
            if key == "class" and value:
                value = " ".join(sorted(value.split()))
            shown.append(key if value is None else f'{key}="{" ".join(value.split())}"')
        self.lines.append(f"<{' '.join([tag, *shown])}>")

    def handle_endtag(self, tag):
        self.lines.append(f"</{tag}>")

    def handle_data(self, data):
        text = " ".join(data.split())
        if text:
            self.lines.append(text)


def tokens(page: str) -> list[str]:
    parser = Tokens()
    parser.feed(page)
    parser.close()
    return parser.lines


def differences(django_html: str, jinja_html: str, limit: int = 60) -> list[str]:
    """[] if Django's HTML comparison finds the two pages equal; else the token diff."""
    import difflib

    # A form's CSRF token is masked afresh each time it is asked for: any two differ.
    django_html, jinja_html = (CSRF_VALUE.sub(r"\1CSRF", p) for p in (django_html, jinja_html))
    if parse_html(django_html) == parse_html(jinja_html):
        return []
    diff = difflib.unified_diff(
        tokens(django_html), tokens(jinja_html), "django", "jinja2", n=1, lineterm=""
    )
    lines = list(diff)
    return lines[:limit] + ([f"... {len(lines) - limit} more lines"] if len(lines) > limit else [])


CSRF_VALUE = re.compile(r'(name="csrfmiddlewaretoken" value=")[^"]*')


def visible_text(page: str) -> str:
    return " ".join(line for line in tokens(page) if not line.startswith("<"))


# Timing


@dataclass
class Timing:
    samples: list[float] = field(default_factory=list)  # milliseconds

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def p95(self) -> float:
        return statistics.quantiles(self.samples, n=20)[-1]


def time_renders(renders: dict[str, Callable[[], str]], *, rounds: int, per_round: int, warm: int):
    """Times each render `rounds * per_round` times, one call at a time, the renders taking
    turns round by round (so that the machine's other work falls on all of them alike)."""
    timings = {name: Timing() for name in renders}
    for render in renders.values():
        for _ in range(warm):
            render()
    for _ in range(rounds):
        for name, render in renders.items():
            gc.collect()
            samples = timings[name].samples
            for _ in range(per_round):
                started = time.perf_counter_ns()
                render()
                samples.append((time.perf_counter_ns() - started) / 1e6)
    return timings


# Where Django's time goes


PROFILED = (
    (
        "as_field_group (the two date fields, by the form renderer)",
        "forms/utils.py",
        "as_field_group",
    ),
    (
        "IncludeNode.render (error summary, pagination, the date fields' includes)",
        "loader_tags.py",
        "render",
        "IncludeNode",
    ),
    ("InclusionNode.render (nav_item x6)", "library.py", "render", "InclusionNode"),
    (
        "SimpleNode.render (date_of_birth, page_query, page_numbers)",
        "library.py",
        "render",
        "SimpleNode",
    ),
    ("ForNode.render (every loop)", "defaulttags.py", "render", "ForNode"),
    ("FilterExpression.resolve (variables and filters)", "base.py", "resolve", "FilterExpression"),
    ("Variable._resolve_lookup (dotted lookups)", "base.py", "_resolve_lookup"),
    ("render_value_in_context (str + escape)", "base.py", "render_value_in_context"),
    ("kestrel when filter", "kestrel.py", "when"),
    ("kestrel first_words filter", "kestrel.py", "first_words"),
    ("django date/time filters", "defaultfilters.py", "date"),
)


GOVUK_MACROS = "govuk_frontend_jinja/templates/"


def profile(render: Callable[[], str], runs: int) -> tuple[float, list[tuple[str, float]], str]:
    """cProfile of `runs` renders: total ms per render, the cumulative ms per render of the
    PROFILED functions (overlapping: a loop's time holds its filters'), and the top functions."""
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(runs):
        render()
    profiler.disable()
    stats = pstats.Stats(profiler)
    total = stats.total_tt / runs * 1000
    shares = []
    raw = stats.stats  # {(file, line, name): (cc, nc, tt, ct, callers)}
    for label, filename, function, *owner in PROFILED:
        cumulative = 0.0
        for (path, line, name), (_, _, _, ct, _) in raw.items():
            if not path.endswith(filename) or name != function:
                continue
            if owner and owner[0] not in _class_at(path, line):
                continue
            cumulative += ct
        shares.append((label, cumulative / runs * 1000))
    # govuk-frontend-jinja: each component's outermost macro (its inner macros are inside it).
    macros = {}
    for (path, _, name), (_, _, _, ct, _) in raw.items():
        if GOVUK_MACROS in path and name == "macro":
            component = path.split(GOVUK_MACROS)[1].split("/")[1]
            macros[component] = max(macros.get(component, 0.0), ct)
    shares += [
        (f"govuk-frontend-jinja {component}", ct / runs * 1000)
        for component, ct in sorted(macros.items(), key=lambda item: -item[1])
    ]
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(25)
    return total, shares, out.getvalue()


def _class_at(path: str, line: int) -> str:
    """The class a function at `path:line` is defined in (for telling render methods apart)."""
    try:
        lines = Path(path).read_text().splitlines()[:line]
    except OSError:
        return ""
    for text in reversed(lines):
        if text.startswith("class "):
            return text
    return ""


# The run


def run(*, stdout, rounds: int, per_round: int, profile_runs: int, before_timing) -> dict:
    """Seeds, captures the pages, checks the engines agree, then times and profiles."""
    from kestrel.students.names import HIDE_NAMES_SESSION_KEY
    from kestrel.testing.auth import sign_in_fully, unlock_key

    jinja = jinja2_engine()
    started = time.perf_counter()
    seeded = seed()
    stdout.write(f"Seeded {ENTRIES} incidents in {time.perf_counter() - started:.1f} s.")
    client = unlock_key(sign_in_fully(Client(), seeded.dsl))
    url = chronology_url(seeded.student)
    page_one = capture(client, url)
    bad_date = {"start_0": "31", "start_1": "2", "start_2": "2026"}
    filtered = {"category": seeded.categories[0].pk, **bad_date, "page": "2"}
    page_two_errors = capture(client, url, filtered)
    nothing = capture(client, url, {"category": seeded.empty_category.pk})
    session = client.session
    session[HIDE_NAMES_SESSION_KEY] = True
    session.save()
    hidden = capture(client, url, {"page": "3"})
    with_messages = {
        "messages": [Message("success", "Incident saved."), Message("info", "Key <locked>.")]
    }
    layout = make_case(page_one, jinja, layout=True)
    chronology = make_case(page_one, jinja, layout=False)
    checks = {
        "layout": layout,
        "layout with two messages": make_case(page_one, jinja, layout=True, extra=with_messages),
        "chronology page 1 (25 of 500)": chronology,
        "chronology page 2, a category, a date error": make_case(
            page_two_errors, jinja, layout=False
        ),
        "chronology, a category with no incidents": make_case(nothing, jinja, layout=False),
        "chronology page 3 under Hide Names": make_case(hidden, jinja, layout=False),
    }
    equivalence = {}
    pages = {}
    for label, case in checks.items():
        # The backend renders the request's own messages, not the two given here.
        extra_given = case is checks["layout with two messages"]
        rendered = {engine: case.template[engine]() for engine in ENGINES}
        pages[label] = rendered
        equivalence[label] = {
            engine: {
                "differences": differences(rendered["django"], rendered[engine]),
                "same_text": visible_text(rendered["django"]) == visible_text(rendered[engine]),
                "backend_agrees": extra_given
                or not differences(rendered[engine], case.backend[engine]()),
            }
            for engine in ENGINES[1:]
        }
    served = differences(page_one.html, chronology.template["django"]())

    # No database work while timing: the contexts were built above.
    with CaptureQueriesContext(connection) as template_queries:
        for case in (layout, chronology):
            for render in case.template.values():
                render()
    with CaptureQueriesContext(connection) as backend_queries:
        for case in (layout, chronology):
            for render in case.backend.values():
                render()

    # The test environment's instrumented Template._render (a signal per template) is undone,
    # so that Django renders as it does when serving.
    before_timing()
    timings = {}
    for way in ("template", "backend"):
        renders = {}
        for engine in ENGINES:
            renders[f"{engine} layout"] = getattr(layout, way)[engine]
            renders[f"{engine} chronology"] = getattr(chronology, way)[engine]
        timings[way] = time_renders(renders, rounds=rounds, per_round=per_round, warm=WARM)

    # Where Django's chronology time goes: what each part adds (by leaving it out), and cProfile.
    ablation = time_renders(
        ablation_renders(page_one), rounds=rounds, per_round=per_round, warm=WARM
    )
    return {
        "debug": settings.DEBUG,
        "entries_on_page": len(page_one.context["entries"]),
        "entries_total": page_one.context["page"].paginator.count,
        "equivalence": equivalence,
        "served_differences": served,
        "template_queries": len(template_queries.captured_queries),
        "backend_queries": len(backend_queries.captured_queries),
        "timings": timings,
        "ablation": ablation,
        "profiles": {
            engine: profile(chronology.template[engine], profile_runs) for engine in ENGINES
        },
        "html": pages,
    }


WARM = 20


class Message:
    """A message as the messages framework gives it to a template."""

    def __init__(self, level_tag: str, text: str):
        self.level_tag, self.text = level_tag, text

    def __str__(self) -> str:
        return self.text


def ablation_renders(captured: Captured) -> dict[str, Callable[[], str]]:
    """The Django chronology whole, and with one part taken out at a time: its entries (the
    page then says "No incidents": no list, count or pagination), or the cost of rendering its
    two date fields (given as HTML rendered beforehand). The layout is timed on its own."""
    from django.utils.safestring import mark_safe

    django_engine = engines["django"]
    compiled = django_engine.get_template(captured.template_name).template
    request = captured.request
    shell = processed(request)
    base = {**shell, **captured.context, "request": request}
    form = captured.context["form"]
    prerendered = SimpleNamespace(
        errors=form.errors,
        non_field_errors=form.non_field_errors,
        visible_fields=form.visible_fields,
        start=SimpleNamespace(as_field_group=mark_safe(form["start"].as_field_group())),
        end=SimpleNamespace(as_field_group=mark_safe(form["end"].as_field_group())),
    )
    without_entries = {**base, "entries": []}
    without_form = {**base, "form": prerendered}
    return {
        "Django chronology, whole": lambda: compiled.render(Context(dict(base))),
        "  without its entries (list, count, pages)": lambda: compiled.render(
            Context(dict(without_entries))
        ),
        "  with the form fields pre-rendered": lambda: compiled.render(Context(dict(without_form))),
    }


def report(result: dict) -> str:
    lines = [
        f"DEBUG={result['debug']}; chronology page: {result['entries_on_page']} entries shown of "
        f"{result['entries_total']}.",
        f"Queries while rendering: {result['template_queries']} (template alone), "
        f"{result['backend_queries']} (through the backend, context processors included).",
        "The page the view served and the Django render timed here: "
        + ("the same." if not result["served_differences"] else "DIFFERENT:"),
        *(f"    {line}" for line in result["served_differences"]),
        "",
        "Equivalence against Django (django.test.html: attribute order and whitespace ignored; "
        "CSRF tokens, masked afresh on each use, blanked):",
    ]
    for label, by_engine in result["equivalence"].items():
        for engine, check in by_engine.items():
            verdict = "same HTML" if not check["differences"] else "different HTML"
            text = "same" if check["same_text"] else "DIFFERENT"
            backend = "" if check["backend_agrees"] else "; the backend render DIFFERS"
            lines.append(f"  {label} / {engine}: {verdict}; visible text {text}{backend}")
            lines.extend(f"      {line}" for line in check["differences"])
    for title, way in (
        ("Template render alone, context built once", "template"),
        ("Through the backend, as render() does (context processors included)", "backend"),
    ):
        timings = result["timings"][way]
        count = len(next(iter(timings.values())).samples)
        lines += ["", f"{title} (ms; {count} renders each):", f"  {'':26} {'median':>8} {'p95':>8}"]
        for name, timing in timings.items():
            lines.append(f"  {name:26} {timing.median:8.3f} {timing.p95:8.3f}")
        for page in ("layout", "chronology"):
            django = timings[f"django {page}"]
            for engine in ENGINES[1:]:
                other = timings[f"{engine} {page}"]
                lines.append(
                    f"  {page}, {engine}/django: {other.median / django.median:.2f} (median), "
                    f"{other.p95 / django.p95:.2f} (p95)"
                )
    lines += ["", "Django chronology, parts left out (ms, median / p95):"]
    for name, timing in result["ablation"].items():
        lines.append(f"  {name:42} {timing.median:8.3f} {timing.p95:8.3f}")
    for engine, (total, shares, top) in result["profiles"].items():
        lines += [
            "",
            f"cProfile, {engine} chronology: {total:.2f} ms per render under the profiler; "
            "inclusive ms per render (overlapping):",
        ]
        lines += [f"  {label:62} {ms:7.3f}" for label, ms in shares if ms]
        lines += ["", top]
    return "\n".join(lines)
