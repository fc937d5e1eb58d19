"""A job kind for the tests only (TESTING on): steps with a visible side effect, a file, or a failure.

Each step claims a marker file before its side effect (one line in a log), the way the console's writes claim
their key before the call (webapp/submit_once.py): a step run again after a killed worker finds its claim and
does not repeat the effect. Never offered in the UI; a console without TESTING refuses to enqueue or run it.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from webapp.jobs.kinds import Counts, JobContext, Kind, register
from webapp.textmarks import N_

FAILURE = N_("the test job was asked to fail")


def _claim(path: Path) -> bool:
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        return False
    return True


def run(context: JobContext) -> Counts:
    params = context.params
    steps = int(params.get("steps", 1))
    pause = float(params.get("step_seconds", 0))
    marks = Path(str(params["marks"])) if params.get("marks") else None
    done = context.resume_from
    for step in range(context.resume_from, steps):
        if marks is not None and _claim(marks / f"job-{context.job_id}-step-{step}"):
            with (marks / f"job-{context.job_id}.log").open("a") as log:
                log.write(f"{step}\n")
        done = step + 1
        context.report_progress(done, steps, {"steps": done})
        if pause and done < steps:
            time.sleep(pause)  # the work a real job would do between two steps
    if params.get("fail"):
        context.fail(FAILURE)
    if params.get("file"):
        with context.result_file("probe.csv") as handle:
            handle.write(b"step\n" + b"".join(f"{i}\n".encode() for i in range(steps)))
    return {"steps": done}


KIND = register(Kind("probe", N_("Test job"), run, testing_only=True, count_labels={"steps": N_("Steps")}))
