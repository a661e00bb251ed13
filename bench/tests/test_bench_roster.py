"""`manage.py bench_roster`: the roster import's bench, run whole at a tiny size, and an import
whose counts are not the file's failing it (no timing is asserted)."""

import json

from django.core.management import call_command
from django.db import connection

from bench.runner import roster
from kestrel.roster.tests.exports import sample_students, sims_csv
from kestrel.schools.scope import scope


def test_roster_bench_imports_then_reimports_with_the_counts_of_its_files(tmp_path, capfd):
    # The command starts the bench's own process (its settings and database), as make bench does.
    call_command("bench_roster", "--students=40", "--changes=4", f"--out={tmp_path}")

    printed = capfd.readouterr().out
    report = json.loads((tmp_path / f"roster-{connection.vendor}.json").read_text())
    assert report["ok"]
    new, again = report["imports"]
    assert [step["step"] for step in new["steps"]] == ["upload", "check", "apply"]
    assert (new["preview"]["new"], new["preview"]["changed"]) == (40, 0)
    assert new["preview"]["leaving"] == 0
    assert new["applied"]["added"] == 40
    assert (again["preview"]["new"], again["preview"]["changed"]) == (0, 4)
    assert (again["preview"]["unchanged"], again["preview"]["leaving"]) == (36, 0)
    assert again["applied"]["changed"] == 4
    assert all(row["seconds"] > 0 and row["queries"] > 0 for row in report["imports"])
    small, large = report["memory"]["runs"]
    assert (small["rows"], large["rows"]) == (8, 40)
    assert small["applied"]["added"] == 8 and large["applied"]["added"] == 40
    assert 0 < small["start_mb"] <= small["peak_mb"]
    assert report["memory"]["result"] in {"meets", "misses"}
    assert "40 new (whole roster)" in printed and "Re-import, 4 changed" in printed
    assert "WRONG" not in printed.replace("WRONG means", "")
    # Its own database, under --out: not the developer's, not the page bench's.
    assert (tmp_path / "roster.sqlite3").exists() != (connection.vendor == "postgresql")


def test_an_import_whose_counts_are_not_the_files_fails_the_bench(school):
    students = sample_students(5)
    del students[2]["date_of_birth"]  # the row is refused: the file does not import as it says
    with scope(school=school.pk):
        row = roster.timed_import(
            school,
            sims_csv(students),
            title="5 new",
            target=10.0,
            preview=roster.expected_preview(rows=5, new=5),
            applied=roster.expected_applied(added=5),
        )

    assert row["problems"] == [
        "preview: new 4, expected 5",
        "preview: refused 1, expected 0",
        "applied: added 4, expected 5",
    ]
    report = {"imports": [row], "memory": {"runs": []}}
    assert roster.failures(report).startswith("The imports were not right")
