"""The example API answers valid and invalid requests correctly, with the real trained model."""

from __future__ import annotations

import json
import logging
import shutil

import pytest
from fastapi.testclient import TestClient

# example_fixtures puts examples/ml-service on sys.path, so it must be imported before `app`.
# isort: off
from example_fixtures import EXAMPLE_DIR, example_artifacts, read_json  # noqa: F401 - fixture
from app.config import Settings
from app.main import MAX_ECHO_CHARS, MAX_ERRORS, create_app
from app.model import ModelLoadError
from app.schemas import MAX_BATCH_SIZE
# isort: on

SETOSA = {"sepal_length": 5.1, "sepal_width": 3.5, "petal_length": 1.4, "petal_width": 0.2}


@pytest.fixture(scope="module")
def client(example_artifacts):  # noqa: F811
    with TestClient(create_app(Settings(model_dir=example_artifacts))) as test_client:
        yield test_client


def post_raw(client, body: str):
    return client.post("/predict", content=body, headers={"Content-Type": "application/json"})


def test_documented_request_gets_documented_response(client):
    # The exact bytes the pages tell readers to send with curl -d @requests/predict.json.
    body = (EXAMPLE_DIR / "requests" / "predict.json").read_text()
    response = post_raw(client, body)
    assert response.status_code == 200
    assert response.json() == read_json("requests/predict.response.json")


def test_documented_invalid_request_gets_documented_422(client):
    response = client.post("/predict", json=read_json("requests/predict-invalid.json"))
    assert response.status_code == 422
    assert response.json() == read_json("requests/predict-invalid.response.json")


def test_prediction_shape_and_probabilities(client):
    response = client.post("/predict", json={"instances": [SETOSA]})
    assert response.status_code == 200
    (prediction,) = response.json()["predictions"]
    assert prediction["label"] == "setosa" and prediction["class_id"] == 0
    assert set(prediction["probabilities"]) == {"setosa", "versicolor", "virginica"}
    assert sum(prediction["probabilities"].values()) == pytest.approx(1, abs=0.002)


def test_integers_are_accepted_as_numbers(client):
    response = client.post("/predict", json={"instances": [dict(SETOSA, sepal_length=5)]})
    assert response.status_code == 200


def test_full_batch_is_accepted(client):
    response = client.post("/predict", json={"instances": [SETOSA] * MAX_BATCH_SIZE})
    assert response.status_code == 200
    assert len(response.json()["predictions"]) == MAX_BATCH_SIZE


def with_field(**change):
    return {"instances": [dict(SETOSA, **change)]}


MISSING_FIELD = {"instances": [{k: v for k, v in SETOSA.items() if k != "petal_width"}]}


@pytest.mark.parametrize(
    ("body", "error_type", "location"),
    [
        pytest.param(with_field(sepal_length="5.1"), "float_type", "sepal_length", id="number-as-string"),
        pytest.param(with_field(sepal_width=True), "float_type", "sepal_width", id="boolean"),
        pytest.param(with_field(petal_length=None), "float_type", "petal_length", id="null"),
        pytest.param(MISSING_FIELD, "missing", "petal_width", id="missing-field"),
        pytest.param(with_field(petal_width=0), "greater_than", "petal_width", id="zero"),
        pytest.param(with_field(petal_width=-1.5), "greater_than", "petal_width", id="negative"),
        pytest.param(with_field(sepal_length=30.5), "less_than_equal", "sepal_length", id="too-large"),
        pytest.param(with_field(colour="blue"), "extra_forbidden", "colour", id="unknown-field"),
        pytest.param({"instances": []}, "too_short", "instances", id="empty-batch"),
        pytest.param({"instances": [SETOSA] * (MAX_BATCH_SIZE + 1)}, "too_long", "instances", id="oversized-batch"),
        pytest.param({"instances": SETOSA}, "list_type", "instances", id="object-not-list"),
        pytest.param({}, "missing", "instances", id="no-instances"),
    ],
)
def test_invalid_input_is_a_clear_422(client, body, error_type, location):
    response = client.post("/predict", json=body)
    assert response.status_code == 422
    errors = response.json()["detail"]
    assert any(e["type"] == error_type and e["loc"][-1] == location for e in errors), errors


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_non_finite_numbers_are_rejected(client, literal):
    # Python's json module (used by the server) accepts these non-standard literals, so the model must not.
    body = json.dumps({"instances": [SETOSA]}).replace("5.1", literal)
    response = post_raw(client, body)
    assert response.status_code == 422
    (error,) = response.json()["detail"]
    assert error["loc"][-1] == "sepal_length"
    assert error["type"] == "finite_number"


def test_malformed_json_is_a_422(client):
    response = post_raw(client, '{"instances": [')
    assert response.status_code == 422
    assert response.json()["detail"][0]["type"] == "json_invalid"


def test_health_and_ready_without_database(client):
    assert client.get("/health").json() == {"status": "ok"}
    ready = client.get("/ready")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "checks": {"model": "loaded", "database": "not configured"}}


def test_not_ready_before_the_model_is_loaded(example_artifacts):  # noqa: F811
    # Without the context manager the start-up (lifespan) does not run, so no model is loaded yet.
    client = TestClient(create_app(Settings(model_dir=example_artifacts)))
    assert client.get("/health").status_code == 200
    ready = client.get("/ready")
    assert ready.status_code == 503
    assert ready.json()["checks"]["model"] == "missing"


def test_start_up_fails_without_a_model(tmp_path):
    with pytest.raises(ModelLoadError, match="training.train"):
        with TestClient(create_app(Settings(model_dir=tmp_path))):
            pass


def test_start_up_refuses_a_tampered_model(tmp_path, example_artifacts):  # noqa: F811
    shutil.copytree(example_artifacts, tmp_path / "artifacts")
    with open(tmp_path / "artifacts" / "model.joblib", "ab") as model_file:
        model_file.write(b"\0")
    with pytest.raises(ModelLoadError, match="sha256"):
        with TestClient(create_app(Settings(model_dir=tmp_path / "artifacts"))):
            pass


def test_start_up_refuses_a_model_from_another_scikit_learn(tmp_path, example_artifacts):  # noqa: F811
    shutil.copytree(example_artifacts, tmp_path / "artifacts")
    metadata_path = tmp_path / "artifacts" / "metadata.json"
    metadata = json.loads(metadata_path.read_text())
    metadata["library_versions"]["scikit-learn"] = "0.0.1"
    metadata_path.write_text(json.dumps(metadata))
    with pytest.raises(ModelLoadError, match="scikit-learn 0.0.1"):
        with TestClient(create_app(Settings(model_dir=tmp_path / "artifacts"))):
            pass


def test_settings_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("MODEL_DIR", "/models/iris")
    monkeypatch.setenv("MONGO_URL", "mongodb://db:27017")
    monkeypatch.setenv("MONGO_TIMEOUT_MS", "250")
    monkeypatch.setenv("READY_REQUIRES_DB", "false")
    settings = Settings.from_env()
    assert str(settings.model_dir) == "/models/iris"
    assert settings.mongo_url == "mongodb://db:27017"
    assert settings.mongo_timeout_ms == 250
    assert settings.ready_requires_db is False
    monkeypatch.setenv("MONGO_URL", "")
    assert Settings.from_env().mongo_url is None


# Malformed bytes: each gets a clear 4xx with a short reply, never a 500 (the TestClient would raise on one).
NESTED_990 = '{"instances": [{"sepal_length": ' + "[" * 990 + "]" * 990 + "}]}"
MALFORMED = [
    pytest.param(b'{"instances": [{"sepal_length": "\\ud800"}]}', "application/json", 422, id="escaped-surrogate-value"),
    pytest.param(b'{"instances": [{"\\ud800": 1}]}', "application/json", 422, id="escaped-surrogate-key"),
    pytest.param(b'{"instances": [{"\xed\xa0\x80": 1}]}', "application/json", 422, id="raw-surrogate-bytes"),
    pytest.param(b'{"instances": [{"\xe9": 1}]}', "application/json", 400, id="latin-1-as-json"),
    pytest.param(b'{"instances": [{"\xe9": 1}]}', "text/plain", 422, id="latin-1-as-text"),
    pytest.param(b"\xff\xfe\x00\xd8", "application/octet-stream", 422, id="binary"),
    pytest.param(b"\xff\xfe\x00\xd8", None, 422, id="binary-without-content-type"),
    pytest.param(b'{"instances": ' + b"[" * 500 + b"]" * 500 + b"}", "application/json", 422, id="nested-500"),
    pytest.param(NESTED_990.encode(), "application/json", 400, id="nested-990"),
    pytest.param(b'{"instances": [{"sepal_length": ' + b"9" * 5000 + b"}]}", "application/json", 400, id="5000-digits"),
]


# /invocations (SageMaker's contract) takes the same body as /predict, so it must refuse the same bytes the same way.
@pytest.mark.parametrize("path", ["/predict", "/invocations"])
@pytest.mark.parametrize(("body", "content_type", "status"), MALFORMED)
def test_malformed_bytes_get_a_clear_4xx(client, caplog, path, body, content_type, status):
    headers = {"Content-Type": content_type} if content_type else {}
    response = client.post(path, content=body, headers=headers)
    assert response.status_code == status, response.text
    assert len(response.content) < 1000
    assert response.json()["detail"]
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING or r.exc_info], "no log lines, no tracebacks"


def test_a_bad_batch_gets_a_short_422(client):
    # 400 bad instances (55 KB): FastAPI's own handler would echo every one of them back.
    bad = {"sepal_length": "x" * 40, "sepal_width": [[1] * 20], "colour": "blue"}
    body = json.dumps({"instances": [bad] * 400})
    assert len(body) > 50_000
    response = post_raw(client, body)
    assert response.status_code == 422
    assert len(response.content) < 500, len(response.content)


def test_errors_are_capped_and_inputs_truncated(client):
    instance = dict(SETOSA, **{f"extra_{i}": "y" * 500 for i in range(50)})
    response = client.post("/predict", json={"instances": [instance]})
    assert response.status_code == 422
    errors = response.json()["detail"]
    assert len(errors) == MAX_ERRORS
    assert all(len(e.get("input", "")) <= MAX_ECHO_CHARS + 1 for e in errors)
    assert errors[0]["input"].endswith("…")


def test_a_body_over_the_limit_is_a_413(client):
    body = json.dumps({"instances": [SETOSA] * 1000})
    assert len(body) > Settings().max_body_bytes
    response = post_raw(client, body)
    assert response.status_code == 413
    assert len(response.content) < 100


def test_openapi_documents_every_status_sent(client):
    paths = client.get("/openapi.json").json()["paths"]
    assert set(paths["/predict"]["post"]["responses"]) == {"200", "400", "413", "422"}
    assert set(paths["/ready"]["get"]["responses"]) == {"200", "503"}


def test_the_mongodb_url_can_come_from_a_secret_file(monkeypatch, tmp_path):
    secret = tmp_path / "mongo-url"
    secret.write_text("mongodb://api:pw@mongo:27017/mlservice\n")
    monkeypatch.setenv("MONGO_URL", "mongodb://ignored")
    monkeypatch.setenv("MONGO_URL_FILE", str(secret))
    assert Settings.from_env().mongo_url == "mongodb://api:pw@mongo:27017/mlservice"
    monkeypatch.setenv("MONGO_URL_FILE", str(tmp_path / "not-mounted"))
    assert Settings.from_env().mongo_url is None
