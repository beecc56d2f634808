"""Fixtures shared by the tests of examples/ml-service (imported by the test_example_*.py files)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

EXAMPLE_DIR = Path(__file__).resolve().parent.parent / "examples" / "ml-service"
if str(EXAMPLE_DIR) not in sys.path:
    # The example is a plain folder (app/, training/), run from its own directory in the images.
    sys.path.insert(0, str(EXAMPLE_DIR))


def read_json(relative: str):
    return json.loads((EXAMPLE_DIR / relative).read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def example_artifacts(tmp_path_factory) -> Path:
    """The real model, trained once per test session exactly as the Dockerfiles train it."""
    from training.train import train

    output_dir = tmp_path_factory.mktemp("ml-service-artifacts")
    train(output_dir)
    return output_dir
