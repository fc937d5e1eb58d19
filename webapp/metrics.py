"""`/metrics` in the Prometheus text format, and the console's own request, upload and step-up metrics.

Under gunicorn every worker writes its samples to `PROMETHEUS_MULTIPROC_DIR` and a scrape merges them with a
fresh `MultiProcessCollector` registry (gunicorn.conf.py marks dead workers); without it (`flask run`, tests)
the process's default registry is served. Not public: the monitoring's bearer token or a caller on this
machine, the same check as the /readyz details; anyone else gets a 404. Label values are endpoint names, route
templates and outcomes, never paths, ids or personal data. The CMS client's metrics live in
`webapp.cms.telemetry`, which stays free of Flask.
"""

from __future__ import annotations

import contextlib
import os
import time

from flask import Blueprint, Flask, Response, abort, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)

from webapp.access import public
from webapp.cms import telemetry
from webapp.health import may_see_details
from webapp.upstream import UpstreamNotConfigured, cms

bp = Blueprint("metrics", __name__)

REQUEST_SECONDS = Histogram(
    "console_request_duration_seconds",
    "Time to answer a console request, by Flask endpoint and status code.",
    ["endpoint", "status"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
UPLOADS = Counter(
    "console_bulk_uploads_total",
    "Bulk uploads sent to the CMS, by outcome: sent, failed, or unknown (the answer was lost).",
    ["outcome"],
)
STEP_UP_CODES = Counter(
    "console_step_up_codes_total",
    "Step-up codes: sent to an operator, or entered and refused by the CMS.",
    ["event"],
)


def count_upload(outcome: str) -> None:
    UPLOADS.labels(outcome).inc()


def count_step_up(event: str) -> None:
    """`event` is "sent" or "failed"."""
    STEP_UP_CODES.labels(event).inc()


def _start_timer() -> None:
    g.metrics_started = time.perf_counter()


def _observe_request(response: Response) -> Response:
    started = g.pop("metrics_started", None)
    if started is not None:
        endpoint = request.endpoint or "unmatched"  # no route: the raw path is never a label
        REQUEST_SECONDS.labels(endpoint, str(response.status_code)).observe(time.perf_counter() - started)
    return response


def registry() -> CollectorRegistry:
    """What a scrape reads: every worker's samples under gunicorn, else this process's default registry."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        merged = CollectorRegistry()
        multiprocess.MultiProcessCollector(merged)  # type: ignore[no-untyped-call]
        return merged
    return REGISTRY


@bp.route("/metrics")
@public  # not for everyone: the token or loopback check below, a 404 otherwise
def metrics() -> Response:
    if not may_see_details():
        abort(404)
    # This worker's breaker as of now: it also turns half-open by time alone, with no call to observe.
    with contextlib.suppress(UpstreamNotConfigured):
        telemetry.observe_breaker(cms().breaker.state)
    response = Response(generate_latest(registry()), mimetype=None, content_type=CONTENT_TYPE_LATEST)
    response.headers["Cache-Control"] = "no-store"
    return response


def init_app(app: Flask) -> None:
    app.before_request(_start_timer)
    app.after_request(_observe_request)
    app.register_blueprint(bp)
