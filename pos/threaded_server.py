"""A WSGI app served by waitress on a free loopback port in a background thread (tests, benches, local stand-ins)."""

from __future__ import annotations

import threading
from typing import Any


class ThreadedServer:
    """``url`` answers until ``close()``."""

    def __init__(self, app: Any, threads: int = 4) -> None:
        from waitress.server import create_server

        self.app = app
        self.server = create_server(app, host="127.0.0.1", port=0, threads=threads)
        self.url = f"http://127.0.0.1:{self.server.effective_port}"  # type: ignore[union-attr]
        self.closing = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        try:
            self.server.run()
        except (OSError, ValueError):
            # close() shuts the sockets under the loop's select(): a bad descriptor then is the shutdown itself.
            if not self.closing.is_set():
                raise

    def close(self) -> None:
        """Stop listening, drop open connections (so the loop ends now, not at join's timeout), stop the workers."""
        self.closing.set()
        self.server.close()
        for channel in list(self.server._map.values()):  # type: ignore[union-attr]
            channel.handle_close()
        self.server.task_dispatcher.shutdown()  # type: ignore[union-attr]
        self.thread.join(timeout=5)
