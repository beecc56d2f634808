"""Settings from environment variables, so one image runs unchanged on a laptop, in CI and in a cluster."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


def _bool(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _mongo_url(env) -> str | None:
    # MONGO_URL_FILE: the URL (it holds a password) read from a mounted Secret file instead of the environment.
    path = env.get("MONGO_URL_FILE")
    if path:
        file = Path(path)
        # A missing file is an absent optional Secret: serve without logging, as without MONGO_URL.
        return (file.read_text(encoding="utf-8").strip() or None) if file.is_file() else None
    return env.get("MONGO_URL") or None


@dataclass(frozen=True)
class Settings:
    model_dir: Path = Path("artifacts")
    # Unset means "no database": predictions are served and simply not logged.
    mongo_url: str | None = None
    mongo_db: str = "mlservice"
    mongo_collection: str = "predictions"
    # Short, so a request never waits long for a database that is down.
    mongo_timeout_ms: int = 500
    # How long to stop trying after a failure; doubles on each further failure up to mongo_backoff_max_s.
    mongo_backoff_s: float = 5.0
    mongo_backoff_max_s: float = 300.0
    # The largest request body accepted (413 above it). A full batch of 100 flowers is about 10 KB of JSON.
    max_body_bytes: int = 64 * 1024
    # Predictions waiting for the database writer; when full, further ones are dropped (and counted).
    log_queue_size: int = 1000
    # How long shutdown waits for the writer to store what is queued.
    log_drain_s: float = 5.0
    # Whether /ready fails while a configured database is unreachable (see the serving page for the trade-off).
    ready_requires_db: bool = True

    @classmethod
    def from_env(cls) -> "Settings":
        env = os.environ
        return cls(
            model_dir=Path(env.get("MODEL_DIR", "artifacts")),
            mongo_url=_mongo_url(env),
            mongo_db=env.get("MONGO_DB", cls.mongo_db),
            mongo_collection=env.get("MONGO_COLLECTION", cls.mongo_collection),
            mongo_timeout_ms=int(env.get("MONGO_TIMEOUT_MS", cls.mongo_timeout_ms)),
            mongo_backoff_s=float(env.get("MONGO_BACKOFF_S", cls.mongo_backoff_s)),
            mongo_backoff_max_s=float(env.get("MONGO_BACKOFF_MAX_S", cls.mongo_backoff_max_s)),
            max_body_bytes=int(env.get("MAX_BODY_BYTES", cls.max_body_bytes)),
            log_queue_size=int(env.get("LOG_QUEUE_SIZE", cls.log_queue_size)),
            log_drain_s=float(env.get("LOG_DRAIN_S", cls.log_drain_s)),
            ready_requires_db=_bool(env.get("READY_REQUIRES_DB", "true")),
        )
