"""gunicorn settings: threaded workers (requests mostly wait on the CMS), sized from the environment."""

import gc
import os

import gunicorn.http.wsgi

# No server name or version in responses: gunicorn reads this module global for every response it writes.
gunicorn.http.wsgi.SERVER = "console"

bind = os.environ.get("CONSOLE_BIND", "127.0.0.1:8000")
worker_class = "gthread"
workers = int(os.environ.get("CONSOLE_WORKERS", "2"))
threads = int(os.environ.get("CONSOLE_THREADS", "8"))
# Above the CMS client's own deadline (15 s) plus its retry budget, so the client gives up first.
timeout = 30
graceful_timeout = 30
keepalive = 5
# Request line and header limits well under gunicorn's maxima; uploads are capped by MAX_CONTENT_LENGTH.
limit_request_line = 8190
limit_request_fields = 100
accesslog = None  # the app logs requests as JSON with their request id; no second, unredacted log
errorlog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


def post_worker_init(worker: object) -> None:
    """Garbage collector settings for a worker whose app is loaded (the app and all its imports are built).

    `gc.freeze()` keeps those start-up objects out of every later collection: without it a full collection
    walks all of them, a pause of ~100 ms every few hundred requests. A page allocates more short-lived
    tracked objects (Markup strings, dicts) than the default young-generation threshold of 700, so most
    renders paid a collection in the middle; 10,000 lets a page's garbage die by reference counting first.
    """
    gc.freeze()
    gc.set_threshold(10_000, 10, 10)


def on_starting(server: object) -> None:
    """Empty the metrics directory: a previous run's samples (its pids may recur) must not be merged."""
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        os.makedirs(directory, exist_ok=True)
        for name in os.listdir(directory):
            if name.endswith(".db"):
                os.remove(os.path.join(directory, name))


def child_exit(server: object, worker: object) -> None:
    """A worker is gone: drop its live gauges from /metrics (its counters and histograms are kept)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)  # type: ignore[attr-defined]
