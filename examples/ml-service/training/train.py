"""Train the example model reproducibly and save it with its metadata.

The data ships inside scikit-learn (the iris data set), so training needs no network and gives the same
result on every machine that has the same pinned library versions.

Run from examples/ml-service:  python -m training.train --output-dir artifacts
"""

from __future__ import annotations

import argparse
import hashlib
import json
import platform
from pathlib import Path

import joblib
import numpy as np
import scipy
import sklearn
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

MODEL_VERSION = "iris-logreg-1"
MODEL_FILE = "model.joblib"
METADATA_FILE = "metadata.json"
DEFAULT_SEED = 42
# The API uses these names for the input fields; iris' own names ("sepal length (cm)") are not identifiers.
FEATURE_NAMES = ["sepal_length", "sepal_width", "petal_length", "petal_width"]


def data_sha256(features: np.ndarray, target: np.ndarray) -> str:
    """Hash the training data in a fixed byte layout, so the hash changes only when the data does."""
    digest = hashlib.sha256()
    for array, dtype in ((features, "<f8"), (target, "<i8")):
        canonical = np.ascontiguousarray(array, dtype=dtype)
        digest.update(str(canonical.shape).encode())
        digest.update(canonical.tobytes())
    return digest.hexdigest()


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def train(output_dir: Path, seed: int = DEFAULT_SEED) -> dict:
    """Train, evaluate and save the model; return the metadata that was written next to it."""
    iris = load_iris()
    features, target = iris.data, iris.target
    x_train, x_test, y_train, y_test = train_test_split(
        features, target, test_size=0.25, random_state=seed, stratify=target
    )
    # Scaling inside the pipeline means the service sends raw centimetres and gets the same transform.
    model = Pipeline(
        [
            ("scale", StandardScaler()),
            ("classify", LogisticRegression(max_iter=1000, random_state=seed)),
        ]
    )
    model.fit(x_train, y_train)
    predicted = model.predict(x_test)

    output_dir.mkdir(parents=True, exist_ok=True)
    model_path = output_dir / MODEL_FILE
    joblib.dump(model, model_path)

    metadata = {
        "model_version": MODEL_VERSION,
        "model_file": MODEL_FILE,
        "model_sha256": file_sha256(model_path),
        "dataset": "sklearn.datasets.load_iris",
        "training_data_sha256": data_sha256(features, target),
        "seed": seed,
        "n_train": int(len(y_train)),
        "n_test": int(len(y_test)),
        "feature_names": FEATURE_NAMES,
        "target_names": [str(name) for name in iris.target_names],
        "metrics": {
            "accuracy": round(float(accuracy_score(y_test, predicted)), 6),
            "f1_macro": round(float(f1_score(y_test, predicted, average="macro")), 6),
        },
        "library_versions": {
            "python": platform.python_version(),
            "scikit-learn": sklearn.__version__,
            "numpy": np.__version__,
            "scipy": scipy.__version__,
            "joblib": joblib.__version__,
        },
    }
    (output_dir / METADATA_FILE).write_text(json.dumps(metadata, indent=2) + "\n", encoding="utf-8")
    return metadata


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output-dir", type=Path, default=Path("artifacts"))
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = parser.parse_args(argv)
    metadata = train(args.output_dir, args.seed)
    print(json.dumps({"model_version": metadata["model_version"], "metrics": metadata["metrics"]}))


if __name__ == "__main__":
    main()
