"""This process as the jobs see it: the name a worker claims a job under (webapp/jobs/records.py) and leases
CMS slots under (webapp/jobs/cms_slots.py), unique across the nodes that share one queue."""

from __future__ import annotations

import os
import socket
from typing import Final

WORKER: Final = f"{socket.gethostname()[:60]}:{os.getpid()}"
