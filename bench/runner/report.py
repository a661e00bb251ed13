"""The bench's answer: each page against the floor and its target, as a table and as JSON."""

import json
from pathlib import Path

from bench.runner.pages import QUERY_LIMIT, SQLITE_ALLOWANCE

TARGETS_NOTE = (
    "Targets (the issue's): on PostgreSQL, Dashboard, Viewing Incident and type-ahead p95 "
    "<= 3x the floor's and rps >= 1/3 of it, the chronology <= 4x and >= 1/4, Add Incident "
    f"and Add Action <= 5x and >= 1/5; on SQLite within {SQLITE_ALLOWANCE}x of those (<= 6x "
    f"and >= 1/6, <= 8x and >= 1/8, <= 10x and >= 1/10); every page <= {QUERY_LIMIT} queries. "
    "Pass/fail is informational; a refused row means the page did not answer as it should, "
    "so its numbers mean nothing."
)


FLOOR_DRIFT_WARNING = 1.25


def assess(rows: list[dict]) -> dict | None:
    """Adds each row's ratios to the floor and its verdict (pass, fail, refused, or "-" with no
    target); returns the floor the ratios are to: the mean of its runs (first and last)."""
    floors = [
        row["load"]
        for row in rows
        if row["key"].startswith("floor") and row["load"] and not row["problems"]
    ]
    floor = None
    if floors and all(run["p95_ms"] and run["rps"] for run in floors):
        rps = [run["rps"] for run in floors]
        floor = {
            "p95_ms": round(sum(run["p95_ms"] for run in floors) / len(floors), 2),
            "rps": round(sum(rps) / len(rps), 2),
            "runs": len(floors),
            "drift": round(max(rps) / min(rps), 2),
        }
    for row in rows:
        load = row["load"]
        row["ratios"] = {"p95": None, "rps": None}
        if load and floor:
            row["ratios"] = {
                "p95": round(load["p95_ms"] / floor["p95_ms"], 2),
                "rps": round(load["rps"] / floor["rps"], 3),
            }
        row["misses"] = misses(row)
        if row["problems"]:
            row["verdict"] = "refused"
        elif row["target"] is None:
            row["verdict"] = "-"
        else:
            row["verdict"] = "fail" if row["misses"] else "pass"
    return floor


def misses(row: dict) -> list[str]:
    """The targets a row misses, in words."""
    target, ratios = row["target"], row["ratios"]
    if target is None:
        return []
    found = []
    p95, rps = ratios["p95"], ratios["rps"]
    if target["p95_ratio"] is not None and p95 is not None and p95 > target["p95_ratio"]:
        found.append(f"p95 {p95:.2f}x the floor's (target <= {target['p95_ratio']:g}x)")
    if target["rps_ratio"] is not None and rps is not None and rps < target["rps_ratio"]:
        found.append(f"rps {rps:.3f} of the floor's (target >= {target['rps_ratio']:.3f})")
    if row["queries"] is not None and row["queries"] > target["queries"]:
        found.append(f"{row['queries']} queries (target <= {target['queries']})")
    return found


COLUMNS = [
    ("page", "<", 26),
    ("role", "<", 10),
    ("p50 ms", ">", 8),
    ("p95 ms", ">", 8),
    ("rps", ">", 8),
    ("queries", ">", 7),
    ("p95/floor", ">", 9),
    ("rps/floor", ">", 9),
    ("target", "<", 22),
    ("result", "<", 7),
]


def _number(value, digits: int = 1, suffix: str = "") -> str:
    return "-" if value is None else f"{value:.{digits}f}{suffix}"


def table(report: dict) -> str:
    """One line per page, with the run described above and what failed explained below."""
    header = " ".join(f"{name:{align}{width}}" for name, align, width in COLUMNS).rstrip()
    lines = [heading(report), "", header, "-" * len(header)]
    for row in report["pages"]:
        load = row["load"] or {}
        cells = [
            row["title"],
            row["role"],
            _number(load.get("p50_ms")),
            _number(load.get("p95_ms")),
            _number(load.get("rps")),
            "-" if row["queries"] is None else str(row["queries"]),
            _number(row["ratios"]["p95"], 2, "x"),
            _number(row["ratios"]["rps"], 3),
            row["target_label"],
            row["verdict"],
        ]
        lines.append(
            " ".join(
                f"{cell:{align}{width}}"
                for cell, (_, align, width) in zip(cells, COLUMNS, strict=True)
            ).rstrip()
        )
    lines.append("")
    floor = report["floor"]
    if floor is None:
        lines.append("No ratios: the floor itself did not answer as it should.")
    else:
        lines.append(
            f"Ratios are to the floor's mean over {floor['runs']} runs (first and last): "
            f"p95 {floor['p95_ms']:.1f} ms, {floor['rps']:.1f} rps."
        )
        if floor["drift"] > FLOOR_DRIFT_WARNING:
            lines.append(
                f"WARNING: the floor's rps moved by {floor['drift']:.2f}x between its runs: "
                "something else was using the machine, so the ratios are unreliable."
            )
    lines.append(TARGETS_NOTE)
    for row in report["pages"]:
        for problem in row["problems"]:
            lines.append(f"REFUSED {row['title']} ({row['role']}): {problem}")
        for miss in row["misses"] if not row["problems"] else []:
            lines.append(f"missed  {row['title']} ({row['role']}): {miss}")
    if report.get("mixed"):
        lines += ["", mixed_table(report["mixed"])]
    return "\n".join(lines)


MIXED_COLUMNS = [
    ("page", "<", 26),
    ("role", "<", 10),
    ("share", ">", 6),
    ("requests", ">", 8),
    ("rps", ">", 8),
    ("p50 ms", ">", 8),
    ("p95 ms", ">", 8),
    ("p99 ms", ">", 8),
    ("errors", ">", 6),
]


def mixed_table(mixed: dict) -> str:
    """The mixed run: per page of the mix and in total, then its errors (there must be none)."""
    lines = [
        f"Mixed run: {mixed['connections']} connections (wrk -t{mixed['threads']} "
        f"-c{mixed['connections']}) for {mixed['seconds']} s, each request picking its page by "
        "the share below; latency per page as the script timed each answer.",
        "",
    ]
    result = mixed["result"]
    if result is not None:
        header = " ".join(f"{name:{align}{width}}" for name, align, width in MIXED_COLUMNS)
        lines += [header.rstrip(), "-" * len(header.rstrip())]
        total = {**result["total"], "title": "All pages", "role": "", "share": 1}
        for row in [*result["pages"], total]:
            cells = [
                row["title"],
                row["role"],
                f"{row['share'] * 100:.1f}%",
                str(row["requests"]),
                _number(row["rps"]),
                _number(row["p50_ms"]),
                _number(row["p95_ms"]),
                _number(row["p99_ms"]),
                str(row["errors"]),
            ]
            lines.append(
                " ".join(
                    f"{cell:{align}{width}}"
                    for cell, (_, align, width) in zip(cells, MIXED_COLUMNS, strict=True)
                ).rstrip()
            )
        lines.append("")
    if mixed["problems"]:
        lines += [f"MIXED RUN FAILED: {problem}" for problem in mixed["problems"]]
    else:
        lines.append("Mixed run: no errors.")
    return "\n".join(lines)


def failures(report: dict) -> str:
    """Why the bench fails, in a sentence for its exit; "" when nothing failed."""
    reasons = []
    refused = [row for row in report["pages"] if row["problems"]]
    if refused:
        reasons.append(
            f"{len(refused)} page{'s' if len(refused) != 1 else ''} did not answer as they "
            "should (see REFUSED above)"
        )
    mixed = report.get("mixed")
    if mixed and mixed["problems"]:
        errors = (mixed["result"] or {}).get("total", {}).get("errors")
        counted = f" with {errors} errors" if errors else ""
        reasons.append(f"the mixed run failed{counted} (see MIXED RUN FAILED above)")
    if not reasons:
        return ""
    sentence = "; ".join(reasons)
    return sentence[0].upper() + sentence[1:] + "."


def heading(report: dict) -> str:
    size, load, server = report["size"], report["load"], report["server"]
    changed = " (with uncommitted changes)" if report["git"]["dirty"] else ""
    return (
        f"Kestrel bench: {report['database']['label']}, {size['name']} "
        f"({size['students']} students, {size['incidents']} incidents, {size['schools']} "
        f"school{'s' if size['schools'] != 1 else ''} seeded), {server['name']} "
        f"{server['workers']} {server['worker_class']} workers, wrk -t{load['threads']} "
        f"-c{load['connections']} -d{load['seconds']}s, {report['machine']['cores']} cores, "
        f"commit {report['git']['commit'][:10]}{changed}"
    )


def save(report: dict, out_dir: Path) -> tuple[Path, Path]:
    """Writes the report as `<db>-<size>-<UTC time>.json` and as `latest-<db>-<size>.json`."""
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = f"{report['database']['label']}-{report['size']['name']}"
    stamp = report["started_at"].replace("-", "").replace(":", "")  # 20261120T101500Z
    text = json.dumps(report, indent=2, sort_keys=False) + "\n"
    dated = out_dir / f"{stem}-{stamp}.json"
    latest = out_dir / f"latest-{stem}.json"
    dated.write_text(text)
    latest.write_text(text)
    return dated, latest
