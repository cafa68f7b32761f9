"""The pipeline's stages as packages: each imports only from the stages before it (and the shared contract)."""

from __future__ import annotations

import ast
from pathlib import Path

INDEXER = Path(__file__).resolve().parent.parent / "indexer"
# The shared contract (errors, settings, formats, schema, requests, dates) sits under every stage; the web app and
# the CLI are the edges (`wenku serve` starts the web app).
STAGES = ["contract", "ingest", "analysis", "embed", "index", "search", "update", "webapp", "cli"]


def _stage(module: str) -> str:
    parts = module.split(".")
    if parts[0] == "webapp":
        return "webapp"
    return parts[1] if len(parts) > 1 and parts[1] in STAGES else "contract"


def _imports(path: Path) -> list[str]:
    """Absolute names of the indexer and webapp modules a file imports."""
    module = ".".join(path.relative_to(INDEXER.parent).with_suffix("").parts).removesuffix(".__init__")
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = package.split(".")[:len(package.split(".")) - node.level + 1]
            found.append(".".join(base + ([node.module] if node.module else [])))
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.append(node.module)
        elif isinstance(node, ast.Import):
            found.extend(alias.name for alias in node.names)
    return [name for name in found if name.split(".")[0] in ("indexer", "webapp")]


def test_each_stage_imports_only_from_earlier_stages() -> None:
    upward = []
    for path in sorted(INDEXER.rglob("*.py")):
        if path.name == "__main__.py":  # the entry point runs the CLI
            continue
        module = ".".join(path.relative_to(INDEXER.parent).with_suffix("").parts)
        for target in _imports(path):
            if STAGES.index(_stage(target)) > STAGES.index(_stage(module)):
                upward.append(f"{module} imports {target}")
    assert upward == []


def test_the_check_resolves_relative_imports_and_orders_stages() -> None:
    assert "indexer.index.layout" in _imports(INDEXER / "update" / "build.py")  # `from ..index.layout import`
    assert "indexer.errors" in _imports(INDEXER / "ingest" / "decode.py")
    assert STAGES.index(_stage("indexer.search.searcher")) > STAGES.index(_stage("indexer.index.view"))
    assert _stage("indexer.errors") == "contract"
