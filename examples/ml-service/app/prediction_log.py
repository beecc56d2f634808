"""Log predictions to MongoDB without letting a database outage slow down or break the API."""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime, timezone

from pymongo import MongoClient
from pymongo.errors import PyMongoError
from pymongo.uri_parser import parse_uri

logger = logging.getLogger("ml_service.prediction_log")


def redacted_hosts(url: str) -> str:
    """The hosts of a MongoDB URL without user name or password, safe to write to a log."""
    try:
        return ",".join(f"{host}:{port}" for host, port in parse_uri(url)["nodelist"])
    except Exception:  # noqa: BLE001 - any parse error: never echo the raw URL, it may hold a password
        return "<unparsable MONGO_URL>"


class PredictionLog:
    """Writes one document per /predict call.

    After a failure it stops trying for a back-off period (doubling up to a maximum), so requests made
    meanwhile do not each wait for a server-selection timeout. It warns once when the database becomes
    unreachable and logs once when it is back, instead of a stack trace per request.
    """

    def __init__(
        self,
        url: str,
        database: str,
        collection: str,
        timeout_ms: int = 500,
        backoff_s: float = 5.0,
        backoff_max_s: float = 300.0,
    ) -> None:
        self.hosts = redacted_hosts(url)
        # MongoClient connects in the background; constructing it never blocks or fails on a down server.
        self._client: MongoClient = MongoClient(
            url,
            serverSelectionTimeoutMS=timeout_ms,
            connectTimeoutMS=timeout_ms,
            socketTimeoutMS=max(timeout_ms, 2000),
            appname="ml-service",
        )
        self._collection = self._client[database][collection]
        self._backoff_s = backoff_s
        self._backoff_max_s = backoff_max_s
        self._lock = threading.Lock()
        self._healthy = True
        self._current_backoff = backoff_s
        self._retry_at = 0.0
        self.dropped = 0

    def _mark_down(self, error: PyMongoError) -> None:
        with self._lock:
            if self._healthy:
                logger.warning(
                    "MongoDB at %s is unreachable (%s): predictions are still served but not logged; "
                    "retrying in %.0f s",
                    self.hosts,
                    type(error).__name__,
                    self._current_backoff,
                )
            else:
                self._current_backoff = min(self._current_backoff * 2, self._backoff_max_s)
            self._healthy = False
            self._retry_at = time.monotonic() + self._current_backoff

    def _mark_up(self) -> None:
        with self._lock:
            if not self._healthy:
                logger.info("MongoDB at %s is reachable again: logging predictions (%d were not logged)",
                            self.hosts, self.dropped)
            self._healthy = True
            self._current_backoff = self._backoff_s

    def _in_backoff(self) -> bool:
        with self._lock:
            return not self._healthy and time.monotonic() < self._retry_at

    def record(self, model_version: str, instances: list[dict], predictions: list[dict]) -> bool:
        """Insert one document; return whether it was stored. Never raises for database errors."""
        if self._in_backoff():
            self._count_dropped()
            return False
        document = {
            "created_at": datetime.now(timezone.utc),
            "model_version": model_version,
            "instances": instances,
            "predictions": predictions,
        }
        try:
            self._collection.insert_one(document)
        except PyMongoError as error:
            self._count_dropped()
            self._mark_down(error)
            return False
        self._mark_up()
        return True

    def _count_dropped(self) -> None:
        with self._lock:
            self.dropped += 1

    def ping(self) -> bool:
        """Readiness check: a real round trip to the server, bounded by the short timeout."""
        try:
            self._client.admin.command("ping")
        except PyMongoError as error:
            self._mark_down(error)
            return False
        self._mark_up()
        return True

    def close(self) -> None:
        self._client.close()
