"""Request and response bodies. Validation happens here, so bad input is a 422 before the model sees it."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

# Large enough for real batches, small enough that one request cannot tie up a worker.
MAX_BATCH_SIZE = 100


class IrisFeatures(BaseModel):
    # strict: the string "5.1" is a client bug, not a number; extra="forbid": a misspelt field is an error.
    model_config = ConfigDict(strict=True, extra="forbid")

    # Iris measurements are a few centimetres: a value outside (0, 30] is a unit mix-up or a typo.
    sepal_length: float = Field(gt=0, le=30, allow_inf_nan=False, description="Sepal length in cm")
    sepal_width: float = Field(gt=0, le=30, allow_inf_nan=False, description="Sepal width in cm")
    petal_length: float = Field(gt=0, le=30, allow_inf_nan=False, description="Petal length in cm")
    petal_width: float = Field(gt=0, le=30, allow_inf_nan=False, description="Petal width in cm")


class PredictRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    instances: list[IrisFeatures] = Field(min_length=1, max_length=MAX_BATCH_SIZE)


class Prediction(BaseModel):
    label: str
    class_id: int
    probabilities: dict[str, float]


class PredictResponse(BaseModel):
    model_version: str
    predictions: list[Prediction]


class ErrorMessage(BaseModel):
    detail: str = Field(examples=["There was an error parsing the body"])


class PredictionLogStatus(BaseModel):
    logged: int = Field(description="Predictions written to MongoDB since start-up")
    dropped: int = Field(description="Predictions not logged: queue full, database failing, or shutdown")
    queued: int = Field(description="Predictions waiting for the writer")


class ReadyResponse(BaseModel):
    status: str = Field(examples=["ready", "not ready"])
    checks: dict[str, str] = Field(examples=[{"model": "loaded", "database": "ok"}])
    prediction_log: PredictionLogStatus | None = None
