"""FastAPI service that serves the example model."""
