"""The example's operations surface: /metrics, JSON logs with request ids, the SageMaker and PORT contracts."""

from __future__ import annotations

import io
import json
import logging

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

# example_fixtures puts examples/ml-service on sys.path, so it must be imported before `app`.
# isort: off
from example_fixtures import EXAMPLE_DIR, example_artifacts, read_json  # noqa: F401 - fixture
from app import logs, serve
from app.config import Settings
from app.main import create_app
# isort: on

SETOSA = {"sepal_length": 5.1, "sepal_width": 3.5, "petal_length": 1.4, "petal_width": 0.2}
VIRGINICA = {"sepal_length": 6.7, "sepal_width": 3.0, "petal_length": 5.2, "petal_width": 2.3}


@pytest.fixture
def client(example_artifacts):  # noqa: F811
    # A fresh app per test: each has its own registry, so every count below starts at zero.
    with TestClient(create_app(Settings(model_dir=example_artifacts))) as test_client:
        yield test_client


def scrape(client) -> dict[tuple[str, tuple], float]:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(samples, name, **labels):
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_requests_are_counted_per_route_method_and_status(client):
    for _ in range(3):
        assert client.post("/predict", json={"instances": [SETOSA]}).status_code == 200
    assert client.post("/predict", json={"instances": []}).status_code == 422
    assert client.get("/health").status_code == 200
    assert client.get("/no/such/page").status_code == 404
    samples = scrape(client)
    assert value(samples, "http_requests_total", method="POST", route="/predict", status="200") == 3
    assert value(samples, "http_requests_total", method="POST", route="/predict", status="422") == 1
    assert value(samples, "http_requests_total", method="GET", route="/health", status="200") == 1
    # An unknown URL is one "unmatched" series, not a series per path a scanner tries.
    assert value(samples, "http_requests_total", method="GET", route="unmatched", status="404") == 1
    assert not any("/no/such/page" in str(key) for key in samples)


def test_unknown_methods_share_one_label(client):
    client.request("BREW", "/predict")
    client.request("PURGE", "/health")
    samples = scrape(client)
    methods = {dict(key)["method"] for name, key in samples if name == "http_requests_total"}
    assert methods == {"OTHER"}


def test_latency_histogram_has_one_observation_per_request(client):
    for _ in range(4):
        client.post("/predict", json={"instances": [SETOSA]})
    samples = scrape(client)
    labels = {"method": "POST", "route": "/predict", "status": "200"}
    assert value(samples, "http_request_duration_seconds_count", **labels) == 4
    total = value(samples, "http_request_duration_seconds_sum", **labels)
    assert 0 < total < 4 * 5  # seconds: positive, and not a unit slip into milliseconds
    assert value(samples, "http_request_duration_seconds_bucket", le="+Inf", **labels) == 4
    # Buckets are cumulative: never decreasing with le.
    buckets = sorted(
        (float(dict(key)["le"]), count)
        for (name, key), count in samples.items()
        if name == "http_request_duration_seconds_bucket" and dict(key)["route"] == "/predict"
    )
    counts = [count for _, count in buckets]
    assert counts == sorted(counts)


def test_predictions_are_counted_per_class(client):
    client.post("/predict", json={"instances": [SETOSA, SETOSA, VIRGINICA]})
    client.post("/invocations", json={"instances": [VIRGINICA]})
    samples = scrape(client)
    assert value(samples, "ml_predictions_total", label="setosa") == 2
    assert value(samples, "ml_predictions_total", label="virginica") == 2
    assert value(samples, "ml_predictions_total", label="versicolor") == 0


def test_model_version_is_exposed(client):
    samples = scrape(client)
    version = read_json("requests/predict.response.json")["model_version"]
    assert value(samples, "ml_model_info", version=version) == 1


def test_drop_counter_reads_the_prediction_log(client):
    # Without a database there is nothing to drop: no series, rather than a 0 that reads as "none lost".
    assert not any(name.startswith("ml_prediction_log_dropped") for name, _ in scrape(client))

    class FakeLog:  # stands in for PredictionLog: the collector reads only its `dropped` count
        dropped = 7

    client.app.state.prediction_log = FakeLog()
    try:
        assert value(scrape(client), "ml_prediction_log_dropped_total") == 7
    finally:
        client.app.state.prediction_log = None


def test_two_apps_do_not_share_counts(example_artifacts):  # noqa: F811
    with TestClient(create_app(Settings(model_dir=example_artifacts))) as first, \
            TestClient(create_app(Settings(model_dir=example_artifacts))) as second:
        first.get("/health")
        assert value(scrape(second), "http_requests_total", method="GET", route="/health", status="200") == 0


@pytest.fixture
def json_lines():
    """What the service's JSON handler writes, captured from the real formatter and filter."""
    logs.configure_logging("INFO")
    handler = logging.getLogger().handlers[0]
    buffer = io.StringIO()
    original = handler.setStream(buffer)
    yield lambda: [json.loads(line) for line in buffer.getvalue().splitlines()]
    handler.setStream(original)


def test_request_id_is_returned_and_on_every_log_line(client, json_lines):
    response = client.post("/predict", json={"instances": [SETOSA]})
    rid = response.headers["x-request-id"]
    assert len(rid) == 32 and int(rid, 16) >= 0  # a fresh uuid4, hex
    (access,) = [line for line in json_lines() if line["logger"] == "ml_service.access"]
    assert access["request_id"] == rid
    assert access["status"] == 200 and access["path"] == "/predict" and access["method"] == "POST"
    assert access["duration_ms"] >= 0
    assert {"time", "level", "message"} <= set(access)


def test_caller_request_id_is_honoured(client, json_lines):
    response = client.get("/health", headers={"X-Request-ID": "lb-1234.abc"})
    assert response.headers["x-request-id"] == "lb-1234.abc"
    service_lines = [line for line in json_lines() if line["logger"].startswith("ml_service")]
    assert [line["request_id"] for line in service_lines] == ["lb-1234.abc"]


@pytest.mark.parametrize("bad", ["x" * 200, "has space", "new\nline"], ids=["too-long", "space", "newline"])
def test_unsafe_request_id_is_replaced(client, bad):
    response = client.get("/health", headers={"X-Request-ID": bad.encode("latin-1")})
    assert response.headers["x-request-id"] != bad
    assert len(response.headers["x-request-id"]) == 32


def test_sagemaker_ping_and_invocations(client):
    assert client.get("/ping").status_code == 200
    body = (EXAMPLE_DIR / "requests" / "predict.json").read_text()
    response = client.post("/invocations", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 200
    # The same payload and the same answer as /predict: one client works on every target.
    assert response.json() == read_json("requests/predict.response.json")
    assert client.post("/invocations", json={"instances": []}).status_code == 422


def test_sagemaker_ping_fails_without_a_model(client):
    model, client.app.state.model = client.app.state.model, None
    try:
        assert client.get("/ping").status_code == 503
    finally:
        client.app.state.model = model


@pytest.mark.parametrize(
    ("args", "environ", "port"),
    [
        pytest.param([], {}, 8000, id="default"),
        pytest.param([], {"PORT": "9090"}, 9090, id="cloud-run-PORT"),
        pytest.param([], {"PORT": ""}, 8000, id="empty-PORT"),
        pytest.param(["serve"], {}, 8080, id="sagemaker-serve"),
        pytest.param(["serve"], {"PORT": "9090"}, 8080, id="sagemaker-ignores-PORT"),
    ],
)
def test_port_contract(args, environ, port):
    assert serve.port_for(args, environ) == port


def test_serve_rejects_unknown_arguments(capsys):
    assert serve.main(["train"], {}) == 2
    assert "usage" in capsys.readouterr().err
