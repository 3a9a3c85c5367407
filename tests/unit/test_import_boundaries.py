"""Imports point one way: app.py (the composition root) sits above every package and none of
them imports it back; and no module reaches into a library's private modules where a public
API does the job (openai's structured output)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from pydantic import BaseModel

from prompts.llm_client import response_format

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("bot", "handlers", "scoring", "storage", "prompts")


def _imports(path: Path) -> Iterator[tuple[int, str]]:
    """(line, module) for every import in a file, lazy ones inside functions too."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            yield from ((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module


def _package_modules() -> list[Path]:
    modules = [p for package in PACKAGES for p in (ROOT / package).rglob("*.py")]
    assert len(modules) > 100  # the scan found the code (a wrong ROOT would pass vacuously)
    return modules


def test_no_package_imports_the_composition_root() -> None:
    offenders = [
        f"{path.relative_to(ROOT)}:{line} imports {module}"
        for path in _package_modules()
        for line, module in _imports(path)
        if module == "app" or module.startswith("app.")
    ]
    assert offenders == []


def test_no_private_openai_module_is_imported() -> None:
    offenders = [
        f"{path.relative_to(ROOT)}:{line} imports {module}"
        for path in [*_package_modules(), ROOT / "app.py"]
        for line, module in _imports(path)
        if module.startswith("openai.") and any(part.startswith("_") for part in module.split("."))
    ]
    assert offenders == []


class _Step(BaseModel):
    text: str
    minutes: int | None


class _Plan(BaseModel):
    title: str
    steps: list[_Step]


def test_the_response_format_is_a_strict_schema() -> None:
    """OpenAI's strict mode needs every property required and no additional properties, nested
    models included; a plain `model_json_schema()` has neither, and the server refuses it."""
    fmt = response_format(_Plan)
    assert fmt["type"] == "json_schema"
    spec = fmt["json_schema"]
    assert spec["name"] == "_plan" and spec.get("strict") is True
    schema = spec.get("schema", {})
    objects = [schema, *dict(schema.get("$defs", {})).values()]  # type: ignore[call-overload]
    assert len(objects) == 2  # _Plan and _Step
    for obj in objects:
        assert obj["additionalProperties"] is False
        assert sorted(obj["required"]) == sorted(obj["properties"])
