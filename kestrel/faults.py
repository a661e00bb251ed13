"""Named points where the fault tests stop a real worker, to kill it there (`kill -9`).

Does nothing unless the environment variable KESTREL_PAUSE_AT names the point (a comma-separated
list) and KESTREL_PAUSE_DIR names a folder: then the first process to reach a named point writes
its process id to `<folder>/<point>` and waits there (to be killed): for ever, or for
KESTREL_PAUSE_SECONDS. Each point stops one process once, so the worker that replaces a killed
one runs on through it.
"""

import os
import time


def pause_point(name: str) -> None:
    points = os.environ.get("KESTREL_PAUSE_AT")
    if not points or name not in points.split(","):
        return
    folder = os.environ.get("KESTREL_PAUSE_DIR")
    if not folder:
        return
    written = os.path.join(folder, f".{name}.{os.getpid()}")
    with open(written, "w") as file:
        file.write(str(os.getpid()))
    try:
        os.link(written, os.path.join(folder, name))  # appears whole, and only once
    except FileExistsError:
        return  # this point has stopped a worker already
    finally:
        os.unlink(written)
    seconds = float(os.environ.get("KESTREL_PAUSE_SECONDS") or "inf")
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        time.sleep(min(0.1, seconds))
