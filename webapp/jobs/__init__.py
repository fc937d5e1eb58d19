"""Background jobs: long work (audits, exports, bulk sends, the clean-up) in worker processes, on huey.

The web process writes a job record and enqueues its id (webapp/jobs/api.py), then shows the job's panel;
workers (`python -m webapp.jobs`) run it (webapp/jobs/runner.py); the record in the console store is the
truth an operator sees and a retry starts from (webapp/jobs/records.py). The README's "Background jobs"
says why huey.
"""

from __future__ import annotations

from flask import Flask

from webapp.jobs.views import bp

__all__ = ["bp", "init_app"]


def init_app(app: Flask) -> None:
    """The app's queue (SQLite or Redis, from the settings), the job kinds and the pages."""
    from webapp.cardholders import export_job  # noqa: F401  (each registers its kind)
    from webapp.config import ConfigError
    from webapp.jobs import probe, retention  # noqa: F401
    from webapp.jobs.queue import build_queue
    from webapp.jobs.settings import read

    settings, problems = read(app.config)
    if problems:
        raise ConfigError("Refusing to start: " + "; ".join(problems))
    app.extensions["jobs"] = build_queue(app, settings)
    app.register_blueprint(bp)
