"""Prediction logging under database trouble, against a MongoDB wire-protocol stub (mockupdb): no server needed.

Each case checks behaviour, not speed: a request never waits for a database that takes 300 ms, or forever, to
answer; drops are counted; the back-off grows once per attempt; logging resumes by itself; /ready tells whether
writes work. Time bounds below are generous ceilings (ten times what the code needs), not measurements.
"""

from __future__ import annotations

import logging
import time

from fastapi.testclient import TestClient

# example_fixtures puts examples/ml-service on sys.path, so it must be imported before `app`.
# isort: off
from example_fixtures import example_artifacts, read_json  # noqa: F401 - fixture
from app.config import Settings
from app.main import create_app
from benchmarks.mongo_stub import MongoStub, SilentPort
# isort: on

LOGGER = "ml_service.prediction_log"
REQUEST = read_json("requests/predict.json")


def wait_until(condition, timeout_s: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


def make_client(artifacts, url, **settings):
    settings.setdefault("mongo_timeout_ms", 200)
    return TestClient(create_app(Settings(model_dir=artifacts, mongo_url=url, **settings)))


def test_a_slow_database_never_delays_a_request(example_artifacts):  # noqa: F811
    with MongoStub("slow", delay_s=0.5) as db, make_client(example_artifacts, db.uri) as client:
        started = time.monotonic()
        for _ in range(20):
            assert client.post("/predict", json=REQUEST).status_code == 200
        elapsed = time.monotonic() - started
        # Waiting for each 500 ms ack would take 10 s; queued, the 20 answers need a few milliseconds each.
        assert elapsed < 5, f"20 requests took {elapsed:.1f} s: they waited for the database"
        log = client.app.state.prediction_log
        assert wait_until(lambda: log.logged == 20, timeout_s=15), (log.logged, log.dropped)
        assert log.dropped == 0
        ready = client.get("/ready").json()
        assert ready["checks"]["database"] == "ok"
        assert ready["prediction_log"] == {"logged": 20, "dropped": 0, "queued": 0}
    document = db.inserted[0]
    assert document["model_version"] == "iris-logreg-1"
    assert document["instances"] == REQUEST["instances"]
    assert document["predictions"] == read_json("requests/predict.response.json")["predictions"]


def test_a_full_queue_drops_and_counts_instead_of_waiting(example_artifacts, caplog):  # noqa: F811
    caplog.set_level(logging.INFO, logger=LOGGER)
    with MongoStub("half-open") as db, make_client(example_artifacts, db.uri, log_queue_size=5) as client:
        for _ in range(30):
            assert client.post("/predict", json=REQUEST).status_code == 200
        assert client.get("/health").json() == {"status": "ok"}
        log = client.app.state.prediction_log
        # The writer is stuck on its first batch (a prediction or two), the queue holds 5: the rest is dropped.
        assert isinstance(log.dropped, int) and log.dropped >= 20, log.dropped
        assert client.get("/ready").json()["prediction_log"]["dropped"] == log.dropped
    full = [r for r in caplog.records if "queue is full" in r.getMessage()]
    assert len(full) == 1, "one warning for a full queue, not one per dropped prediction"


def test_a_half_open_database_is_not_ready_although_ping_answers(example_artifacts, caplog):  # noqa: F811
    caplog.set_level(logging.INFO, logger=LOGGER)
    with MongoStub("half-open") as db, make_client(example_artifacts, db.uri, mongo_timeout_ms=500) as client:
        assert client.get("/ready").json()["checks"]["database"] == "ok", "ping answers at once"
        started = time.monotonic()
        assert client.post("/predict", json=REQUEST).status_code == 200
        assert time.monotonic() - started < 1.5, "the request does not wait for the insert that never ends"
        # The insert times out (4 x 500 ms); from then on /ready tells the truth although ping still answers.
        assert wait_until(lambda: client.get("/ready").status_code == 503, timeout_s=10)
        ready = client.get("/ready").json()
        assert ready["checks"]["database"] == "unreachable"
        # Not dropped yet: the writer keeps the batch for its next attempt.
        assert ready["prediction_log"] == {"logged": 0, "dropped": 0, "queued": 1}
        for _ in range(5):
            client.get("/ready")
        warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1 and "refuses writes" in warnings[0].getMessage(), [r.getMessage() for r in warnings]
    assert not [r for r in caplog.records if "reachable again" in r.getMessage()], "no flapping on /ready calls"


def test_a_silent_database_never_delays_a_request(example_artifacts):  # noqa: F811
    with SilentPort() as url, make_client(example_artifacts, url, mongo_timeout_ms=500) as client:
        started = time.monotonic()
        for _ in range(20):
            assert client.post("/predict", json=REQUEST).status_code == 200
            assert client.get("/health").status_code == 200
        # Waiting for the 500 ms timeout each would take 10 s.
        assert time.monotonic() - started < 5
        ready = client.get("/ready")
        assert ready.status_code == 503 and ready.json()["checks"]["database"] == "unreachable"


def test_logging_resumes_by_itself_when_the_database_returns(example_artifacts, caplog):  # noqa: F811
    caplog.set_level(logging.INFO, logger=LOGGER)
    with MongoStub("down") as db, make_client(example_artifacts, db.uri, mongo_backoff_s=0.2) as client:
        log = client.app.state.prediction_log
        for _ in range(3):
            assert client.post("/predict", json=REQUEST).status_code == 200
        assert wait_until(lambda: log.status() == "unreachable")
        db.mode = "ok"
        # No /ready call from here on: the writer retries on its own after the back-off.
        for _ in range(3):
            assert client.post("/predict", json=REQUEST).status_code == 200
        assert wait_until(lambda: log.logged >= 3, timeout_s=15), (log.logged, log.dropped)
        assert log.status() == "ok"
    messages = [r.getMessage() for r in caplog.records if r.name == LOGGER]
    assert sum("refuses writes" in m for m in messages) == 1, messages
    assert sum("reachable again" in m for m in messages) == 1, messages


def test_the_back_off_grows_once_per_attempt_not_per_failed_prediction(example_artifacts, caplog):  # noqa: F811
    caplog.set_level(logging.INFO, logger=LOGGER)
    with MongoStub("down") as db, make_client(example_artifacts, db.uri, mongo_backoff_s=0.2) as client:
        for _ in range(10):
            client.post("/predict", json=REQUEST)
        time.sleep(2)
        attempts = db.attempt_times()
    # Attempts at about 0, 0.2, 0.6 and 1.4 s (back-off 0.2, 0.4, 0.8): the wait doubles per attempt.
    # Doubling per failed prediction (10 of them) would have put the second attempt 100 s away.
    assert 3 <= len(attempts) <= 5, attempts
    gaps = [later - earlier for earlier, later in zip(attempts, attempts[1:], strict=False)]
    assert gaps[0] >= 0.18 and gaps[1] >= 0.36 and gaps[1] < 1.5, gaps
    (warning, shutdown) = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert "shutting down with 10 predictions not logged" in shutdown
    assert "next attempt in 0.2 s" in warning, "the log states the real back-off"


def test_shutdown_writes_what_is_queued(example_artifacts):  # noqa: F811
    with MongoStub("slow", delay_s=0.05) as db:
        with make_client(example_artifacts, db.uri) as client:
            for _ in range(30):
                client.post("/predict", json=REQUEST)
            log = client.app.state.prediction_log
        assert len(db.inserted) == 30 and log.logged == 30 and log.dropped == 0


def test_shutdown_is_bounded_when_the_database_hangs(example_artifacts, caplog):  # noqa: F811
    caplog.set_level(logging.INFO, logger=LOGGER)
    with MongoStub("half-open") as db:
        client = make_client(example_artifacts, db.uri, mongo_timeout_ms=1000, log_drain_s=0.3)
        with client:
            for _ in range(5):
                client.post("/predict", json=REQUEST)
            started = time.monotonic()
        assert time.monotonic() - started < 2, "shutdown waited for the database"
    assert client.app.state.prediction_log.dropped >= 4
    assert any("shutting down with" in r.getMessage() for r in caplog.records)
