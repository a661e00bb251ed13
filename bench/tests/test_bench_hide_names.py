"""`manage.py bench --profile hide_names` runs and reports its numbers (no timing is asserted)."""

import io

from django.core.management import call_command

from bench.runner.hide_names import profile_hide_names


def test_the_hide_names_profile_reports_build_time_and_time_per_text_on_masked_text():
    out = io.StringIO()

    profile_hide_names(out, pupils_count=60, characters=800, texts=5)

    report = out.getvalue()
    assert "60 pupils" in report and "texts of 800 characters" in report
    assert "ms to build the school's automaton" in report
    assert "ms per text (median of 5)" in report
    assert "During break ***** ***** was seen" in report
    assert "will be collecting" in report and "The MD of" in report


def test_bench_takes_hide_names_as_a_profile_without_a_database(monkeypatch):
    seen = {}
    monkeypatch.setattr(
        "bench.management.commands.bench.profile_hide_names",
        lambda stdout: seen.setdefault("called", True),
    )

    call_command("bench", "--profile", "hide_names")

    assert seen == {"called": True}
