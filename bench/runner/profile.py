"""`manage.py bench --profile PAGE`: where one page's time goes, in-process, with no server.

The page is sent as the bench sends it, by the same signed-in account, on the bench's database:
first a few times to warm the caches, then `requests` times, timed as a whole and split into
building SQL (Django's compiler), running it (the database round trip), and rendering templates;
then once more per request under cProfile, whose heaviest functions are printed. In-process
times track the served ones closely (a page's ratio to the floor in-process is about its ratio
under wrk), so a change can be judged in seconds rather than in a whole bench run.
"""

import contextlib
import cProfile
import io
import pstats
import time
from collections import Counter
from pathlib import Path

from django.db.backends.utils import CursorWrapper
from django.db.models.sql.compiler import SQLCompiler
from django.template.backends.django import Template

from bench.runner.queries import send

WARM_UP = 5
TOP_FUNCTIONS = 30
# What the split times: (owner, method, label). Nested calls of the same kind count once.
TIMED = (
    (SQLCompiler, "as_sql", "building SQL"),
    (CursorWrapper, "execute", "running SQL"),
    (Template, "render", "rendering templates"),
)


@contextlib.contextmanager
def split_timers():
    """Adds up, by label, the time spent inside each of TIMED while the block runs."""
    spent, depth = Counter(), Counter()
    originals = [(owner, name, getattr(owner, name)) for owner, name, _ in TIMED]

    def timed(original, label):
        def wrapper(*args, **kwargs):
            if depth[label]:
                return original(*args, **kwargs)
            depth[label] += 1
            started = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                spent[label] += time.perf_counter() - started
                depth[label] -= 1

        return wrapper

    for (owner, name, original), (_, _, label) in zip(originals, TIMED, strict=True):
        setattr(owner, name, timed(original, label))
    try:
        yield spent
    finally:
        for owner, name, original in originals:
            setattr(owner, name, original)


def profile_page(page, client, *, requests: int, stdout, save_to: Path | None = None) -> None:
    for index in range(WARM_UP):
        send(client, page, index)
    with split_timers() as spent:
        started = time.perf_counter()
        for index in range(WARM_UP, WARM_UP + requests):
            send(client, page, index)
        elapsed = time.perf_counter() - started
    per_request = elapsed / requests * 1000
    stdout.write(f"{page.title} ({page.role}), {requests} requests in-process:")
    stdout.write(f"  {per_request:.2f} ms per request")
    for _, _, label in TIMED:
        stdout.write(f"  {spent[label] / requests * 1000:.2f} ms {label}")
    profiler = cProfile.Profile()
    profiler.enable()
    for index in range(WARM_UP + requests, WARM_UP + 2 * requests):
        send(client, page, index)
    profiler.disable()
    if save_to is not None:
        save_to.parent.mkdir(parents=True, exist_ok=True)
        profiler.dump_stats(save_to)
    report = io.StringIO()
    pstats.Stats(profiler, stream=report).sort_stats("cumulative").print_stats(TOP_FUNCTIONS)
    stdout.write(report.getvalue())
    if save_to is not None:
        stdout.write(f"Profile saved to {save_to} (pstats; sort it as you like).")
