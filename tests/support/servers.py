"""Real loopback HTTP servers for tests: a WSGI app on 127.0.0.1, port chosen by the OS, in a thread."""

from __future__ import annotations

import threading
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server


class OneRequestPerConnection(WSGIRequestHandler):
    """HTTP/1.0: the server closes each connection after its answer. A browser reusing a kept-alive connection
    at the moment the threaded server drops it sees ERR_CONNECTION_RESET for that file (a page's stylesheet or
    script), which the browser tests count as a console error; with one request per connection there is no
    such race. (Werkzeug switches a threaded server to HTTP/1.1 unless the handler names its own version.)"""

    protocol_version = "HTTP/1.0"


class LiveServer:
    def __init__(self, app: Any, host: str = "127.0.0.1", *, keep_alive: bool = True) -> None:
        self.app = app
        handler = None if keep_alive else OneRequestPerConnection
        self._server: BaseWSGIServer = make_server(host, 0, app, threaded=True, request_handler=handler)
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
