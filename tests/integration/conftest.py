"""Fixtures for tests on the stores: the head teacher's case, raw rows for tampering."""

from __future__ import annotations

from collections.abc import Iterator
from uuid import UUID

import pytest

from services.bootstrap import Backbone
from services.demo.runner import run_script
from services.demo.stories import STORIES
from tests.integration.tamper import RawRows


@pytest.fixture
def head_teacher_case(backbone: Backbone) -> UUID:
    """The head teacher's story, stored; its case id."""
    return run_script(backbone.commands, STORIES[0]()).script.case_id


@pytest.fixture
def rows(backbone: Backbone) -> Iterator[RawRows]:
    """Direct SQL on the store's tables, as someone tampering with the database would use."""
    raw = RawRows(backbone.settings)
    yield raw
    raw.close()
