"""Log predictions to MongoDB on one background thread, so the database never slows down or breaks a request."""

from __future__ import annotations

import logging
import queue
import threading
import time
from datetime import datetime, timezone

from pymongo import MongoClient
from pymongo.errors import BulkWriteError, PyMongoError
from pymongo.uri_parser import parse_uri

logger = logging.getLogger("ml_service.prediction_log")

# How often a warning about a full queue may repeat: once a minute says enough, once a request floods the log.
QUEUE_FULL_WARNING_EVERY_S = 60.0


def redacted_hosts(url: str) -> str:
    """The hosts of a MongoDB URL without user name or password, safe to write to a log."""
    try:
        return ",".join(f"{host}:{port}" for host, port in parse_uri(url)["nodelist"])
    except Exception:  # noqa: BLE001 - any parse error: never echo the raw URL, it may hold a password
        return "<unparsable MONGO_URL>"


class PredictionLog:
    """Queues one document per /predict call; a single writer thread inserts them in batches.

    A request only puts its document on a bounded queue and never waits: when the queue is full (the database
    is slower than the traffic, or down) the document is dropped and counted in `dropped`. The writer is the
    only code that talks to the database. After a failed write it keeps the batch, waits a back-off period
    (doubling after each further failed attempt, up to a maximum) and tries the same batch again by itself,
    with nobody calling /ready.
    """

    def __init__(
        self,
        url: str,
        database: str,
        collection: str,
        timeout_ms: int = 500,
        backoff_s: float = 5.0,
        backoff_max_s: float = 300.0,
        queue_size: int = 1000,
        batch_size: int = 100,
    ) -> None:
        self.hosts = redacted_hosts(url)
        # MongoClient connects in the background; constructing it never blocks or fails on a down server.
        # socketTimeoutMS bounds a write to a server that accepted the connection and then went silent.
        self._client: MongoClient = MongoClient(
            url,
            serverSelectionTimeoutMS=timeout_ms,
            connectTimeoutMS=timeout_ms,
            socketTimeoutMS=4 * timeout_ms,
            appname="ml-service",
        )
        self._collection = self._client[database][collection]
        self._backoff_s = backoff_s
        self._backoff_max_s = backoff_max_s
        self._batch_size = batch_size
        self._queue: queue.Queue[dict] = queue.Queue(maxsize=queue_size)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._checked = threading.Event()
        # None until the first round trip; then whether the last write (or, before any write, a ping) worked.
        self._healthy: bool | None = None
        self._current_backoff = backoff_s
        self._retry_at = 0.0
        self._last_full_warning = float("-inf")
        self._pending = 0
        self.logged = 0
        self.dropped = 0
        self._writer = threading.Thread(target=self._run, name="prediction-log-writer", daemon=True)
        self._writer.start()

    # Called on the request path: never blocks, never raises.
    def submit(self, model_version: str, instances: list[dict], predictions: list[dict]) -> bool:
        """Queue one document for the writer; return False (and count a drop) if the queue is full."""
        document = {
            "created_at": datetime.now(timezone.utc),
            "model_version": model_version,
            "instances": instances,
            "predictions": predictions,
        }
        try:
            self._queue.put_nowait(document)
        except queue.Full:
            self._count_dropped(1)
            self._warn_queue_full()
            return False
        return True

    @property
    def queued(self) -> int:
        """Predictions not yet stored: on the queue, or in the batch the writer is trying to insert."""
        with self._lock:
            return self._queue.qsize() + self._pending

    def status(self, wait_s: float = 0.0) -> str:
        """'ok', 'unreachable' or 'connecting' (no answer yet), from the writer's last round trip. No I/O here."""
        self._checked.wait(wait_s)
        with self._lock:
            if self._healthy is None:
                return "connecting"
            return "ok" if self._healthy else "unreachable"

    def close(self, drain_s: float = 5.0) -> None:
        """Stop the writer after it has written what is queued, waiting at most drain_s (bounded shutdown)."""
        self._stop.set()
        self._writer.join(drain_s)
        left = self.queued
        if left:
            self._count_dropped(left)
            logger.warning("shutting down with %d predictions not logged (%d dropped in total)", left, self.dropped)
        self._client.close()

    # Everything below runs on the writer thread only.
    def _run(self) -> None:
        self._check(self._ping)
        batch: list[dict] = []
        while True:
            if self._stop.is_set() and ((not batch and self._queue.empty()) or not self._healthy):
                return
            wait = self._retry_at - time.monotonic()
            if not self._healthy and wait > 0:
                # Back-off: the failed batch waits for the next attempt; new predictions queue up to the bound.
                self._stop.wait(wait)
                continue
            if not batch:
                try:
                    batch.append(self._queue.get(timeout=0.5))
                except queue.Empty:
                    if not self._healthy:
                        # Down since start-up and no traffic to write: a ping tells whether the database is back.
                        self._check(self._ping)
                    continue
            while len(batch) < self._batch_size:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            self._set_pending(len(batch))
            if self._check(lambda: self._insert(batch), wrote=True):
                with self._lock:
                    self.logged += len(batch)
                batch = []
                self._set_pending(0)

    def _insert(self, batch: list[dict]) -> None:
        try:
            self._collection.insert_many(batch, ordered=False)
        except BulkWriteError as error:
            # A retried batch whose first try was stored but not acknowledged: those documents are there already.
            if any(item.get("code") != 11000 for item in error.details.get("writeErrors", [])):
                raise

    def _set_pending(self, count: int) -> None:
        with self._lock:
            self._pending = count

    def _ping(self) -> None:
        self._client.admin.command("ping")

    def _check(self, operation, wrote: bool = False) -> bool:
        try:
            operation()
        except PyMongoError as error:
            self._mark_down(error)
            return False
        finally:
            self._checked.set()
        self._mark_up(wrote)
        return True

    def _mark_down(self, error: PyMongoError) -> None:
        with self._lock:
            if self._healthy is False:
                # One more failed attempt after a back-off period: wait longer before the next one.
                self._current_backoff = min(self._current_backoff * 2, self._backoff_max_s)
                logger.debug("MongoDB at %s still failing (%s); next attempt in %g s",
                             self.hosts, type(error).__name__, self._current_backoff)
            else:
                logger.warning(
                    "MongoDB at %s is unreachable or refuses writes (%s): predictions are still served but not logged; "
                    "next attempt in %g s, then less and less often (up to every %g s)",
                    self.hosts, type(error).__name__, self._current_backoff, self._backoff_max_s,
                )
            self._healthy = False
            self._retry_at = time.monotonic() + self._current_backoff

    def _mark_up(self, wrote: bool) -> None:
        with self._lock:
            if self._healthy is False:
                logger.info("MongoDB at %s is reachable again: logging predictions (%d were not logged)",
                            self.hosts, self.dropped)
            self._healthy = True
            if wrote:
                # Only a write that worked proves the database is back; a ping alone does not reset the back-off.
                self._current_backoff = self._backoff_s

    def _count_dropped(self, count: int) -> None:
        with self._lock:
            self.dropped += count

    def _warn_queue_full(self) -> None:
        now = time.monotonic()
        with self._lock:
            if now - self._last_full_warning < QUEUE_FULL_WARNING_EVERY_S:
                return
            self._last_full_warning = now
            dropped = self.dropped
        logger.warning("prediction log queue is full (MongoDB at %s is slower than the traffic or down): "
                       "dropping predictions, %d so far", self.hosts, dropped)
