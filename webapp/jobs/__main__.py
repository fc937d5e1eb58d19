"""`python -m webapp.jobs`: one worker process for this console's queue (`make run` starts one).

It builds the console app from the same configuration as the web process (instance/config.py, then the
environment), so it reads the same store and the same queue, and runs huey's consumer with JOBS_WORKERS
threads. Production runs as many of these as it wants, on any node sharing JOBS_BROKER_URL and DATABASE_URL.
SIGTERM stops it gracefully (running jobs get a few seconds; any left are resumed by the reaper elsewhere).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys

from huey.consumer import Consumer

SHUTDOWN_SECONDS = 10.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m webapp.jobs", description=__doc__.splitlines()[0])
    parser.add_argument("--instance", help="instance folder (default: CONSOLE_INSTANCE_PATH or ./instance)")
    parser.add_argument("--workers", type=int, help="worker threads (default: JOBS_WORKERS)")
    parser.add_argument("--no-periodic", action="store_true", help="do not send the periodic tasks from here")
    args = parser.parse_args(argv)

    from webapp import create_app

    app = create_app({"INSTANCE_PATH": args.instance} if args.instance else None)
    if not logging.getLogger().handlers:
        logging.basicConfig(level=app.config.get("LOG_LEVEL", "INFO"), stream=sys.stderr)
    logging.getLogger("huey").setLevel(app.config.get("LOG_LEVEL", "INFO"))
    queue = app.extensions["jobs"]
    consumer = Consumer(
        queue.huey,
        workers=args.workers or queue.settings.workers,
        periodic=not args.no_periodic,
        worker_type="thread",
        max_delay=1.0,  # SQLite is polled: at most a second before a new job is seen
        graceful_signal="TERM",
        shutdown_timeout=SHUTDOWN_SECONDS,
    )
    print(f"jobs worker {os.getpid()}: {consumer.workers} threads on {type(queue.huey).__name__}", flush=True)
    consumer.run()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
