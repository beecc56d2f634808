"""Load the trained model and turn validated requests into predictions."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import joblib
import numpy as np
import sklearn

from .schemas import IrisFeatures, Prediction


class ModelLoadError(RuntimeError):
    pass


@dataclass
class LoadedModel:
    estimator: object
    metadata: dict

    @property
    def version(self) -> str:
        return self.metadata["model_version"]

    def predict(self, instances: list[IrisFeatures]) -> list[Prediction]:
        names = self.metadata["feature_names"]
        features = np.array([[getattr(item, name) for name in names] for item in instances], dtype=float)
        probabilities = self.estimator.predict_proba(features)
        labels = self.metadata["target_names"]
        results = []
        for row in probabilities:
            class_id = int(np.argmax(row))
            results.append(
                Prediction(
                    label=labels[class_id],
                    class_id=class_id,
                    # Rounded: more digits are noise, and they differ between CPUs and BLAS builds.
                    probabilities={label: round(float(p), 3) for label, p in zip(labels, row, strict=True)},
                )
            )
        return results


def load_model(model_dir: Path) -> LoadedModel:
    """Load model.joblib after checking it is the file, and the library version, that training recorded."""
    metadata_path = model_dir / "metadata.json"
    if not metadata_path.is_file():
        raise ModelLoadError(f"{metadata_path} not found: run `python -m training.train --output-dir {model_dir}`")
    metadata = json.loads(metadata_path.read_text(encoding="utf-8"))
    model_path = model_dir / metadata["model_file"]
    # joblib files are pickles, and unpickling runs code: only load the exact file training produced.
    actual = hashlib.sha256(model_path.read_bytes()).hexdigest()
    if actual != metadata["model_sha256"]:
        raise ModelLoadError(f"{model_path} has sha256 {actual}, metadata.json expects {metadata['model_sha256']}")
    trained_with = metadata["library_versions"]["scikit-learn"]
    if trained_with != sklearn.__version__:
        raise ModelLoadError(
            f"model trained with scikit-learn {trained_with}, this environment has {sklearn.__version__}"
        )
    return LoadedModel(estimator=joblib.load(model_path), metadata=metadata)
