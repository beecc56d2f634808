"""Prediction logging: against a real MongoDB when MONGO_URL is set, and with the database unreachable."""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid

import pytest
from fastapi.testclient import TestClient
from pymongo import MongoClient

# example_fixtures puts examples/ml-service on sys.path, so it must be imported before `app`.
# isort: off
from example_fixtures import example_artifacts, read_json  # noqa: F401 - fixture
from app.config import Settings
from app.main import create_app
from app.prediction_log import PredictionLog, redacted_hosts
# isort: on

LOGGER = "ml_service.prediction_log"


@pytest.fixture
def mongo_url() -> str:
    url = os.environ.get("MONGO_URL")
    if not url:
        pytest.skip(
            "MONGO_URL is not set: these tests need a real MongoDB, e.g. `docker run -d -p 127.0.0.1:27017:27017 "
            "mongo:8.0.20` then MONGO_URL=mongodb://127.0.0.1:27017 (the example-images workflow provides one)"
        )
    return url


@pytest.fixture
def closed_port_url() -> str:
    """A MongoDB URL, with a password, pointing at a loopback port where nothing listens."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"mongodb://mluser:s3cret-pw@127.0.0.1:{port}/"


def test_predictions_are_logged_to_mongodb(mongo_url, example_artifacts):  # noqa: F811
    database = f"mlservice_test_{uuid.uuid4().hex[:12]}"
    settings = Settings(model_dir=example_artifacts, mongo_url=mongo_url, mongo_db=database)
    checker = MongoClient(mongo_url, serverSelectionTimeoutMS=5000)
    try:
        with TestClient(create_app(settings)) as client:
            ready = client.get("/ready")
            assert ready.status_code == 200, ready.json()
            assert ready.json()["checks"]["database"] == "ok"
            request = read_json("requests/predict.json")
            response = client.post("/predict", json=request)
            assert response.status_code == 200
            # The writer thread inserts in the background; shutdown (leaving the block) writes what is queued.
        documents = list(checker[database]["predictions"].find({}, {"_id": 0}))
        assert len(documents) == 1
        (document,) = documents
        assert document["model_version"] == "iris-logreg-1"
        assert document["instances"] == request["instances"]
        assert document["predictions"] == response.json()["predictions"]
        assert document["created_at"] is not None
    finally:
        checker.drop_database(database)
        checker.close()


def test_service_keeps_answering_with_one_warning_when_mongodb_is_down(
    closed_port_url, example_artifacts, caplog  # noqa: F811
):
    caplog.set_level(logging.INFO, logger=LOGGER)
    settings = Settings(model_dir=example_artifacts, mongo_url=closed_port_url)
    expected = read_json("requests/predict.response.json")
    started = time.monotonic()
    with TestClient(create_app(settings)) as client:
        for _ in range(10):
            response = client.post("/predict", json=read_json("requests/predict.json"))
            assert response.status_code == 200
            assert response.json() == expected
        elapsed = time.monotonic() - started
    # Held in the queue while the database is down; counted as dropped at shutdown.
    dropped = client.app.state.prediction_log.dropped

    warnings = [r for r in caplog.records if r.name == LOGGER and r.levelno >= logging.WARNING]
    # One line when the database is found down, one at shutdown saying how many predictions were not logged.
    assert len(warnings) == 2, [r.getMessage() for r in warnings]
    assert "shutting down with 10 predictions not logged" in warnings[1].getMessage()
    message = warnings[0].getMessage()
    assert "unreachable" in message and "still served" in message
    assert warnings[0].exc_info is None, "a warning, not a stack trace"
    assert "s3cret-pw" not in caplog.text, "the password in MONGO_URL must never be logged"
    assert dropped == 10
    # No request waits for the database: they only queue a document for the writer thread.
    assert elapsed < 5, f"10 requests took {elapsed:.1f} s"


def test_ready_reports_an_unreachable_database(closed_port_url, example_artifacts):  # noqa: F811
    settings = Settings(model_dir=example_artifacts, mongo_url=closed_port_url)
    with TestClient(create_app(settings)) as client:
        ready = client.get("/ready")
        assert ready.status_code == 503
        assert ready.json() == {
            "status": "not ready",
            "checks": {"model": "loaded", "database": "unreachable"},
            "prediction_log": {"logged": 0, "dropped": 0, "queued": 0},
        }
        assert client.get("/health").status_code == 200, "liveness must not depend on the database"

    relaxed = Settings(model_dir=example_artifacts, mongo_url=closed_port_url, ready_requires_db=False)
    with TestClient(create_app(relaxed)) as client:
        ready = client.get("/ready")
        assert ready.status_code == 200
        assert ready.json()["checks"]["database"] == "unreachable"


def test_requests_never_wait_for_a_database_that_is_down(closed_port_url, caplog):
    caplog.set_level(logging.INFO, logger=LOGGER)
    log = PredictionLog(closed_port_url, "db", "predictions", timeout_ms=200, backoff_s=0.5, queue_size=3)
    try:
        started = time.monotonic()
        results = [log.submit("v", [], []) for _ in range(10)]
        assert time.monotonic() - started < 0.05, "submitting only queues, it never waits for the server"
        assert results.count(False) >= 6, "beyond the queue's bound predictions are dropped"
        assert log.status(wait_s=2) == "unreachable"
    finally:
        log.close(drain_s=0.5)
    assert log.dropped == 10 and log.logged == 0
    assert len([r for r in caplog.records if "unreachable" in r.getMessage()]) == 1


def test_log_lines_never_contain_credentials():
    assert redacted_hosts("mongodb://user:pw@db:27017,db2/?replicaSet=rs0") == "db:27017,db2:27017"
    assert "pw" not in redacted_hosts("not a url user:pw@")
