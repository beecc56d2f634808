"""Prometheus metrics on GET /metrics: what the service does, in numbers a dashboard and an alert can use.

create_app calls install_metrics(app) once; /predict calls count_predictions(...) with what it returned.
Each app gets its own registry (not prometheus_client's global one), so two apps in one process, as in
the tests, never count into each other's series.

One registry per process: with several uvicorn workers each worker answers /metrics with its own counts.
Run one worker per container and scale with replicas, or see prometheus_client's multiprocess mode.
"""

from __future__ import annotations

import time

from fastapi import FastAPI, Request, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, InfoMetricFamily

# No `*_created` timestamp series next to every counter and histogram: Prometheus does not need them, and
# they double what every scrape carries.
disable_created_metrics()

# Seconds. /predict answers in milliseconds here; the top buckets catch a stalled worker or a slow database.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
# A client can send any word as the method; anything else is counted as OTHER, so labels stay bounded.
KNOWN_METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}


class _StateCollector:
    """Series read from the app's state at scrape time: the model version and the prediction-log drops."""

    def __init__(self, app: FastAPI) -> None:
        self._app = app

    def collect(self):
        model = getattr(self._app.state, "model", None)
        if model is not None:
            yield InfoMetricFamily("ml_model", "The model this process serves.", value={"version": model.version})
        prediction_log = getattr(self._app.state, "prediction_log", None)
        # No database configured: no series at all, rather than a 0 that reads as "nothing was lost".
        if prediction_log is not None:
            yield CounterMetricFamily(
                "ml_prediction_log_dropped",
                "Predictions served but not written to MongoDB (database down or in back-off).",
                value=prediction_log.dropped,
            )


class _Metrics:
    def __init__(self, app: FastAPI) -> None:
        self.registry = CollectorRegistry()
        ProcessCollector(registry=self.registry)
        PlatformCollector(registry=self.registry)
        self.registry.register(_StateCollector(app))
        labels = ("method", "route", "status")
        self.requests = Counter("http_requests", "HTTP requests answered.", labels, registry=self.registry)
        self.latency = Histogram(
            "http_request_duration_seconds",
            "Time from request to the last byte of the response.",
            labels,
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.predictions = Counter(
            "ml_predictions", "Predictions returned, by predicted class.", ("label",), registry=self.registry
        )


class _MetricsMiddleware:
    """Plain ASGI middleware: times every HTTP request, including the ones that fail validation or raise."""

    def __init__(self, app, metrics: _Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500
        start, end = time.perf_counter(), None

        async def send_and_note_status(message):
            nonlocal status, end
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body" and not message.get("more_body", False):
                # The answer is complete: stop the clock here, not when the app returns after it.
                end = time.perf_counter()
            await send(message)

        try:
            await self.app(scope, receive, send_and_note_status)
        finally:
            # The route's template (/predict), never the raw path: a label per raw path (/items/1, /items/2,
            # any URL a scanner tries) would create a series per URL and exhaust Prometheus' memory.
            route = scope.get("route")
            label = getattr(route, "path", None) or "unmatched"
            method = scope["method"] if scope["method"] in KNOWN_METHODS else "OTHER"
            key = (method, label, str(status))
            self.metrics.requests.labels(*key).inc()
            self.metrics.latency.labels(*key).observe((end or time.perf_counter()) - start)


def install_metrics(app: FastAPI) -> None:
    """Add the timing middleware and GET /metrics to the app."""
    metrics = _Metrics(app)
    app.state.metrics = metrics
    app.add_middleware(_MetricsMiddleware, metrics=metrics)

    @app.get("/metrics", include_in_schema=False)
    def metrics_endpoint() -> Response:
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)


def count_predictions(request: Request, predictions) -> None:
    """Count one /predict answer by predicted label (a handful of classes: a bounded label set)."""
    counter = request.app.state.metrics.predictions
    for prediction in predictions:
        counter.labels(prediction.label).inc()
