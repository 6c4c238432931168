"""The HTTP API for agencies without Kafka (issue 10): FastAPI, an entry point like the CLI."""

from services.http.app import create_app

__all__ = ["create_app"]
