"""examples/llm: the chat client speaks the OpenAI chat-completions API, and the Compose files and the
Kubernetes manifest hand it the endpoint and model name the pages say they do.

The client runs against a stub server on 127.0.0.1 (port chosen by the OS): no model, no GPU, no network.
"""
from __future__ import annotations

import importlib.util
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml

LLM_DIR = Path(__file__).resolve().parents[1] / "examples" / "llm"
_spec = importlib.util.spec_from_file_location("llm_chat", LLM_DIR / "chat.py")
chat = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(chat)


class _Stub(BaseHTTPRequestHandler):
    """Answers POST /v1/chat/completions like an OpenAI-compatible server; records what it received."""

    received: list[dict] = []
    status = 200
    reply: bytes = b""

    def do_POST(self):  # noqa: N802 - http.server's naming
        length = int(self.headers["Content-Length"])
        type(self).received.append({
            "path": self.path,
            "authorization": self.headers.get("Authorization"),
            "content_type": self.headers.get("Content-Type"),
            "body": json.loads(self.rfile.read(length)),
        })
        self.send_response(type(self).status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(type(self).reply)

    def log_message(self, *args):
        pass


@pytest.fixture
def stub():
    _Stub.received = []
    _Stub.status = 200
    _Stub.reply = json.dumps({"choices": [{"index": 0, "message": {
        "role": "assistant", "content": "A read-only template for containers."}}]}).encode()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Stub)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield _Stub, f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("suffix", ["", "/"])
def test_chat_url_appends_the_chat_completions_path(suffix):
    assert chat.chat_url("http://vllm:8000/v1" + suffix) == "http://vllm:8000/v1/chat/completions"


def test_main_sends_one_user_message_to_the_configured_model(stub, monkeypatch, capsys):
    handler, base_url = stub
    monkeypatch.setenv("LLM_URL", base_url)
    monkeypatch.setenv("LLM_MODEL", "qwen3-0.6b")
    monkeypatch.delenv("LLM_API_KEY_FILE", raising=False)
    assert chat.main(["What", "is", "an", "image?"]) == 0
    assert capsys.readouterr().out == "A read-only template for containers.\n"
    [request] = handler.received
    assert request["path"] == "/v1/chat/completions"
    assert request["content_type"] == "application/json"
    assert request["authorization"] is None
    assert request["body"]["model"] == "qwen3-0.6b"
    assert request["body"]["messages"] == [{"role": "user", "content": "What is an image?"}]
    assert request["body"]["temperature"] == 0


def test_the_api_key_comes_from_a_file_and_goes_in_the_bearer_header(stub, monkeypatch, tmp_path):
    handler, base_url = stub
    key_file = tmp_path / "api_key"
    key_file.write_text("sk-local-123\n", encoding="utf-8")
    monkeypatch.setenv("LLM_API_KEY_FILE", str(key_file))
    assert chat.ask(base_url, "m", "hi", api_key=chat.read_api_key()) == "A read-only template for containers."
    assert handler.received[0]["authorization"] == "Bearer sk-local-123"


def test_missing_configuration_exits_2_without_a_request(monkeypatch, capsys):
    monkeypatch.delenv("LLM_URL", raising=False)
    monkeypatch.setenv("LLM_MODEL", "m")
    assert chat.main([]) == 2
    assert "set LLM_URL" in capsys.readouterr().err


def test_an_http_error_is_reported_with_its_status_and_body(stub, monkeypatch, capsys):
    handler, base_url = stub
    handler.status = 404
    handler.reply = b'{"error": {"message": "The model `nope` does not exist."}}'
    monkeypatch.setenv("LLM_URL", base_url)
    monkeypatch.setenv("LLM_MODEL", "nope")
    assert chat.main(["hi"]) == 1
    err = capsys.readouterr().err
    assert "HTTP 404" in err and "does not exist" in err


def test_an_answer_that_is_not_a_chat_completion_is_reported(stub, monkeypatch, capsys):
    handler, base_url = stub
    handler.reply = b'{"object": "list", "data": []}'
    monkeypatch.setenv("LLM_URL", base_url)
    monkeypatch.setenv("LLM_MODEL", "m")
    assert chat.main(["hi"]) == 1
    assert "did not answer like an OpenAI chat endpoint" in capsys.readouterr().err


def test_an_unreachable_server_is_reported(monkeypatch, capsys):
    # Port 9 on 127.0.0.1 (discard): nothing listens there, the connection is refused at once.
    monkeypatch.setenv("LLM_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("LLM_MODEL", "m")
    assert chat.main(["hi"]) == 1
    assert "cannot reach http://127.0.0.1:9/v1/chat/completions" in capsys.readouterr().err


def _load(name):
    return yaml.safe_load((LLM_DIR / name).read_text(encoding="utf-8"))


def test_model_runner_stack_binds_the_model_to_the_variables_the_client_reads():
    compose = _load("compose.yaml")
    binding = compose["services"]["chat"]["models"]
    assert binding == {"llm": {"endpoint_var": "LLM_URL", "model_var": "LLM_MODEL"}}
    assert set(binding) <= set(compose["models"])


def test_vllm_stack_points_the_client_at_the_served_model_name():
    compose = _load("compose.vllm.yaml")
    vllm, client = compose["services"]["vllm"], compose["services"]["chat"]
    args = vllm["command"]
    served = args[args.index("--served-model-name") + 1]
    assert client["environment"] == {"LLM_URL": "http://vllm:8000/v1", "LLM_MODEL": served}
    assert client["depends_on"]["vllm"]["condition"] == "service_healthy"
    # The token reaches vLLM as a secret file, never as a value in the Compose file.
    assert "HF_TOKEN" not in vllm["environment"]
    assert vllm["environment"]["HF_TOKEN_PATH"] == "/run/secrets/hf_token"
    assert vllm["secrets"] == ["hf_token"]
    assert compose["secrets"]["hf_token"] == {"environment": "HF_TOKEN"}
    # The cache volume is mounted where HF_HOME points.
    assert f"hf-cache:{vllm['environment']['HF_HOME']}" in vllm["volumes"]


def test_vllm_deployment_has_a_gpu_limit_shared_memory_a_model_cache_and_a_startup_probe():
    docs = list(yaml.safe_load_all((LLM_DIR / "k8s" / "vllm.yaml").read_text(encoding="utf-8")))
    kinds = {d["kind"]: d for d in docs}
    assert set(kinds) == {"PersistentVolumeClaim", "Deployment", "Service"}
    pod = kinds["Deployment"]["spec"]["template"]["spec"]
    [container] = pod["containers"]
    assert container["resources"]["limits"]["nvidia.com/gpu"] == 1
    volumes = {v["name"]: v for v in pod["volumes"]}
    mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    assert volumes[mounts["/dev/shm"]]["emptyDir"]["medium"] == "Memory"
    cache = volumes[mounts["/models"]]["persistentVolumeClaim"]["claimName"]
    assert cache == kinds["PersistentVolumeClaim"]["metadata"]["name"]
    env = {e["name"]: e.get("value") for e in container["env"]}
    assert env["HF_HOME"].startswith("/models/")
    assert "HF_TOKEN" not in env
    assert env["HF_TOKEN_PATH"].startswith(next(p for p, n in mounts.items() if n == "hf-token"))
    assert "startupProbe" in container
    assert kinds["Deployment"]["spec"]["strategy"]["type"] == "Recreate"
