"""The daily clean-up as a job: it deletes what `flask uploads purge` deletes (the same function) and the
jobs' own result files past their TTL, once a day however many schedulers send it; settings are checked."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask

from tests.unit.jobs.conftest import jobs_app
from webapp.config import ConfigError
from webapp.jobs import api, records, runner
from webapp.jobs.records import DONE
from webapp.jobs.settings import read


def _staged(folder: Path, name: str, age_seconds: float) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(b"x")
    moment = time.time() - age_seconds
    os.utime(path, (moment, moment))
    return path


def test_the_retention_job_deletes_expired_files_and_keeps_fresh_ones(app: Flask) -> None:
    instance = Path(app.instance_path)
    day = 24 * 3600
    old_upload = _staged(instance / "uploads", "a" * 32 + ".bin", day)
    new_upload = _staged(instance / "uploads", "b" * 32 + ".bin", 60)
    old_evidence = _staged(instance / "evidence-staging", "c" * 32 + ".bin", day)
    old_result = _staged(instance / "jobs", "d" * 32 + ".bin", 2 * day)
    new_result = _staged(instance / "jobs", "e" * 32 + ".bin", 60)
    with app.app_context():
        job = api.enqueue_for_console("retention", {"day": "2026-12-07"})
        assert runner.execute(app, api.current_queue().settings, job.id) == "done"
        done = records.get(job.id)
    assert done is not None
    assert done.state == DONE
    assert done.operator_id is None
    assert done.counts is not None
    assert (done.counts["staged_files"], done.counts["evidence_files"], done.counts["job_files"]) == (1, 1, 1)
    assert not old_upload.exists()
    assert not old_evidence.exists()
    assert not old_result.exists()
    assert new_upload.exists()
    assert new_result.exists()


def test_the_retention_job_deletes_jobs_finished_before_the_retention_with_their_files(app: Flask) -> None:
    from sqlalchemy import update

    from webapp.store import current_store

    instance = Path(app.instance_path)
    with app.app_context():
        settings = api.current_queue().settings
        old = api.enqueue_for_console("probe", {"steps": 1, "file": True, "nonce": "old"})
        recent = api.enqueue_for_console("probe", {"steps": 1, "file": True, "nonce": "recent"})
        for job in (old, recent):
            assert runner.execute(app, settings, job.id) == "done"
        long_ago = records.now() - timedelta(days=31)
        with current_store().session() as db:
            db.execute(update(records.Job).where(records.Job.id == old.id).values(finished_at=long_ago))
        old_file = instance / "jobs" / f"{records.get(old.id).result_ref}.bin"  # type: ignore[union-attr]
        clean_up = api.enqueue_for_console("retention", {"day": "2026-12-08"})
        assert runner.execute(app, settings, clean_up.id) == "done"
        assert records.get(old.id) is None
        assert records.get(recent.id) is not None
        done = records.get(clean_up.id)
    assert not old_file.exists()
    assert done is not None
    assert done.counts is not None
    assert done.counts["jobs"] == 1


def test_the_daily_task_makes_one_clean_up_job_a_day(app: Flask) -> None:
    queue = app.extensions["jobs"]
    queue.daily_retention.call_local()
    queue.daily_retention.call_local()  # a second scheduler (another worker process) sends it too
    with app.app_context():
        jobs = [records.get(i) for i in range(1, 5)]
    made = [job for job in jobs if job is not None]
    assert len(made) == 1
    assert made[0].kind == "retention"
    assert made[0].params == {"day": datetime.now(UTC).date().isoformat()}


def test_the_reaper_runs_as_often_as_configured(tmp_path: Path) -> None:
    app = jobs_app(tmp_path / "instance", JOBS_REAPER_MINUTES=5, JOBS_RETENTION_HOUR=4)
    queue = app.extensions["jobs"]
    reaper = queue.reap_jobs.task_class()
    daily = queue.daily_retention.task_class()
    assert reaper.validate_datetime(datetime(2026, 12, 7, 10, 15))
    assert not reaper.validate_datetime(datetime(2026, 12, 7, 10, 16))
    assert daily.validate_datetime(datetime(2026, 12, 7, 4, 7))
    assert not daily.validate_datetime(datetime(2026, 12, 7, 3, 7))


@pytest.mark.parametrize(
    ("key", "value", "problem"),
    [
        ("JOBS_BROKER_URL", "amqp://broker", "JOBS_BROKER_URL must be a redis://"),
        ("JOBS_WORKERS", 0, "JOBS_WORKERS must be above 0"),
        ("JOBS_CMS_CONCURRENCY", "many", "JOBS_CMS_CONCURRENCY must be a number"),
        ("JOBS_CMS_CONCURRENCY_TOTAL", 0, "JOBS_CMS_CONCURRENCY_TOTAL must be above 0"),
        ("JOBS_REAPER_MINUTES", 7, "JOBS_REAPER_MINUTES must divide an hour"),
        ("JOBS_RETENTION_HOUR", 24, "JOBS_RETENTION_HOUR must be an hour of the day"),
        ("JOBS_HEARTBEAT_SECONDS", 120, "JOBS_HEARTBEAT_SECONDS must be shorter than JOBS_STALE_SECONDS"),
    ],
)
def test_settings_that_cannot_work_stop_the_console(
    tmp_path: Path, key: str, value: object, problem: str
) -> None:
    from webapp.config import DEFAULTS

    _, problems = read({**DEFAULTS, key: value})
    assert any(problem in text for text in problems), problems
    with pytest.raises(ConfigError, match=problem.split(" must")[0]):
        jobs_app(tmp_path / "instance", **{key: value})


def test_settings_from_the_environment_are_read_as_numbers() -> None:
    from webapp.config import DEFAULTS

    settings, problems = read({**DEFAULTS, "JOBS_WORKERS": "4", "JOBS_STALE_SECONDS": "90.5"})
    assert problems == []
    assert (settings.workers, settings.stale_seconds) == (4, 90.5)


def test_jobs_settings_come_from_console_variables_and_are_documented(tmp_path: Path) -> None:
    from webapp.config import build_config
    from webapp.config_table import SETTINGS

    config = build_config(
        str(tmp_path), {}, environ={"CONSOLE_JOBS_WORKERS": "4", "CONSOLE_JOBS_BROKER_URL": "redis://r:6379/2"}
    )
    settings, problems = read(config)
    assert problems == []
    assert (settings.workers, settings.broker_url) == (4, "redis://r:6379/2")
    example = (Path(__file__).parents[3] / "instance" / "config.example.py").read_text()
    for key in (key for key in SETTINGS if key.startswith("JOBS_")):
        assert f"# {key} = " in example, key
