"""Real loopback HTTP servers for tests: a WSGI app on 127.0.0.1, port chosen by the OS, in a thread."""

from __future__ import annotations

import threading
from typing import Any

from werkzeug.serving import BaseWSGIServer, make_server


class LiveServer:
    def __init__(self, app: Any, host: str = "127.0.0.1") -> None:
        self.app = app
        self._server: BaseWSGIServer = make_server(host, 0, app, threaded=True)
        self.host = host
        self.port = self._server.server_port
        self.url = f"http://{host}:{self.port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, name=f"live-{self.port}", daemon=True
        )

    def start(self) -> LiveServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
