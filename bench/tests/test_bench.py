"""`make bench`: wrk's results read right, wrong answers refused, the report, the bench's sessions,
and one whole run on a tiny database."""

import dataclasses
import inspect
import json
import os
import shutil
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs

import pytest
from django.conf import settings
from django.test import Client
from django.urls import resolve

from bench.runner import load as wrk
from bench.runner import mixed
from bench.runner import people as bench_people
from bench.runner.pages import READING, RECORDING, SUBMISSION, Page
from bench.runner.report import assess, failures, save, table
from kestrel.testing.factories import AccessLevelFactory, IncidentFactory, UserFactory

ROOT = Path(__file__).resolve().parents[2]
needs_wrk = pytest.mark.skipif(
    shutil.which("wrk") is None, reason="needs Debian's wrk (make bench and .ci/run install it)"
)


def wrk_output(**overrides) -> str:
    raw = {
        "requests": 400,
        "duration_us": 2_000_000,
        "rps": 200.0,
        "p50_us": 9_500,
        "p95_us": 21_000,
        "p99_us": 30_000,
        "mean_us": 10_000,
        "max_us": 45_000,
        "errors": {"connect": 0, "read": 0, "write": 0, "timeout": 0},
        "statuses": {"200": 400},
        "unexpected": 0,
        "wrapped": 0,
        "samples": {},  # an empty Lua table is written as an object
        **overrides,
    }
    return "Running 2s test @ http://127.0.0.1:8000/\n" + wrk.RESULT_MARK + json.dumps(raw) + "\n"


def test_wrk_result_is_read_in_milliseconds_and_requests_per_second():
    result = wrk.parse_result(wrk_output())

    assert result["p50_ms"] == 9.5
    assert result["p95_ms"] == 21.0
    assert result["rps"] == 200.0
    assert result["statuses"] == {"200": 400}
    assert result["samples"] == []
    assert wrk.problems(result, expected="200") == []


def test_output_without_a_result_is_an_error_not_a_zero():
    with pytest.raises(ValueError, match="wrk printed no result"):
        wrk.parse_result("PANIC: unprotected error in call to Lua API\n")


def test_a_page_that_answered_with_the_sign_in_redirect_is_refused():
    result = wrk.parse_result(
        wrk_output(
            statuses={"302": 400},
            unexpected=400,
            samples=["302 /login/?next=/dashboard/"],
        )
    )

    (problem,) = wrk.problems(result, expected="200")
    assert "400 of 400 answers were not 200" in problem
    assert "/login/?next=/dashboard/" in problem


def test_socket_errors_reused_ids_and_no_answers_are_refused():
    result = wrk.parse_result(
        wrk_output(
            requests=0, errors={"connect": 0, "read": 3, "write": 0, "timeout": 2}, wrapped=5
        )
    )

    problems = wrk.problems(result, expected="302 to ^/dashboard/$")
    assert problems[0] == "no request was answered"
    assert "socket errors {'read': 3, 'timeout': 2}" in problems[1]
    assert "5 requests reused an id" in problems[2]


def test_a_post_that_redirects_but_records_the_same_incident_again_is_refused():
    page = Page(
        "add_incident",
        "Add Incident",
        "teacher",
        "recorder",
        "POST",
        ("/incidents/add/",),
        effects=(("incidents", 1), ("alerts_sent", 4)),
    )
    before = {"incidents": 10, "alerts_sent": 40}

    same_again = wrk.effect_problems(
        page, before, {"incidents": 11, "alerts_sent": 44}, answered=300, in_flight=4
    )
    recorded = wrk.effect_problems(
        page, before, {"incidents": 312, "alerts_sent": 1248}, answered=300, in_flight=4
    )

    assert same_again == [
        "300 answers recorded 1 incidents (expected 300 to 304)",
        "300 answers recorded 4 alerts_sent (expected 1200 to 1216)",
    ]
    assert recorded == []


def test_lua_strings_escape_everything_but_printable_ascii():
    assert wrk.lua_string('a"b\\c\n') == '"a\\034b\\092c\\010"'
    assert wrk.lua_string("é") == '"\\195\\169"'
    assert wrk.lua_literal({"paths": ["/a/", "/b/"], "bodies": None, "distinct": True}) == (
        '{["paths"] = {"/a/", "/b/"}, ["bodies"] = nil, ["distinct"] = true}'
    )


class Stub(BaseHTTPRequestHandler):
    """A server that answers everything with a redirect to the sign-in page."""

    protocol_version = "HTTP/1.1"
    bodies: list = []

    def _answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            Stub.bodies.append(self.rfile.read(length).decode())
        self.send_response(302)
        self.send_header("Location", "/login/?next=/dashboard/")
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_GET = do_POST = _answer

    def log_message(self, *args):
        pass


class QuietServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        pass  # wrk drops its connections mid-request when its time is up


@pytest.fixture
def stub_server():
    server = QuietServer(("127.0.0.1", 0), Stub)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    Stub.bodies = []
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@needs_wrk
def test_wrk_script_counts_every_answer_that_is_not_the_expected_one(stub_server, tmp_path):
    page = Page(
        "dashboard",
        "Dashboard",
        "teacher",
        "teacher",
        "GET",
        ("/dashboard/",),
        cookies=("kestrel_session=abc; kestrel_csrftoken=def",),
    )

    result = wrk.run_wrk(
        page, base_url=stub_server, load=wrk.Load(seconds=1), seconds=1, workdir=tmp_path
    )

    assert result["requests"] > 0
    assert result["unexpected"] == result["requests"]
    assert result["statuses"] == {"302": result["requests"]}
    assert result["samples"][0] == "302 /login/?next=/dashboard/"
    assert wrk.problems(result, expected=page.expected)


@needs_wrk
def test_wrk_script_sends_each_post_a_submission_of_its_own(stub_server, tmp_path):
    page = Page(
        "add_action",
        "Add Action",
        "deputy DSL",
        "deputy",
        "POST",
        ("/incidents/1/actions/add/",),
        cookies=("kestrel_session=abc; kestrel_csrftoken=def",),
        bodies=(f"text=Spoke+to+the+parent&submission={SUBMISSION}&csrfmiddlewaretoken=def",),
        expect_status=302,
        expect_location="^/login/",
    )

    result = wrk.run_wrk(
        page, base_url=stub_server, load=wrk.Load(seconds=1), seconds=1, workdir=tmp_path
    )

    assert result["unexpected"] == 0
    submissions = [parse_qs(body)["submission"][0] for body in Stub.bodies]
    assert len(submissions) >= result["requests"] > 0
    assert len(set(submissions)) == len(submissions)
    assert SUBMISSION not in submissions


class MixStub(BaseHTTPRequestHandler):
    """Answers as Kestrel would for the mix, but Add Action as a failed CSRF check (403), and
    the staff type-ahead by dropping the connection."""

    protocol_version = "HTTP/1.1"
    bodies: list = []

    def _answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            MixStub.bodies.append(self.rfile.read(length).decode())
        if self.path.startswith("/staff/"):
            self.close_connection = True
            return
        status, location = 200, None
        if self.command == "POST":
            status, location = (403, None) if "/actions/" in self.path else (302, "/incidents/7/")
        self.send_response(status)
        if location:
            self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_GET = do_POST = _answer

    def log_message(self, *args):
        pass


@pytest.fixture
def mix_stub():
    server = QuietServer(("127.0.0.1", 0), MixStub)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    MixStub.bodies = []
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def stub_pages() -> list[Page]:
    cookies = ("kestrel_session=abc; kestrel_csrftoken=def",)
    post = {"expect_status": 302, "expect_location": "^/incidents/%d+/$"}
    body = f"text=Bench&submission={SUBMISSION}&csrfmiddlewaretoken=def"
    pages = [
        Page("dashboard", "Dashboard", "teacher", "teacher", "GET", ("/dashboard/",)),
        Page("dashboard_dsl", "Dashboard", "DSL", "dsl", "GET", ("/dashboard/",)),
        Page("incident", "Viewing Incident", "DSL", "dsl", "GET", ("/incidents/1/",)),
        Page("student_search", "Students", "teacher", "teacher", "GET", ("/students/?q=a",)),
        Page("staff_search", "Staff", "teacher", "teacher", "GET", ("/staff/?q=a",)),
        Page("add_incident", "Add Incident", "teacher", "recorder", "POST", ("/incidents/add/",),
             bodies=(body,), **post),
        Page("add_action", "Add Action", "deputy DSL", "deputy", "POST",
             ("/incidents/1/actions/add/",), bodies=(body,), **post),
    ]  # fmt: skip
    return [dataclasses.replace(page, cookies=cookies) for page in pages]


@needs_wrk
def test_mixed_run_times_each_page_apart_and_counts_its_errors(mix_stub, tmp_path):
    pages = stub_pages()
    load = mixed.MixedLoad(seconds=1, connections=2)

    result = mixed.run_mix(mixed.mix_of(pages), base_url=mix_stub, load=load, workdir=tmp_path)

    rows = {row["key"]: row for row in result["pages"]}
    assert list(rows) == [key for key, _ in mixed.MIX]
    for key in ("dashboard", "dashboard_dsl", "incident", "student_search", "add_incident"):
        assert rows[key]["requests"] > 0 and rows[key]["errors"] == 0, key
        assert 0 < rows[key]["p50_ms"] <= rows[key]["p95_ms"] <= rows[key]["p99_ms"], key
    assert rows["add_action"]["unexpected"] == rows["add_action"]["requests"] > 0
    assert rows["add_action"]["statuses"] == {"403": rows["add_action"]["requests"]}
    assert rows["staff_search"]["requests"] == 0 and rows["staff_search"]["lost"] > 0
    # About 70% of the requests went to the Dashboards and Viewing Incident.
    answered = sum(row["requests"] + row["lost"] for row in rows.values())
    reading = sum(rows[key]["requests"] for key in ("dashboard", "dashboard_dsl", "incident"))
    assert 0.6 < reading / answered < 0.8
    assert result["total"]["requests"] == sum(row["requests"] for row in rows.values())
    assert result["total"]["errors"] >= rows["add_action"]["errors"] + rows["staff_search"]["lost"]
    submissions = [parse_qs(body)["submission"][0] for body in MixStub.bodies]
    assert len(set(submissions)) == len(submissions) > 0
    problems = mixed.problems(result)
    assert any(p.startswith("Add Action (deputy DSL): ") and "not 302" in p for p in problems)
    assert any(p.startswith("Staff (teacher): no request was answered") for p in problems)
    assert any("requests lost with their connection" in p for p in problems)


def test_mixed_percentiles_are_per_page_over_every_thread_by_nearest_rank():
    def thread(incident_latencies, statuses):
        return json.dumps(
            {
                key: {
                    "latencies": incident_latencies if key == "incident" else [5000],
                    "statuses": statuses if key == "incident" else {"200": 1},
                    "unexpected": 0,
                    "lost": 0,
                    "samples": {},  # an empty Lua table is written as an object
                }
                for key, _ in mixed.MIX
            }
        )

    output = wrk.RESULT_MARK + json.dumps(
        {
            "requests": 114,
            "duration_us": 2_000_000,
            "errors": {"connect": 0, "read": 0, "write": 0, "timeout": 0},
            # The incident's latencies 1 ms to 100 ms, split over two threads.
            "threads": [
                thread(list(range(100_000, 50_000, -1000)), {"200": 50}),
                thread(list(range(1000, 50_001, 1000)), {"200": 49, "500": 1}),
            ],
        }
    )

    result = mixed.parse_result(output, mixed.mix_of(stub_pages()))

    incident = result["pages"][2]
    assert (incident["p50_ms"], incident["p95_ms"], incident["p99_ms"]) == (50.0, 95.0, 99.0)
    assert incident["requests"] == 100 and incident["statuses"] == {"200": 99, "500": 1}
    assert incident["rps"] == 50.0 and incident["share"] == 0.35
    assert result["pages"][0]["requests"] == 2 and result["pages"][0]["p99_ms"] == 5.0
    assert result["total"]["requests"] == 112 and result["total"]["errors"] == 0
    assert mixed.problems(result) == []


def test_a_mixed_run_with_an_error_fails_the_bench():
    rows = [row("floor", 10, 300, target=None), row("dashboard", 25, 120)]
    result = {
        "pages": [
            {"title": "Add Action", "role": "deputy DSL", "share": 0.05, "requests": 40,
             "rps": 20.0, "p50_ms": 9.0, "p95_ms": 20.0, "p99_ms": 31.0, "errors": 1},
        ],
        "total": {"requests": 40, "rps": 20.0, "p50_ms": 9.0, "p95_ms": 20.0, "p99_ms": 31.0,
                  "errors": 1},
    }  # fmt: skip
    report = report_of(rows)
    report["mixed"] = {
        "connections": 32,
        "threads": 32,
        "seconds": 60,
        "result": result,
        "problems": ["Add Action (deputy DSL): 1 of 40 answers were not 302 (statuses ...)"],
    }

    text = table(report)

    assert "Mixed run: 32 connections (wrk -t32 -c32) for 60 s" in text
    assert "Add Action                 deputy DSL   5.0%       40" in text
    assert "MIXED RUN FAILED: Add Action (deputy DSL): 1 of 40 answers were not 302" in text
    assert failures(report) == "The mixed run failed with 1 errors (see MIXED RUN FAILED above)."
    report["mixed"]["problems"] = []
    assert "Mixed run: no errors." in table(report)
    assert failures(report) == ""


def row(key, p95, rps, *, queries=5, target=READING, problems=()):
    return {
        "key": key,
        "title": key.replace("_", " ").title(),
        "role": "dsl",
        "target": target.__dict__ if target else None,
        "target_label": str(target) if target else "-",
        "queries": queries,
        "load": {"p50_ms": p95 / 2, "p95_ms": p95, "rps": rps},
        "problems": list(problems),
    }


def report_of(rows):
    return {
        "started_at": "2026-11-20T10:15:00Z",
        "database": {"label": "sqlite"},
        "size": {"name": "tiny", "students": 40, "incidents": 600, "schools": 1},
        "load": {"threads": 1, "connections": 4, "seconds": 1},
        "server": {"name": "gunicorn", "workers": 2, "worker_class": "sync"},
        "machine": {"cores": 2},
        "git": {"commit": "0123456789abcdef", "dirty": False},
        "floor": assess(rows),
        "pages": rows,
    }


def test_each_page_is_judged_against_the_floor_and_its_target(tmp_path):
    rows = [
        row("floor", 10, 300, target=None),
        row("dashboard", 25, 120),
        row("chronology", 40, 60, queries=13),
        row("add_incident", 45, 70, target=RECORDING),
        row("staff_search", 2, 900, problems=["400 of 400 answers were not 200"]),
        row("floor_end", 10, 300, target=None),
    ]
    report = report_of(rows)

    verdicts = {r["key"]: (r["verdict"], r["ratios"]["p95"], r["ratios"]["rps"]) for r in rows}
    assert verdicts == {
        "floor": ("-", 1.0, 1.0),
        "dashboard": ("pass", 2.5, 0.4),
        "chronology": ("fail", 4.0, 0.2),
        "add_incident": ("pass", 4.5, 0.233),
        "staff_search": ("refused", 0.2, 3.0),
        "floor_end": ("-", 1.0, 1.0),
    }
    text = table(report)
    assert "REFUSED Staff Search (dsl): 400 of 400 answers were not 200" in text
    assert "missed  Chronology (dsl): 13 queries (target <= 12)" in text
    assert "p95 4.00x the floor's (target <= 3x)" in text
    assert "WARNING" not in text

    dated, latest = save(report, tmp_path)
    assert dated.name == "sqlite-tiny-20261120T101500Z.json"
    assert latest.name == "latest-sqlite-tiny.json"
    assert json.loads(latest.read_text())["pages"][2]["verdict"] == "fail"


def test_sqlite_is_held_to_twice_the_figures_set_for_postgresql():
    assert READING.on("postgresql") == READING
    sqlite = READING.on("sqlite")
    assert (sqlite.p95_ratio, sqlite.rps_ratio, sqlite.queries) == (6, 1 / 6, READING.queries)
    assert (RECORDING.on("sqlite").p95_ratio, RECORDING.on("sqlite").rps_ratio) == (10, 1 / 10)
    assert str(sqlite) == "p95<=6x rps>=1/6 q<=12"


def test_a_floor_that_moved_during_the_run_is_pointed_out():
    rows = [row("floor", 10, 300, target=None), row("floor_end", 30, 100, target=None)]

    text = table(report_of(rows))

    assert "WARNING: the floor's rps moved by 3.00x" in text
    assert "p95 20.0 ms, 200.0 rps" in text


def test_bench_sessions_open_the_pages_with_nothing_but_their_cookie(school, db):
    AccessLevelFactory(school=school, name="Staff", rank=20)
    AccessLevelFactory(school=school, name="DSL team", rank=40)
    colleague = UserFactory(school=school)
    incident = IncidentFactory(student__school=school, reporter=colleague)
    people = bench_people.bench_people(school)
    csrf = bench_people.new_csrf_secret()

    def as_wrk_sends_it(user, *, unlock):
        key = bench_people.session_key(bench_people.signed_in_client(user, unlock=unlock))
        return Client(HTTP_COOKIE=bench_people.cookie_header(key, csrf))

    dsl = as_wrk_sends_it(people["dsl"], unlock=True)
    teacher = as_wrk_sends_it(people["teacher"], unlock=False)

    assert people["dsl"].is_key_holder and people["dsl"].access_level.rank == 40
    assert people["deputy"].is_key_holder and people["recorder"].access_level.name == "Staff"
    assert teacher.get("/dashboard/", secure=True).status_code == 200
    assert dsl.get("/dashboard/", secure=True).status_code == 200
    assert dsl.get(f"/students/{incident.student_id}/", secure=True).status_code == 200
    assert teacher.get(f"/students/{incident.student_id}/", secure=True).status_code == 403
    assert bench_people.bench_people(school) == people  # made once, found again


def test_the_reader_gets_back_every_alert_unread_each_run(school, db):
    AccessLevelFactory(school=school, rank=20)
    sender = UserFactory(school=school)
    for _ in range(5):
        IncidentFactory(student__school=school, reporter=sender)
    reader = bench_people.bench_people(school)["reader"]

    assert bench_people.give_unread_alerts(reader, 3, sender=sender) == 3
    reader.alerts.update(read_at="2026-11-20T10:00:00Z")
    assert bench_people.give_unread_alerts(reader, 3, sender=sender) == 3
    assert reader.alerts.filter(read_at__isnull=True).count() == 3


EVERY_PAGE = {
    "floor": "200",
    "dashboard": "200",
    "dashboard_dsl": "200",
    "incident": "200",
    "chronology": "200",
    "case_file": "200",
    "caseload": "200",
    "student_search": "200",
    "staff_search": "200",
    "add_incident": "302",
    "add_action": "302",
    "mark_read": "302",
    "floor_end": "200",
}


def check_whole_run(report: dict) -> None:
    """What a whole run must have: every page driven, non-zero rps, only the expected answers."""
    pages = {page["key"]: page for page in report["pages"]}
    assert set(pages) == set(EVERY_PAGE)
    for key, status in EVERY_PAGE.items():
        page = pages[key]
        assert page["problems"] == [], key
        assert page["load"]["rps"] > 0, key
        assert set(page["load"]["statuses"]) == {status}, key
        assert page["load"]["unexpected"] == 0, key
        assert page["queries"] > 0, key
    assert report["ok"] is True
    assert report["mixed"]["problems"] == []
    mixed_rows = {row["key"]: row for row in report["mixed"]["result"]["pages"]}
    assert set(mixed_rows) == {key for key, _ in mixed.MIX}
    for key, page in mixed_rows.items():
        assert page["requests"] > 0 and page["errors"] == 0, key
        assert page["p50_ms"] <= page["p95_ms"] <= page["p99_ms"], key
    assert report["mixed"]["result"]["total"]["errors"] == 0
    assert report["machine"]["cores"] >= 1
    assert report["git"]["commit"]


@needs_wrk
def test_whole_bench_on_a_tiny_database(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG"}}
    completed = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "bench",
            "--size=tiny",
            "--seconds=1",
            "--warmup=1",
            "--mixed-seconds=3",
            "--mixed-connections=4",
            f"--out={tmp_path}",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )

    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    label = (
        "postgres" if settings.DATABASES["default"]["ENGINE"].endswith("postgresql") else "sqlite"
    )
    latest = tmp_path / f"latest-{label}-tiny.json"
    report = json.loads(latest.read_text())
    check_whole_run(report)
    assert len(list(tmp_path.glob(f"{label}-tiny-*.json"))) == 1
    assert "Floor (bare view)" in completed.stdout
    assert "Mixed run: no errors." in completed.stdout
    assert not list(tmp_path.glob("*.lua"))  # the scripts held live session cookies


def test_profile_splits_a_pages_time_into_sql_and_templates(people, signed_in):
    import io

    from bench.runner.profile import profile_page, split_timers

    client = signed_in(people.teacher)
    with split_timers() as spent:
        client.get("/dashboard/")
    assert spent["building SQL"] > 0 and spent["running SQL"] > 0
    assert spent["rendering templates"] > 0
    with split_timers() as spent:
        client.get("/students/search/", {"q": "x"})  # JSON: no template
    assert spent["rendering templates"] == 0
    out = io.StringIO()
    page = Page("dashboard", "Dashboard", "teacher", "teacher", "GET", ("/dashboard/",))
    profile_page(page, client, requests=3, stdout=out)
    report = out.getvalue()
    assert "Dashboard (teacher), 3 requests in-process:" in report
    dashboard = inspect.getsourcefile(inspect.unwrap(resolve("/dashboard/").func))
    assert "ms per request" in report and str(Path(dashboard).relative_to(ROOT)) in report
