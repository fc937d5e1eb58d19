"""Where a job's result file waits for its operator: a private folder (webapp/files/private_folder.py).

Under `instance/jobs/`, never under static/: mode 0600, named by a random reference, a JSON record beside it
saying whose it is, swept after JOBS_RESULT_TTL_SECONDS. A job writes its file straight to disk (an export of
200,000 rows is never held in memory) and the download streams it from there, to its owner only.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, Final

from webapp.files.private_folder import PrivateFolder

RESULTS_DIR_NAME: Final = "jobs"


class JobFiles(PrivateFolder):
    suffixes = (".bin",)

    @contextmanager
    def writing(self, ref: str) -> Iterator[BinaryIO]:
        """The result file of `ref`, opened for writing (owner-only, never an existing file); a failure while
        writing leaves nothing behind."""
        path = self.path(ref, self.suffixes[0])
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as handle:
                yield handle
        except BaseException:
            self.discard(ref)
            raise


def results_folder(instance_path: str, ttl_seconds: int) -> JobFiles:
    return JobFiles(Path(instance_path) / RESULTS_DIR_NAME, ttl_seconds)
