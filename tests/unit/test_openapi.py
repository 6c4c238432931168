"""The committed OpenAPI document is what the HTTP API generates, with the command schema."""

from __future__ import annotations

import json
import re

from services.commands import COMMAND_MODELS
from services.http.openapi import DOCUMENT, document


def test_the_committed_openapi_document_matches_the_code() -> None:
    committed = json.loads(DOCUMENT.read_text(encoding="utf-8"))
    assert committed == document(), (
        "docs/openapi.json is out of date with the HTTP API: run `make openapi` and commit it"
    )


def test_every_reference_in_the_openapi_document_resolves() -> None:
    doc = document()
    refs = set(re.findall(r'"\$ref": "([^"]+)"', json.dumps(doc)))
    assert refs
    for ref in refs:
        node = doc
        for part in ref.removeprefix("#/").split("/"):
            node = node[part]  # KeyError names the dangling reference


def test_commands_take_every_command_type_and_agency_is_optional() -> None:
    doc = document()
    post = doc["paths"]["/v1/commands"]["post"]
    ref = post["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    union = doc["components"]["schemas"][ref.rpartition("/")[2]]
    assert set(union["discriminator"]["mapping"]) == set(COMMAND_MODELS)
    for name in union["discriminator"]["mapping"].values():
        model = doc["components"]["schemas"][name.rpartition("/")[2]]
        assert "agency" not in model.get("required", [])
    assert {"401", "403", "413", "422"} <= set(post["responses"])
    assert doc["components"]["securitySchemes"]["HTTPBearer"]["bearerFormat"] == "JWT"
