"""The HTTP API: POST /predict, GET /health (liveness) and GET /ready (readiness).

Run from examples/ml-service:  uvicorn app.main:app --host 0.0.0.0 --port 8000
"""

from __future__ import annotations

import logging
import math
import os
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from .config import Settings
from .logs import configure_logging, install_request_ids
from .metrics import count_predictions, install_metrics
from .model import load_model
from .prediction_log import PredictionLog
from .sagemaker import router as sagemaker_router
from .schemas import ErrorMessage, PredictRequest, PredictResponse, ReadyResponse

logger = logging.getLogger("ml_service")

# A 422 lists at most this many errors, and echoes an input only if it is a short scalar: a bad 60 KB batch
# gets a reply of a few hundred bytes, not its own body back.
MAX_ERRORS = 20
MAX_ECHO_CHARS = 64
_OMIT = object()


def _text(value: str, limit: int = MAX_ECHO_CHARS) -> str:
    # A lone surrogate ("\ud800", valid in JSON, not in UTF-8) would make encoding the reply fail with a 500.
    value = value.encode("utf-8", "backslashreplace").decode("utf-8")
    return value if len(value) <= limit else value[:limit] + "…"


def _echo(value):
    """The part of a bad input that is safe and short enough to send back, or _OMIT."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value if len(str(value)) <= MAX_ECHO_CHARS else _OMIT
    if isinstance(value, float):
        # NaN and infinities, which JSON cannot carry, by their names.
        return value if math.isfinite(value) else str(value)
    if isinstance(value, str):
        return _text(value)
    return _OMIT  # objects, arrays and bytes: unbounded, and possibly nested thousands deep


def _error_item(error: dict) -> dict:
    item = {
        "type": _text(str(error.get("type", "")), 200),
        "loc": [part if isinstance(part, int) else _text(str(part)) for part in error.get("loc", ())],
        "msg": _text(str(error.get("msg", "")), 200),
    }
    if (echoed := _echo(error.get("input"))) is not _OMIT:
        item["input"] = echoed
    ctx = {key: _echo(value) for key, value in (error.get("ctx") or {}).items()}
    if ctx := {key: value for key, value in ctx.items() if value is not _OMIT}:
        item["ctx"] = ctx
    return item


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings.from_env()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        # Fail at start-up, not on the first request: a container without a usable model should exit.
        app.state.model = load_model(settings.model_dir)
        app.state.prediction_log = None
        if settings.mongo_url:
            app.state.prediction_log = PredictionLog(
                settings.mongo_url,
                settings.mongo_db,
                settings.mongo_collection,
                timeout_ms=settings.mongo_timeout_ms,
                backoff_s=settings.mongo_backoff_s,
                backoff_max_s=settings.mongo_backoff_max_s,
                queue_size=settings.log_queue_size,
            )
            logger.info("logging predictions to MongoDB at %s", app.state.prediction_log.hosts)
        else:
            logger.info("MONGO_URL is not set: predictions are not logged")
        logger.info("model %s loaded from %s", app.state.model.version, settings.model_dir)
        yield
        # After uvicorn has finished the requests in flight (SIGTERM): store what is queued, within a bound.
        if app.state.prediction_log is not None:
            app.state.prediction_log.close(settings.log_drain_s)

    # max_body_size: FastAPI answers 413 as soon as Content-Length, or the bytes received so far, exceed it,
    # before the body is read whole.
    app = FastAPI(title="Iris classifier", version="1.0.0", lifespan=lifespan, max_body_size=settings.max_body_bytes)
    app.state.model = None
    app.state.prediction_log = None
    # Operations (app/metrics.py, app/logs.py, app/sagemaker.py): GET /metrics, request ids, /ping + /invocations.
    install_metrics(app)
    install_request_ids(app)
    app.include_router(sagemaker_router)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, error: RequestValidationError) -> JSONResponse:
        # FastAPI's own handler echoes the whole input, which may be huge, nested or not encodable.
        errors = [_error_item(item) for item in error.errors()[:MAX_ERRORS]]
        return JSONResponse({"detail": errors}, status_code=422)

    @app.get("/health")
    async def health() -> dict:
        # Liveness: the process answers. Nothing external, so a database outage never restarts the pod.
        # async: answered on the event loop, so it does not queue behind busy worker threads.
        return {"status": "ok"}

    @app.get(
        "/ready",
        response_model=ReadyResponse,
        responses={503: {"model": ReadyResponse, "description": "Not ready: the reason is in `checks`"}},
    )
    def ready(request: Request) -> JSONResponse:
        # Readiness: send traffic here only when the model is loaded (and writes to the database work, if
        # required). It reads the writer's last result and never waits on the database itself, except at
        # start-up for the writer's first answer.
        checks = {"model": "loaded" if request.app.state.model is not None else "missing"}
        details = {}
        prediction_log = request.app.state.prediction_log
        if prediction_log is None:
            checks["database"] = "not configured"
        else:
            checks["database"] = prediction_log.status(wait_s=settings.mongo_timeout_ms / 1000 + 0.5)
            details["prediction_log"] = {
                "logged": prediction_log.logged,
                "dropped": prediction_log.dropped,
                "queued": prediction_log.queued,
            }
        is_ready = checks["model"] == "loaded" and (
            checks["database"] in ("ok", "not configured") or not settings.ready_requires_db
        )
        body = {"status": "ready" if is_ready else "not ready", "checks": checks, **details}
        return JSONResponse(body, status_code=200 if is_ready else 503)

    @app.post(
        "/predict",
        response_model=PredictResponse,
        responses={
            400: {"model": ErrorMessage, "description": "The body is not JSON text (not UTF-8, nested too deeply)"},
            # Sent by FastAPI's body limit before the route runs: plain text when Content-Length is over the
            # limit, JSON when a streamed (chunked) body grows over it.
            413: {
                "description": f"The body is larger than {settings.max_body_bytes} bytes",
                "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/ErrorMessage"}},
                    "text/plain": {"schema": {"type": "string", "examples": ["Content Too Large"]}},
                },
            },
        },
    )
    def predict(body: PredictRequest, request: Request) -> PredictResponse:
        model = request.app.state.model
        predictions = model.predict(body.instances)
        count_predictions(request, predictions)
        prediction_log = request.app.state.prediction_log
        if prediction_log is not None:
            # Only a put on a bounded queue: the writer thread talks to MongoDB, this request never waits for it.
            prediction_log.submit(
                model.version,
                [item.model_dump() for item in body.instances],
                [item.model_dump() for item in predictions],
            )
        return PredictResponse(model_version=model.version, predictions=predictions)

    return app


# One JSON line per log record on stdout, uvicorn's included; without this the service's INFO lines would not
# reach `docker logs`.
configure_logging(os.environ.get("LOG_LEVEL", "INFO"))
app = create_app()
