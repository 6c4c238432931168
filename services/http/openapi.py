"""The committed OpenAPI document, ``docs/openapi.json``, generated from the app.

``make openapi`` (= ``python -m services.http.openapi``) writes it; ``tests/unit/test_openapi.py``
fails when the committed document no longer matches :func:`document`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from services.http.app import api_app
from services.settings import Settings

DOCUMENT = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"


def document() -> dict[str, Any]:
    """The OpenAPI 3 document of the HTTP API (settings do not change it)."""
    spec: dict[str, Any] = api_app(Settings(dev_issuer=False)).openapi()
    plain: dict[str, Any] = json.loads(json.dumps(spec))  # as the committed file reads back
    return plain


def main() -> None:
    DOCUMENT.write_text(json.dumps(document(), indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
