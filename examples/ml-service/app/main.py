"""The HTTP API: POST /predict, GET /health (liveness) and GET /ready (readiness).

Run from examples/ml-service:  uvicorn app.main:app --host 0.0.0.0 --port 8000
"""

from __future__ import annotations

import logging
import math
import os
from contextlib import asynccontextmanager

from fastapi import BackgroundTasks, FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from .config import Settings
from .logs import configure_logging, install_request_ids
from .metrics import count_predictions, install_metrics
from .model import load_model
from .prediction_log import PredictionLog
from .sagemaker import router as sagemaker_router
from .schemas import PredictRequest, PredictResponse

logger = logging.getLogger("ml_service")


def _json_safe(value):
    """Replace NaN and infinities, which JSON cannot carry, by their names."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {key: _json_safe(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_json_safe(item) for item in value]
    return value


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
            )
            logger.info("logging predictions to MongoDB at %s", app.state.prediction_log.hosts)
        else:
            logger.info("MONGO_URL is not set: predictions are not logged")
        logger.info("model %s loaded from %s", app.state.model.version, settings.model_dir)
        yield
        if app.state.prediction_log is not None:
            app.state.prediction_log.close()

    app = FastAPI(title="Iris classifier", version="1.0.0", lifespan=lifespan)
    app.state.model = None
    app.state.prediction_log = None
    # Operations (app/metrics.py, app/logs.py, app/sagemaker.py): GET /metrics, request ids, /ping + /invocations.
    install_metrics(app)
    install_request_ids(app)
    app.include_router(sagemaker_router)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, error: RequestValidationError) -> JSONResponse:
        # FastAPI's own handler echoes the bad input; a NaN in it would turn the 422 into a 500.
        return JSONResponse({"detail": _json_safe(jsonable_encoder(error.errors()))}, status_code=422)

    @app.get("/health")
    def health() -> dict:
        # Liveness: the process answers. Nothing external, so a database outage never restarts the pod.
        return {"status": "ok"}

    @app.get("/ready")
    def ready(request: Request) -> JSONResponse:
        # Readiness: send traffic here only when the model is loaded (and the database answers, if required).
        checks = {"model": "loaded" if request.app.state.model is not None else "missing"}
        prediction_log = request.app.state.prediction_log
        if prediction_log is None:
            checks["database"] = "not configured"
        else:
            checks["database"] = "ok" if prediction_log.ping() else "unreachable"
        is_ready = checks["model"] == "loaded" and (
            checks["database"] != "unreachable" or not settings.ready_requires_db
        )
        body = {"status": "ready" if is_ready else "not ready", "checks": checks}
        return JSONResponse(body, status_code=200 if is_ready else 503)

    @app.post("/predict", response_model=PredictResponse)
    def predict(body: PredictRequest, request: Request, background: BackgroundTasks) -> PredictResponse:
        model = request.app.state.model
        predictions = model.predict(body.instances)
        count_predictions(request, predictions)
        prediction_log = request.app.state.prediction_log
        if prediction_log is not None:
            # Runs after the response is sent, so logging never adds latency to the answer.
            background.add_task(
                prediction_log.record,
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
