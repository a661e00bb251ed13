"""Driving one page with wrk: the script it runs, its result, and whether that result counts."""

import json
import secrets
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from bench.runner.pages import SUBMISSION

SCRIPT = Path(__file__).with_name("wrk.lua")
JSON_SCRIPT = Path(__file__).with_name("json.lua")
RESULT_MARK = "BENCH_JSON "


@dataclass(frozen=True)
class Load:
    """How hard and how long wrk drives each page (the same for the floor and every page)."""

    seconds: int = 10
    warmup_seconds: int = 1
    connections: int = 4
    threads: int = 1
    timeout_seconds: int = 30

    def arguments(self, seconds: int) -> list[str]:
        return [
            f"-t{self.threads}",
            f"-c{self.connections}",
            f"-d{seconds}s",
            f"--timeout={self.timeout_seconds}s",
        ]


def wrk_path() -> str:
    path = shutil.which("wrk")
    if path is None:
        raise RuntimeError(
            "wrk is not installed: `make bench` installs Debian's (apt-get install wrk)."
        )
    return path


def wrk_version() -> str:
    completed = subprocess.run([wrk_path(), "-v"], capture_output=True, text=True, check=False)
    first = (completed.stdout or completed.stderr).strip().splitlines()
    return first[0] if first else "wrk"


def lua_literal(value) -> str:
    """A Python value (dict, list, str, int, bool, None) written as a Lua constructor."""
    if value is None:
        return "nil"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return lua_string(value)
    if isinstance(value, list | tuple):
        return "{" + ", ".join(lua_literal(item) for item in value) + "}"
    if isinstance(value, dict):
        pairs = (f"[{lua_string(str(k))}] = {lua_literal(v)}" for k, v in value.items())
        return "{" + ", ".join(pairs) + "}"
    raise TypeError(f"Cannot write {type(value).__name__} as Lua")


def lua_string(text: str) -> str:
    """A Lua string literal: printable ASCII as it is, every other byte as a decimal escape."""
    return (
        '"'
        + "".join(
            chr(byte) if 32 <= byte < 127 and byte not in (34, 92) else f"\\{byte:03d}"
            for byte in text.encode()
        )
        + '"'
    )


def script_text(config: dict, script: Path = SCRIPT) -> str:
    """The wrk script for one run: its `config` table, the JSON writer, then `script`'s logic."""
    return f"config = {lua_literal(config)}\n\n{JSON_SCRIPT.read_text()}\n{script.read_text()}"


def page_config(page, *, origin: str, threads: int) -> dict:
    """What the script needs to send `page` and to check every answer."""
    return {
        "method": page.method,
        "paths": list(page.paths),
        "cookies": list(page.cookies),
        "bodies": list(page.bodies) or None,
        "placeholder": SUBMISSION,
        "distinct": page.distinct,
        "expect_status": page.expect_status,
        "expect_location": page.expect_location,
        "origin": origin,
        "threads": threads,
        "run_id": secrets.token_hex(8),
    }


def run_wrk(page, *, base_url: str, load: Load, seconds: int, workdir: Path) -> dict:
    """Runs wrk once against `page` and returns its result (see `parse_result`)."""
    if not page.paths:
        raise RuntimeError(f"Nothing to request for {page.title}: the bench data ran out.")
    script = workdir / f"wrk-{page.key}.lua"
    script.write_text(
        script_text(page_config(page, origin=https_origin(base_url), threads=load.threads))
    )
    completed = subprocess.run(
        [wrk_path(), *load.arguments(seconds), "-s", str(script), base_url + page.paths[0]],
        capture_output=True,
        text=True,
        check=False,
        timeout=seconds + load.timeout_seconds + 30,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"wrk failed ({completed.returncode}): {completed.stderr.strip()}")
    return parse_result(completed.stdout)


def https_origin(base_url: str) -> str:
    """The origin the browser would send behind the TLS proxy: https, same host and port."""
    return "https://" + base_url.split("://", 1)[1].rstrip("/")


def parse_result(output: str) -> dict:
    """The numbers the script prints in `done()`, in milliseconds and requests per second."""
    for line in output.splitlines():
        if line.startswith(RESULT_MARK):
            raw = json.loads(line[len(RESULT_MARK) :])
            break
    else:
        raise ValueError("wrk printed no result: did the script fail? Output:\n" + output)
    return {
        "requests": int(raw["requests"]),
        "duration_s": round(raw["duration_us"] / 1e6, 3),
        "rps": round(raw["rps"], 2),
        "p50_ms": round(raw["p50_us"] / 1000, 2),
        "p95_ms": round(raw["p95_us"] / 1000, 2),
        "p99_ms": round(raw["p99_us"] / 1000, 2),
        "mean_ms": round(raw["mean_us"] / 1000, 2),
        "max_ms": round(raw["max_us"] / 1000, 2),
        "errors": {name: int(count) for name, count in raw["errors"].items()},
        "statuses": {status: int(count) for status, count in sorted(raw["statuses"].items())},
        "unexpected": int(raw["unexpected"]),
        "wrapped": int(raw["wrapped"]),
        "samples": list(raw.get("samples") or []),
    }


def problems(result: dict, *, expected: str) -> list[str]:
    """Why a run's numbers cannot be taken as the page's speed; empty when they can."""
    found = []
    if result["requests"] == 0:
        found.append("no request was answered")
    if result["unexpected"]:
        samples = "; ".join(result["samples"])
        found.append(
            f"{result['unexpected']} of {result['requests']} answers were not {expected} "
            f"(statuses {result['statuses']}; for example {samples})"
        )
    errors = {name: count for name, count in result["errors"].items() if count}
    if errors:
        found.append(f"socket errors {errors}")
    if result["wrapped"]:
        found.append(
            f"{result['wrapped']} requests reused an id already used (too few for a run this "
            "long: lower BENCH_SECONDS)"
        )
    return found


def effect_problems(page, before: dict, after: dict, *, answered: int, in_flight: int) -> list[str]:
    """Whether `answered` requests recorded what they should: a POST that redirects as it should
    but records nothing, or the same record again, is no faster page. Up to `in_flight` more
    requests may have been recorded after wrk stopped counting."""
    found = []
    for counter, per_request in page.effects:
        made = after[counter] - before[counter]
        low, high = answered * per_request, (answered + in_flight) * per_request
        if not low <= made <= high:
            expected = str(low) if low == high else f"{low} to {high}"
            found.append(f"{answered} answers recorded {made} {counter} (expected {expected})")
    return found
