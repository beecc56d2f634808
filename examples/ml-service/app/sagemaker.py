"""The Amazon SageMaker inference contract: GET /ping and POST /invocations.

SageMaker starts the container as `docker run IMAGE serve`, sends its health checks to /ping and the
requests of InvokeEndpoint to /invocations, both on port 8080 (app/serve.py picks the port). The body is the
same JSON as POST /predict, so one client payload works on every target.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from .metrics import count_predictions
from .schemas import PredictRequest, PredictResponse

router = APIRouter(include_in_schema=False)


@router.get("/ping")
def ping(request: Request) -> Response:
    # 200 once the model is loaded: SageMaker sends traffic to an instance only after /ping succeeds.
    # MongoDB is deliberately not checked: an endpoint keeps serving while a log database is away.
    return Response(status_code=200 if request.app.state.model is not None else 503)


@router.post("/invocations", response_model=PredictResponse)
def invocations(body: PredictRequest, request: Request) -> PredictResponse:
    # Predictions made here are not written to MongoDB: on SageMaker, enable Data Capture in the endpoint
    # configuration to keep requests and responses instead.
    model = request.app.state.model
    predictions = model.predict(body.instances)
    count_predictions(request, predictions)
    return PredictResponse(model_version=model.version, predictions=predictions)
