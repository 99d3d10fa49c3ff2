"""The house's rules, read from the source with `ast`: no import circles, no production import of
the demo's replicas, and crawler/ and storage/ importing nothing of the other wings."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# Folder -> import name, as pyproject.toml's package-dir maps them.
ROOTS = {"monitor": "remarkwatch", "crawler": "remarkwatch.crawler", "storage": "remarkwatch.storage"}


def _modules() -> dict[str, Path]:
    found = {}
    for folder, name in ROOTS.items():
        for path in (ROOT / folder).rglob("*.py"):
            parts = [p for p in path.relative_to(ROOT / folder).with_suffix("").parts if p != "__init__"]
            found[".".join([name, *parts])] = path
    return found


MODULES = _modules()


def _imports(path: Path) -> set[str]:
    """Every remarkwatch module a file imports, at any depth (imports inside functions count)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {n for n in names if n in MODULES and n.startswith("remarkwatch")}


GRAPH = {module: _imports(path) - {module} for module, path in MODULES.items()}


def _cycle() -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(GRAPH[node]):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for module in sorted(GRAPH):
        if module not in state and (found := visit(module)):
            return found
    return None


def test_no_import_circle():
    # A package importing its own submodule is not a circle of modules: drop package -> child arrows.
    for module in GRAPH:
        GRAPH[module] = {n for n in GRAPH[module] if not n.startswith(module + ".")}
    cycle = _cycle()
    assert cycle is None, "import circle: " + " -> ".join(cycle or [])


def _wing(module: str) -> str:
    for name in ("remarkwatch.crawler", "remarkwatch.storage", "remarkwatch.demo", "remarkwatch.cli"):
        if module == name or module.startswith(name + "."):
            return name
    return "remarkwatch"


@pytest.mark.parametrize("wing, may_import", [
    ("remarkwatch.crawler", {"remarkwatch.crawler"}),
    ("remarkwatch.storage", {"remarkwatch.storage"}),
    ("remarkwatch", {"remarkwatch", "remarkwatch.crawler", "remarkwatch.storage"}),   # no demo, no cli (but __main__)
])
def test_wings_import_only_downward(wing, may_import):
    wrong = sorted(f"{module} imports {target}" for module, targets in GRAPH.items()
                   if _wing(module) == wing and module != "remarkwatch.__main__"
                   for target in targets if _wing(target) not in may_import)
    assert not wrong, wrong


ROW_WRITERS = {"insert_capture", "insert_version", "insert_change", "insert_turns", "create_document", "put_blob",
               "link_capture"}


def test_only_the_record_wing_writes_captures_documents_versions_and_changes():
    """One road into the archive: every other wing records through record.record()."""
    wrong = []
    for module, path in MODULES.items():
        if module.startswith(("remarkwatch.record", "remarkwatch.storage")):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in ROW_WRITERS:
                wrong.append(f"{path.relative_to(ROOT)}:{node.lineno} calls {node.func.attr}")
    assert not wrong, wrong


def _sql_calls(path: Path) -> list[int]:
    """Lines that hand SQL text to a connection (execute/executescript/query with a string)."""
    lines = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and node.func.attr in ("execute", "executemany", "executescript", "query") and node.args \
                and isinstance(node.args[0], (ast.Constant, ast.JoinedStr, ast.BinOp)):
            lines.append(node.lineno)
    return lines


def test_sql_lives_only_in_storage():
    wrong = [f"{path.relative_to(ROOT)}:{line}" for module, path in MODULES.items()
             if not module.startswith("remarkwatch.storage") for line in _sql_calls(path)]
    assert not wrong, f"SQL outside storage/: {wrong}"


def test_commands_that_do_not_crawl_never_import_scrapy():
    """`status`, `changes`, `check-config` and the rest start in a third of a second: the CLI and the
    configuration import Scrapy (0.4 s) only when a crawl asks for it."""
    import subprocess
    import sys

    probe = "import sys, remarkwatch.cli.main; print(sorted({m.split('.')[0] for m in sys.modules} & {'scrapy', 'twisted'}))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.strip() == "[]", done.stdout + done.stderr
