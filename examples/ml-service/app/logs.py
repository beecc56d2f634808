"""JSON log lines on stdout, each carrying the id of the request it belongs to.

One object per line is what log collectors (Docker's json-file driver, Fluent Bit, Cloud Logging, CloudWatch)
keep as one record each, and what log stores turn into fields without a custom pattern. The request id comes
from the caller's X-Request-ID header when it sends a sane one (a load balancer or another service, so one id
follows a request across services), else a new one; it is returned in the response's X-Request-ID, so a user
who reports an error can quote it.
"""

from __future__ import annotations

import logging
import re
import sys
import time
import uuid
from contextvars import ContextVar

from fastapi import FastAPI
from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter

request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
# Printable and short: the id is echoed into logs and a response header, so it must not carry newlines or
# another client's data.
_VALID_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")

access_logger = logging.getLogger("ml_service.access")


class _RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        return True


def configure_logging(level: str = "INFO") -> None:
    """Send every logger, uvicorn's included, to stdout as JSON. Call once per process."""
    handler = logging.StreamHandler(sys.stdout)
    handler.addFilter(_RequestIdFilter())
    handler.setFormatter(
        JsonFormatter(
            "{asctime}{levelname}{name}{message}",
            style="{",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            # uvicorn adds a copy of each message with terminal colour codes: noise in a log store.
            reserved_attrs=[*RESERVED_ATTRS, "color_message"],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # uvicorn installs its own plain-text handlers; route its messages through the JSON handler instead.
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).propagate = True
    # The middleware below writes the access line, with the request id and the duration uvicorn's lacks.
    logging.getLogger("uvicorn.access").disabled = True


class _RequestIdMiddleware:
    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        sent = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        rid = sent if _VALID_ID.fullmatch(sent) else uuid.uuid4().hex
        token = request_id.set(rid)
        status = 500
        start, end = time.perf_counter(), None

        async def send_with_id(message):
            nonlocal status, end
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), (b"x-request-id", rid.encode())]
            elif message["type"] == "http.response.body" and not message.get("more_body", False):
                # The answer is complete: stop the clock here, not when the app returns after it.
                end = time.perf_counter()
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            access_logger.info(
                "%s %s %d",
                scope["method"],
                scope["path"],
                status,
                extra={
                    "method": scope["method"],
                    "path": scope["path"],
                    "status": status,
                    "duration_ms": round(((end or time.perf_counter()) - start) * 1000, 2),
                },
            )
            request_id.reset(token)


def install_request_ids(app: FastAPI) -> None:
    app.add_middleware(_RequestIdMiddleware)
