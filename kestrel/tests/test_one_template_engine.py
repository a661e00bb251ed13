"""One template engine (issue 19, part 2): Django's own. Jinja2 with the GOV.UK macros was
measured (commit 0505730, `manage.py measure_templates`) and did not halve the render time, so
every page renders with Django templates and the product has no second engine or template tree."""

from pathlib import Path

from django.conf import settings
from django.template import engines
from django.template.backends.django import DjangoTemplates

KESTREL = Path(__file__).resolve().parent.parent


def test_the_product_has_one_template_engine_django_s():
    assert [engine["BACKEND"] for engine in settings.TEMPLATES] == [
        "django.template.backends.django.DjangoTemplates"
    ]
    assert all(isinstance(engine, DjangoTemplates) for engine in engines.all())


def test_no_jinja2_templates_ship_with_the_product():
    assert not [path for path in KESTREL.rglob("jinja2") if path.is_dir()]


def test_pages_render_with_it(signed_in, people):
    response = signed_in(people.teacher).get("/dashboard/")
    assert response.status_code == 200
    assert {template.engine.__class__.__name__ for template in response.templates} == {"Engine"}
