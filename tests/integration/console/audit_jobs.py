"""Following an audit job from its panel to its result, with the queue's tasks run in this process.

The console under test has a SQLite queue and no worker: `run_queued` plays the worker, taking each task off
the queue and running it as `python -m webapp.jobs` would (webapp/jobs/runner.py through huey), until the
queue is empty.
"""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

JOB_PAGE = re.compile(r"/p/(\d+)/jobs/(\d+)$")


def run_queued(app: Flask) -> int:
    """Run every task waiting in the queue (and those they send); answers how many ran."""
    huey = app.extensions["jobs"].huey
    ran = 0
    while (task := huey.dequeue()) is not None:
        huey.execute(task)
        ran += 1
    return ran


def job_of(answer: TestResponse, partner_id: int) -> int:
    """The job a post answered with: a 303 to the job's page, which shows its panel."""
    assert answer.status_code == 303, answer.get_data(as_text=True)
    found = JOB_PAGE.search(answer.headers["Location"])
    assert found, answer.headers["Location"]
    assert int(found.group(1)) == partner_id
    return int(found.group(2))


def finished_panel(client: FlaskClient, app: Flask, partner_id: int, job_id: int) -> str:
    """The job's panel once the queue has run: it must be done."""
    run_queued(app)
    panel = client.get(f"/p/{partner_id}/jobs/{job_id}/panel")
    assert panel.status_code == 200
    html = panel.get_data(as_text=True)
    assert 'data-state="done"' in html, html
    return html


def result_link(html: str) -> str:
    found = re.search(r'href="([^"]+)"\s+data-testid="job-result"', html)
    assert found, html
    return found.group(1)


def download_link(html: str) -> str:
    found = re.search(r'href="([^"]+)"\s+data-testid="job-download"', html)
    assert found, html
    return found.group(1)
