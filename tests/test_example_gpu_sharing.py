"""examples/gpu-sharing: the device plugin's configuration inside the ConfigMap is what the GPUs-in-production
page says it is. The ConfigMap itself is checked against the Kubernetes schema by test_examples_static.py;
its `config` value is a YAML document in a string, which that schema cannot see into.
"""
from __future__ import annotations

from pathlib import Path

import yaml

CONFIG_MAP = Path(__file__).resolve().parents[1] / "examples" / "gpu-sharing" / "k8s" / "time-slicing-config.yaml"


def test_time_slicing_config_renames_shares_and_refuses_multi_share_requests():
    config_map = yaml.safe_load(CONFIG_MAP.read_text(encoding="utf-8"))
    assert config_map["kind"] == "ConfigMap"
    plugin = yaml.safe_load(config_map["data"]["config"])
    assert plugin["version"] == "v1"
    slicing = plugin["sharing"]["timeSlicing"]
    # Pods then ask for nvidia.com/gpu.shared, one share each, as the page shows.
    assert slicing["renameByDefault"] is True
    assert slicing["failRequestsGreaterThanOne"] is True
    [resource] = slicing["resources"]
    assert resource["name"] == "nvidia.com/gpu"
    assert isinstance(resource["replicas"], int) and resource["replicas"] > 1
    # Time-slicing and MPS are mutually exclusive in the plugin.
    assert "mps" not in plugin["sharing"]
