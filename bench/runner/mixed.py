"""`make bench`'s mixed run: the busiest pages at once, at the issue's mix, with no error allowed.

wrk drives it (mixed.lua) as it drives each page, rather than a Python client: on a small machine
a Python client would take the CPU the server needs, and its own scheduling would show up in the
latencies. wrk's latency histogram is for all requests together, so the script times each answer
and files it under its page; that needs one connection per wrk thread (see mixed.lua).
"""

import json
import math
import secrets
import subprocess
from dataclasses import dataclass
from pathlib import Path

from django.db import connections

from bench.runner import load as wrk
from bench.runner.pages import SUBMISSION, Page
from bench.runner.plan import made_rows

SCRIPT = Path(__file__).with_name("mixed.lua")

# The mix, in 40ths of the requests: 70% Dashboard and Viewing Incident, 20% type-ahead,
# 10% Add Incident (4 alerts) and Add Action; each group shared out as a school's day would.
MIX = (
    ("dashboard", 7),  # 17.5%, the teacher's
    ("dashboard_dsl", 7),  # 17.5%
    ("incident", 14),  # 35%
    ("student_search", 4),  # 10%
    ("staff_search", 4),  # 10%
    ("add_incident", 2),  # 5%
    ("add_action", 2),  # 5%
)
DECK = sum(weight for _, weight in MIX)


@dataclass(frozen=True)
class MixedLoad:
    seconds: int = 60
    connections: int = 32  # and as many wrk threads: one connection each
    timeout_seconds: int = 30

    def arguments(self) -> list[str]:
        return [
            f"-t{self.connections}",
            f"-c{self.connections}",
            f"-d{self.seconds}s",
            f"--timeout={self.timeout_seconds}s",
        ]


def mix_of(pages: list[Page]) -> list[tuple[Page, int]]:
    """The pages of the mix, each with its weight, from all the bench's pages."""
    by_key = {page.key: page for page in pages}
    return [(by_key[key], weight) for key, weight in MIX]


def mixed_config(mix: list[tuple[Page, int]], *, origin: str, threads: int) -> dict:
    return {
        "pages": [
            {
                "key": page.key,
                "method": page.method,
                "paths": list(page.paths),
                "cookies": list(page.cookies),
                "bodies": list(page.bodies) or None,
                "expect_status": page.expect_status,
                "expect_location": page.expect_location,
            }
            for page, _ in mix
        ],
        "deck": [number for number, (_, weight) in enumerate(mix, 1) for _ in range(weight)],
        "placeholder": SUBMISSION,
        "origin": origin,
        "threads": threads,
        "run_id": secrets.token_hex(8),
    }


def run_mix(mix: list[tuple[Page, int]], *, base_url: str, load: MixedLoad, workdir: Path) -> dict:
    """Runs wrk once over the mix and returns the result (see `parse_result`)."""
    for page, _ in mix:
        if not page.paths:
            raise RuntimeError(f"Nothing to request for {page.title}: the bench data ran out.")
    script = workdir / "wrk-mixed.lua"
    config = mixed_config(mix, origin=wrk.https_origin(base_url), threads=load.connections)
    script.write_text(wrk.script_text(config, SCRIPT))
    completed = subprocess.run(
        [wrk.wrk_path(), *load.arguments(), "-s", str(script), base_url + mix[0][0].paths[0]],
        capture_output=True,
        text=True,
        check=False,
        timeout=load.seconds + load.timeout_seconds + 30,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"wrk failed ({completed.returncode}): {completed.stderr.strip()}")
    return parse_result(completed.stdout, mix)


def percentile(ordered: list[int], p: float) -> float | None:
    """The nearest-rank percentile of sorted microseconds, in milliseconds."""
    if not ordered:
        return None
    return round(ordered[max(math.ceil(p / 100 * len(ordered)) - 1, 0)] / 1000, 2)


def latency(latencies: list[int], seconds: float) -> dict:
    ordered = sorted(latencies)
    return {
        "requests": len(ordered),
        "rps": round(len(ordered) / seconds, 2) if seconds else 0.0,
        "p50_ms": percentile(ordered, 50),
        "p95_ms": percentile(ordered, 95),
        "p99_ms": percentile(ordered, 99),
        "max_ms": percentile(ordered, 100),
    }


def parse_result(output: str, mix: list[tuple[Page, int]]) -> dict:
    """Per page: answers, latency percentiles, answers that were not the expected one
    (`unexpected`) and requests whose connection broke before the answer (`lost`); and totals."""
    for line in output.splitlines():
        if line.startswith(wrk.RESULT_MARK):
            raw = json.loads(line[len(wrk.RESULT_MARK) :])
            break
    else:
        raise ValueError("wrk printed no result: did the script fail? Output:\n" + output)
    seconds = raw["duration_us"] / 1e6
    threads = [json.loads(text) for text in raw["threads"] or []]  # an empty Lua table is {}
    rows, everything = [], []
    for page, weight in mix:
        stats = merged([thread[page.key] for thread in threads])
        latencies = stats["latencies"]
        everything += latencies
        unexpected, lost = stats["unexpected"], stats["lost"]
        rows.append(
            {
                "key": page.key,
                "title": page.title,
                "role": page.role,
                "share": round(weight / DECK, 4),
                "expected": page.expected,
                **latency(latencies, seconds),
                "statuses": dict(sorted(stats["statuses"].items())),
                "unexpected": unexpected,
                "lost": lost,
                "errors": unexpected + lost,
                "samples": stats["samples"][:3],
            }
        )
    socket_errors = {name: int(count) for name, count in raw["errors"].items()}
    return {
        "duration_s": round(seconds, 3),
        "pages": rows,
        "total": {
            **latency(everything, seconds),
            # Read and write errors are the pages' lost requests already; a failed connect has
            # no page yet, and a timeout may still be answered later.
            "errors": sum(row["errors"] for row in rows)
            + socket_errors["connect"]
            + socket_errors["timeout"],
        },
        "socket_errors": socket_errors,
    }


def merged(threads: list[dict]) -> dict:
    """One page's figures over every wrk thread (each thread prints its own)."""
    total = {"latencies": [], "statuses": {}, "unexpected": 0, "lost": 0, "samples": []}
    for stats in threads:
        total["latencies"] += [int(us) for us in stats["latencies"] or []]  # {} when empty
        for status, count in (stats["statuses"] or {}).items():
            total["statuses"][status] = total["statuses"].get(status, 0) + int(count)
        total["unexpected"] += int(stats["unexpected"])
        total["lost"] += int(stats["lost"])
        total["samples"] += list(stats["samples"] or [])
    return total


def problems(result: dict) -> list[str]:
    """Why the mixed run fails: any error at all, or a page of the mix never answered."""
    found = []
    for row in result["pages"]:
        name = f"{row['title']} ({row['role']})"
        if row["requests"] == 0:
            found.append(f"{name}: no request was answered")
        if row["unexpected"]:
            found.append(
                f"{name}: {row['unexpected']} of {row['requests']} answers were not "
                f"{row['expected']} (statuses {row['statuses']}; for example "
                f"{'; '.join(row['samples'])})"
            )
        if row["lost"]:
            found.append(f"{name}: {row['lost']} requests lost with their connection")
    errors = {name: count for name, count in result["socket_errors"].items() if count}
    if errors:
        found.append(f"socket errors {errors}")
    return found


def drive_mix(pages: list[Page], *, base_url: str, load: MixedLoad, people, workdir: Path) -> dict:
    """The mixed run's part of the report: its load, its result per page, and its problems,
    including a POST that answered as it should but did not record what it should."""
    mix = mix_of(pages)
    part = {
        "connections": load.connections,
        "threads": load.connections,
        "seconds": load.seconds,
        "mix": {page.key: round(weight / DECK, 4) for page, weight in mix},
        "result": None,
        "problems": [],
    }
    before = made_rows(people)
    connections.close_all()  # as for each page: no connection of the bench's held during the run
    try:
        result = run_mix(mix, base_url=base_url, load=load, workdir=workdir)
    except (RuntimeError, ValueError, subprocess.TimeoutExpired) as error:
        part["problems"].append(str(error))
        return part
    after = made_rows(people)
    part["result"] = result
    part["problems"] += problems(result)
    for (page, _), row in zip(mix, result["pages"], strict=True):
        part["problems"] += [
            f"{row['title']} ({row['role']}): {problem}"
            for problem in wrk.effect_problems(
                page,
                before,
                after,
                answered=row["requests"] - row["unexpected"],
                in_flight=load.connections,
            )
        ]
    return part
