"""Each service image installs only its own package and what it declares (`uv sync --package`), so a
service that imports a library it never declared, or opens a store without the client for the backend
the chart points it at, starts here (the workspace has everything) and crashes in its image. Both were
found by running the images; this keeps them found without building one."""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
# The store clients a service needs whenever it opens that store: the chart runs Weaviate and Neo4j.
BACKEND_EXTRAS = {"somnia_memory_store": "weaviate", "somnia_graph_store": "neo4j"}


def projects() -> dict[str, Path]:
    """Workspace package name -> its folder, for the libraries and services."""
    found = {}
    for pyproject in [*ROOT.glob("libs/*/pyproject.toml"), *ROOT.glob("services/*/pyproject.toml")]:
        found[tomllib.loads(pyproject.read_text())["project"]["name"]] = pyproject.parent
    return found


def requirements(folder: Path) -> list[tuple[str, set[str]]]:
    """(package, extras) for each workspace dependency."""
    declared = tomllib.loads((folder / "pyproject.toml").read_text())["project"].get("dependencies", [])
    out = []
    for line in declared:
        match = re.match(r"([A-Za-z0-9_.-]+)(?:\[([^\]]+)\])?", line)
        assert match, line
        out.append((match.group(1), set((match.group(2) or "").split(",")) - {""}))
    return out


def closure(service: str, known: dict[str, Path]) -> dict[str, set[str]]:
    """Every workspace package the service's install holds, with the extras asked of it anywhere."""
    found: dict[str, set[str]] = {service: set()}
    todo = [service]
    while todo:
        for name, extras in requirements(known[todo.pop()]):
            if name not in known:
                continue
            if name not in found:
                todo.append(name)
            found.setdefault(name, set()).update(extras)
    return found


def imported_somnia_modules(folder: Path) -> set[str]:
    names = set()
    for source in (folder / "src").rglob("*.py"):
        for node in ast.walk(ast.parse(source.read_text())):
            if isinstance(node, ast.Import):
                names.update(a.name.split(".")[0] for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module.split(".")[0])
    return {n for n in names if n.startswith("somnia_")}


SERVICES = sorted(name for name, folder in projects().items() if folder.parent.name == "services")


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_declares_every_library_its_code_imports(service: str) -> None:
    known = projects()
    installed = closure(service, known)
    modules = {n.replace("-", "_") for n in installed}
    missing = {}
    for name in installed:
        unknown = imported_somnia_modules(known[name]) - modules
        if unknown:
            missing[name] = sorted(unknown)
    assert not missing, f"{service}'s image would lack what these import: {missing}"


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_that_opens_a_store_carries_its_backend_client(service: str) -> None:
    installed = closure(service, projects())
    lacking = [
        f"{lib.replace('_', '-')}[{extra}]"
        for lib, extra in BACKEND_EXTRAS.items()
        if lib.replace("_", "-") in installed and extra not in installed[lib.replace("_", "-")]
    ]
    assert not lacking, f"{service} opens these stores without their client: declare {lacking}"
