"""My jobs, one job's panel (polled while the job is live and the tab visible), its result file, and the
"finished" toasts every page of a signed-in operator asks for.

Deny by default: a job is read only through `api.job_for` (its operator, on the partner in the URL, which the
access gate checked the operator holds); anything else, a job of someone else included, is the same 404.
"""

from __future__ import annotations

import mimetypes

from flask import Blueprint, Response, abort, current_app, render_template, send_file
from flask.typing import ResponseReturnValue
from flask_login import current_user

from webapp.access import Operator, signed_in
from webapp.htmx import render
from webapp.jobs import api
from webapp.jobs.files import results_folder
from webapp.jobs.kinds import KINDS
from webapp.jobs.records import DONE, Job

bp = Blueprint("jobs", __name__)


def _operator() -> Operator:
    operator: Operator = current_user  # the access gate guarantees it
    return operator


def _job(partner_id: int, job_id: int) -> Job:
    job = api.job_for(_operator(), job_id, partner_id=partner_id)
    if job is None:
        abort(404)
    return job


@bp.get("/p/<int:partner_id>/jobs/")
@signed_in
def index(partner_id: int) -> ResponseReturnValue:
    jobs = api.my_jobs(_operator(), partner_id=partner_id)
    return render("jobs/index.html", jobs=jobs, partner_id=partner_id, kinds=KINDS)


@bp.get("/p/<int:partner_id>/jobs/<int:job_id>")
@signed_in
def detail(partner_id: int, job_id: int) -> ResponseReturnValue:
    job = _job(partner_id, job_id)
    return render("jobs/detail.html", job=job, partner_id=partner_id, kinds=KINDS)


@bp.get("/p/<int:partner_id>/jobs/<int:job_id>/panel")
@signed_in
def panel(partner_id: int, job_id: int) -> ResponseReturnValue:
    job = _job(partner_id, job_id)
    return render_template("jobs/_panel.html", job=job, partner_id=partner_id, kinds=KINDS)


@bp.get("/p/<int:partner_id>/jobs/<int:job_id>/download")
@signed_in
def download(partner_id: int, job_id: int) -> ResponseReturnValue:
    job = _job(partner_id, job_id)
    if job.state != DONE or not job.result_ref or not job.result_name:
        abort(404)
    files = results_folder(current_app.instance_path, api.current_queue().settings.result_ttl_seconds)
    path = files.path(job.result_ref, files.suffixes[0])
    if not path.is_file():
        abort(404)  # swept after JOBS_RESULT_TTL_SECONDS
    mimetype = mimetypes.guess_type(job.result_name)[0] or "application/octet-stream"
    response = send_file(path, mimetype=mimetype, as_attachment=True, download_name=job.result_name)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/jobs/finished")
@signed_in
def finished() -> ResponseReturnValue:
    """Toasts for the operator's jobs that finished since the last ask, appended to the page's toast region;
    204 (nothing to swap) when there are none."""
    operator = _operator()
    jobs = api.finished_for(operator)
    if not jobs:
        return Response(status=204)
    home = operator.partners[0].partner_id if operator.partners else None
    return render_template("jobs/_finished.html", jobs=jobs, home_partner=home, kinds=KINDS)
