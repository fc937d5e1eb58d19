"""Downloads that are background jobs, in tests without a worker process: ask for the file as the page's
button does, run the job's attempt in this process (what a worker thread runs, webapp/jobs/runner.py), and
download its result. A refused ask answers the refusal itself, so a test checks both the same way."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

_CSRF = re.compile(r'name="csrf_token"[^>]*?value="([^"]+)"')
_JOB_PAGE = re.compile(r"/p/(\d+)/jobs/(\d+)$")


def job_file(console: Flask, client: FlaskClient, url: str, page: str | None = None) -> Any:
    """POST `url` with a CSRF token from `page` (default: `url` less its last segment), run the job it
    started, and answer the download of its file; a refusal (403, 404) is answered as it came."""
    from webapp.jobs import runner

    html = client.get(page or url.rpartition("/")[0]).get_data(as_text=True)
    token = _CSRF.search(html)
    assert token, "no CSRF token on the page"
    asked = client.post(url, data={"csrf_token": token.group(1)})
    if asked.status_code != 303:
        return asked
    found = _JOB_PAGE.search(asked.headers["Location"])
    assert found, asked.headers["Location"]
    partner_id, job_id = int(found.group(1)), int(found.group(2))
    outcome = runner.execute(console, console.extensions["jobs"].settings, job_id)
    assert outcome == "done", outcome
    return client.get(f"/p/{partner_id}/jobs/{job_id}/download")
