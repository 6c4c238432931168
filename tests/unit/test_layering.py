"""Dependencies point inward: the domain is pure, and entry points stay apart from services.

Read from the source with :mod:`ast`, so a new module is checked the day it is added."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ENTRY_POINTS = ("services.cli", "services.http", "services.web", "services.__main__")
PRESENTATION = ("typer", "rich", "fastapi", "starlette", "uvicorn", "jinja2")


def modules(package: str) -> Iterator[tuple[str, Path]]:
    for path in sorted((ROOT / package.replace(".", "/")).rglob("*.py")):
        dotted = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        yield dotted.removesuffix(".__init__"), path


def imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def under(name: str, packages: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in packages)


def application_services() -> Iterator[tuple[str, Path]]:
    for name, path in modules("services"):
        if not under(name, ENTRY_POINTS):
            yield name, path


@pytest.mark.parametrize(("name", "path"), list(modules("domain")), ids=lambda v: str(v))
def test_the_domain_imports_no_adapter_service_or_projection(name: str, path: Path) -> None:
    outward = {i for i in imported(path) if under(i, ("adapters", "services", "projections"))}
    assert not outward, f"{name} imports {sorted(outward)}"


@pytest.mark.parametrize(("name", "path"), list(application_services()), ids=lambda v: str(v))
def test_application_services_import_no_typer_rich_or_fastapi(name: str, path: Path) -> None:
    presentation = {i for i in imported(path) if under(i, PRESENTATION)}
    assert not presentation, f"{name} imports {sorted(presentation)}"


@pytest.mark.parametrize(("name", "path"), list(application_services()), ids=lambda v: str(v))
def test_application_services_do_not_reach_into_an_entry_point(name: str, path: Path) -> None:
    entry = {i for i in imported(path) if under(i, ENTRY_POINTS)}
    assert not entry, f"{name} imports {sorted(entry)}"


def test_the_kafka_runtime_is_a_package_of_its_own() -> None:
    runtime = {name for name, _ in modules("services.kafka_runtime")}
    assert {"services.kafka_runtime.relay", "services.kafka_runtime.inbound"} <= runtime
    loose = {p.stem for p in (ROOT / "services").glob("*.py")}
    assert not loose & {"relay", "inbound", "cli", "submit", "render"}


def test_the_check_sees_an_offending_import(tmp_path: Path) -> None:
    module = tmp_path / "bad.py"
    module.write_text("from rich.console import Console\nimport typer\n")
    assert {"rich.console", "typer"} <= imported(module)
