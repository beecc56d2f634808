"""A MongoDB that misbehaves on purpose, for the tests and the benchmark: no real server needed.

mockupdb (from PyPI) speaks MongoDB's wire protocol; the handler below decides how each command is answered:
  slow       answers ping at once, acks each insert after `delay_s` (a loaded or distant server)
  half-open  answers ping at once, never answers an insert (a primary that lost its disks, a stuck proxy)
  down       hangs up on every insert, as a server that crashed or restarts does
  ok         answers everything at once
`silent_port()` is the other failure: a port that accepts connections and never says a word.
"""

from __future__ import annotations

import socket
import threading
import time

from mockupdb import MockupDB


class MongoStub:
    def __init__(self, mode: str = "ok", delay_s: float = 0.3) -> None:
        self.mode = mode
        self.delay_s = delay_s
        self.inserted: list[dict] = []
        self.insert_times: list[float] = []
        self._released = threading.Event()
        # maxWireVersion 21 is MongoDB 7.0: new enough for any current PyMongo.
        self._server = MockupDB(auto_ismaster={"maxWireVersion": 21}, verbose=False)
        self._server.autoresponds(self._handle)

    def _handle(self, request) -> bool:
        name = request.command_name
        if name in ("ping", "endSessions"):
            return request.ok()
        if name == "insert":
            self.insert_times.append(time.monotonic())
            if self.mode == "down":
                return request.hangup()
            if self.mode == "half-open":
                # Hold the request without an answer; released at stop() so the server's thread can end.
                self._released.wait()
                return True
            if self.mode == "slow":
                time.sleep(self.delay_s)
            documents = request.doc.get("documents", [])
            self.inserted.extend(documents)
            return request.ok(n=len(documents))
        return False  # not handled here: the hello handshake falls through to auto_ismaster

    def attempt_times(self, gap_s: float = 0.1) -> list[float]:
        """When the client tried to insert: the driver retries a write once at once, so one attempt may be two."""
        attempts: list[float] = []
        for moment in self.insert_times:
            if not attempts or moment - attempts[-1] > gap_s:
                attempts.append(moment)
        return attempts

    def start(self) -> str:
        self._server.run()
        return self._server.uri

    def stop(self) -> None:
        self._released.set()
        self._server.stop()

    def __enter__(self) -> "MongoStub":
        self.uri = self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


class SilentPort:
    """A listening socket that never accepts: connections complete in the kernel's backlog, then nothing."""

    def __enter__(self) -> str:
        self._socket = socket.socket()
        self._socket.bind(("127.0.0.1", 0))
        self._socket.listen(64)
        return f"mongodb://127.0.0.1:{self._socket.getsockname()[1]}/"

    def __exit__(self, *exc) -> None:
        self._socket.close()
