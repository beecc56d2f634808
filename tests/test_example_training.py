"""The example model trains reproducibly and records what it was trained on and with."""

from __future__ import annotations

import json
import platform

import joblib
import numpy as np
import scipy
import sklearn
from example_fixtures import EXAMPLE_DIR, example_artifacts  # noqa: F401 - fixture
from training.train import FEATURE_NAMES, data_sha256, main, train

# sha256 of iris as bundled in scikit-learn, in train.py's canonical byte layout. If this changes, the
# training data changed, and the metrics on the pages and the documented responses must be checked again.
IRIS_SHA256 = "f8662777a9113c9040ca048a9bdd2e9e8f79210a6910807db9e09e01c060871f"


def test_same_data_and_seed_give_same_metrics_and_model(tmp_path, example_artifacts):  # noqa: F811
    first = json.loads((example_artifacts / "metadata.json").read_text())
    second = train(tmp_path / "again")
    assert second["metrics"] == first["metrics"]
    assert second["training_data_sha256"] == first["training_data_sha256"] == IRIS_SHA256
    # Same library versions on the same platform: byte-identical model file.
    assert second["model_sha256"] == first["model_sha256"]


def test_another_seed_changes_the_split_not_the_data(tmp_path, example_artifacts):  # noqa: F811
    first = json.loads((example_artifacts / "metadata.json").read_text())
    other = train(tmp_path / "seed7", seed=7)
    assert other["seed"] == 7
    assert other["training_data_sha256"] == first["training_data_sha256"]
    assert other["model_sha256"] != first["model_sha256"]


def test_metadata_records_versions_data_and_metrics(example_artifacts):  # noqa: F811
    metadata = json.loads((example_artifacts / "metadata.json").read_text())
    assert metadata["model_version"] == "iris-logreg-1"
    assert metadata["dataset"] == "sklearn.datasets.load_iris"
    assert metadata["feature_names"] == FEATURE_NAMES
    assert metadata["target_names"] == ["setosa", "versicolor", "virginica"]
    assert metadata["n_train"] + metadata["n_test"] == 150
    assert metadata["library_versions"] == {
        "python": platform.python_version(),
        "scikit-learn": sklearn.__version__,
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "joblib": joblib.__version__,
    }
    # A floor, not the exact value: it catches a broken pipeline (e.g. labels shuffled) on any platform.
    assert metadata["metrics"]["accuracy"] >= 0.9
    assert metadata["metrics"]["f1_macro"] >= 0.9


def test_artifact_loads_and_predicts(example_artifacts):  # noqa: F811
    model = joblib.load(example_artifacts / "model.joblib")
    assert list(model.predict([[5.1, 3.5, 1.4, 0.2], [7.7, 3.0, 6.1, 2.3]])) == [0, 2]


def test_data_hash_depends_on_values_and_shape():
    features = np.arange(12, dtype=float).reshape(4, 3)
    target = np.array([0, 1, 0, 1])
    base = data_sha256(features, target)
    assert data_sha256(features.astype(np.float32), target) == base  # dtype of the input does not matter
    assert data_sha256(features.reshape(3, 4), target) != base
    changed = features.copy()
    changed[0, 0] = 0.5
    assert data_sha256(changed, target) != base


def test_command_line_entry_point(tmp_path, capsys):
    main(["--output-dir", str(tmp_path), "--seed", "42"])
    printed = json.loads(capsys.readouterr().out)
    assert printed["model_version"] == "iris-logreg-1"
    assert (tmp_path / "model.joblib").is_file()
    assert (tmp_path / "metadata.json").is_file()


def requirement_pins() -> dict[str, str]:
    """The example's requirements.txt as {name: version}; every line must be an exact pin."""
    pins = {}
    for line in (EXAMPLE_DIR / "requirements.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, sep, pinned = line.partition("==")
            assert sep and pinned, f"not an exact pin: {line!r}"
            pins[name.lower()] = pinned
    return pins


def test_requirements_are_exact_pins_and_installed():
    from importlib.metadata import version

    pins = requirement_pins()
    assert {"fastapi", "uvicorn", "pydantic", "scikit-learn", "numpy", "joblib", "pymongo"} <= set(pins)
    # The tests must run what the images run, or a green test says nothing about the images.
    assert {name: version(name) for name in pins} == pins


def test_conda_environment_pins_the_same_versions():
    # Dockerfile.conda and Dockerfile.gpu must run the libraries the tests and the pip image run.
    import yaml

    requirements = requirement_pins()

    environment = yaml.safe_load((EXAMPLE_DIR / "environment.yml").read_text())
    assert environment["channels"] == ["conda-forge"]
    conda, pip = {}, {}
    for dependency in environment["dependencies"]:
        if isinstance(dependency, dict):
            for line in dependency["pip"]:
                name, sep, pinned = line.partition("==")
                assert sep, f"pip line not pinned exactly: {line!r}"
                pip[name.lower()] = pinned
        else:
            name, sep, pinned = dependency.partition("=")
            assert sep and pinned and "*" not in pinned, f"conda package not pinned exactly: {dependency!r}"
            conda[name.lower()] = pinned
    assert not set(conda) & set(pip), "a package from both conda and pip would be installed twice"
    assert {**conda, **pip}.items() >= requirements.items(), "environment.yml differs from requirements.txt"
    # The same interpreter version in the pip image (python:X.Y.Z-slim-...) and the conda images.
    assert f"FROM python:{conda['python']}-slim" in (EXAMPLE_DIR / "Dockerfile").read_text()
