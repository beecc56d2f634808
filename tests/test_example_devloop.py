"""The development set-up of the example is consistent: the Compose watch rules, the dev container and the
Prometheus scrape target all point at things that exist. (The loop itself runs with a Docker engine; here,
the files are checked against each other, the Compose schema is checked by test_examples_static.py.)
"""

from __future__ import annotations

import json
import re

import yaml
from example_fixtures import EXAMPLE_DIR

DEV = yaml.safe_load((EXAMPLE_DIR / "compose.dev.yaml").read_text())
BASE = yaml.safe_load((EXAMPLE_DIR / "compose.yaml").read_text())
DOCKERFILE = (EXAMPLE_DIR / "Dockerfile.uv").read_text()
DEVCONTAINER = EXAMPLE_DIR / ".devcontainer"


def stage(name: str) -> str:
    match = re.search(rf"^FROM \S+ AS {name}\n(.*?)(?=^FROM |\Z)", DOCKERFILE, re.M | re.S)
    assert match, f"no stage {name!r} in Dockerfile.uv"
    return match.group(1)


def test_watch_rules_sync_code_and_rebuild_on_dependencies():
    api = DEV["services"]["api"]
    assert api["build"] == {"dockerfile": "Dockerfile.uv", "target": "dev"}
    rules = api["develop"]["watch"]
    by_path = {rule["path"]: rule for rule in rules}
    assert by_path["./app"] == {"path": "./app", "target": "/src/app", "action": "sync"}
    assert by_path["./training"]["action"] == "sync+restart"
    assert {path for path, rule in by_path.items() if rule["action"] == "rebuild"} >= {"./uv.lock", "./pyproject.toml"}
    for rule in rules:
        assert (EXAMPLE_DIR / rule["path"]).exists(), rule["path"]


def test_the_environment_is_outside_every_synced_path():
    environment = re.search(r"UV_PROJECT_ENVIRONMENT=(\S+)", DOCKERFILE).group(1)
    assert environment == "/opt/venv"
    targets = [rule["target"] for rule in DEV["services"]["api"]["develop"]["watch"] if "target" in rule]
    mounts = [volume.split(":")[1] for volume in
              yaml.safe_load((DEVCONTAINER / "compose.devcontainer.yaml").read_text())["services"]["api"]["volumes"]]
    for path in targets + mounts:
        assert not environment.startswith(path.rstrip("/") + "/") and path != environment, path
    # And a host .venv is never even in the build context or the watch: .dockerignore is an allow-list.
    ignore = (EXAMPLE_DIR / ".dockerignore").read_text().splitlines()
    assert "*" in ignore and "!.venv/" not in ignore


def test_dev_stage_reloads_from_src_with_the_locked_environment():
    dev = stage("dev")
    assert "MODEL_DIR=/src/artifacts" in dev
    assert "USER app" in dev and "chown -R app:app /src /opt/venv" in dev
    command = " ".join(DEV["services"]["api"]["command"])
    assert "--reload" in command and "--reload-dir app" in command
    # The dev override must lift compose.yaml's read-only root file system, or watch cannot write.
    assert BASE["services"]["api"]["read_only"] is True and DEV["services"]["api"]["read_only"] is False


def test_devcontainer_points_at_real_files_services_and_paths():
    config = json.loads((DEVCONTAINER / "devcontainer.json").read_text())
    known = {"name", "dockerComposeFile", "service", "runServices", "workspaceFolder", "shutdownAction",
             "remoteUser", "updateRemoteUserUID", "forwardPorts", "customizations"}
    assert set(config) <= known, set(config) - known
    services = {}
    for name in config["dockerComposeFile"]:
        path = DEVCONTAINER / name
        assert path.is_file(), name
        services.update(yaml.safe_load(path.read_text())["services"])
    assert config["service"] in services
    assert set(config["runServices"]) <= set(services)
    assert config["workspaceFolder"] == "/src"
    assert config["shutdownAction"] in {"none", "stopCompose"}
    assert re.search(rf"useradd .*--shell /bin/bash {config['remoteUser']}\b", stage("dev"))
    interpreter = config["customizations"]["vscode"]["settings"]["python.defaultInterpreterPath"]
    assert interpreter == "/opt/venv/bin/python"


def test_prometheus_scrapes_the_api_service_on_its_container_port():
    config = yaml.safe_load((EXAMPLE_DIR / "monitoring" / "prometheus.yml").read_text())
    (job,) = config["scrape_configs"]
    assert job["metrics_path"] == "/metrics"
    (target,) = job["static_configs"][0]["targets"]
    host, port = target.split(":")
    assert host in BASE["services"]
    assert any(str(mapping).endswith(f":{port}") for mapping in BASE["services"][host]["ports"])
    prometheus = DEV["services"]["prometheus"]
    assert prometheus["profiles"] == ["monitoring"]
    assert all(port.startswith("127.0.0.1:") for port in prometheus["ports"])
