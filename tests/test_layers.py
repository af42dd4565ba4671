"""The layers of DESIGN.md, checked by reading every module's imports with `ast`.

- only bot/app.py (the composition root) imports `adapters`;
- an adapter never imports another adapter, nor `bot.store`;
- no import cycle among the modules of bot/ and adapters/;
- no SQL statement outside bot/store/.

Which imports count: every `import`/`from … import` anywhere in a module counts for
the direction rules (a function-level import of `adapters` is still a dependency on
it). The cycle check counts only imports that run when the module is imported: those
at module level, outside `if TYPE_CHECKING:` blocks. Imports inside functions and
TYPE_CHECKING blocks cannot create an import-time cycle, and they are how a module
names a type or defers a heavy import on purpose.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "adapters")

_SQL = re.compile(
    r"^\s*(SELECT\s.+\sFROM\s|INSERT\s+(OR\s+\w+\s+)?INTO\s|UPDATE\s+\w+\s+SET\s|"
    r"DELETE\s+FROM\s|CREATE\s+(TABLE|INDEX|VIRTUAL|TRIGGER|VIEW)\s|PRAGMA\s+\w+|"
    r"DROP\s+(TABLE|INDEX)\s|WITH\s+\w+\s+AS\s*\()",
    re.IGNORECASE | re.DOTALL,
)


@dataclass
class Module:
    """One source file: its dotted name and what it imports."""

    name: str
    path: Path
    tree: ast.Module
    imports: set[str] = field(default_factory=set)  # anywhere in the file
    load_time: set[str] = field(default_factory=set)  # module level, not TYPE_CHECKING


def _name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _targets(node: ast.Import | ast.ImportFrom, module: str, is_package: bool) -> list[str]:
    """The modules an import statement names (`from a import b` may name a.b)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    base = node.module or ""
    if node.level:
        package = module if is_package else module.rpartition(".")[0]
        for _ in range(node.level - 1):
            package = package.rpartition(".")[0]
        base = f"{package}.{base}".strip(".")
    return [base, *(f"{base}.{alias.name}" for alias in node.names)]


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _load_time_imports(body: list[ast.stmt]) -> Iterator[ast.Import | ast.ImportFrom]:
    """Imports executed on import: module level, through if/try, not TYPE_CHECKING."""
    for node in body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        elif isinstance(node, ast.If) and not _is_type_checking(node):
            yield from _load_time_imports(node.body + node.orelse)
        elif isinstance(node, ast.Try):
            yield from _load_time_imports(node.body + node.orelse + node.finalbody)


def _modules() -> dict[str, Module]:
    found: dict[str, Module] = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            name = _name(path)
            tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
            module = Module(name, path, tree)
            is_package = path.name == "__init__.py"
            for node in ast.walk(tree):
                if isinstance(node, ast.Import | ast.ImportFrom):
                    module.imports.update(_targets(node, name, is_package))
            for node in _load_time_imports(tree.body):
                module.load_time.update(_targets(node, name, is_package))
            found[name] = module
    for module in found.values():  # keep only names that are our modules
        module.imports &= set(found) | {"adapters"}
        module.load_time &= set(found)
    return found


MODULES = _modules()


def _within(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def _platform(name: str) -> str | None:
    """`adapters.discord_adapter.slash` -> `discord_adapter`; None for `adapters` itself."""
    parts = name.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "adapters" else None


def test_the_modules_were_found() -> None:
    assert {"bot.app", "bot.core", "bot.cli.main", "adapters.console"} <= set(MODULES)


def test_only_the_composition_root_imports_adapters() -> None:
    offenders = sorted(
        f"{m.name} imports {target}"
        for m in MODULES.values()
        if _within(m.name, "bot") and m.name != "bot.app"
        for target in m.imports
        if _within(target, "adapters")
    )
    assert offenders == []


def test_adapters_never_import_each_other_or_the_store() -> None:
    offenders = sorted(
        f"{m.name} imports {target}"
        for m in MODULES.values()
        if _platform(m.name) is not None
        for target in m.imports
        if _within(target, "bot.store")
        or (_platform(target) is not None and _platform(target) != _platform(m.name))
    )
    assert offenders == []


def _cycle() -> list[str] | None:
    """One import cycle among load-time imports, or None (depth-first, three colours)."""
    state: dict[str, int] = {}  # 1 on the stack, 2 done
    stack: list[str] = []

    def visit(name: str) -> list[str] | None:
        state[name] = 1
        stack.append(name)
        for target in sorted(MODULES[name].load_time):
            # importing a.b.c runs a and a.b first: those edges are the package's own
            if _within(name, target):
                continue
            if state.get(target) == 1:
                return [*stack[stack.index(target) :], target]
            if target not in state and (found := visit(target)):
                return found
        stack.pop()
        state[name] = 2
        return None

    for name in sorted(MODULES):
        if name not in state and (found := visit(name)):
            return found
    return None


def test_no_import_cycles() -> None:
    cycle = _cycle()
    assert cycle is None, " -> ".join(cycle or [])


def test_adapters_never_touch_the_environment() -> None:
    offenders = sorted(
        f"{m.name}:{node.lineno}"
        for m in MODULES.values()
        if _within(m.name, "adapters")
        for node in ast.walk(m.tree)
        if (isinstance(node, ast.Attribute) and node.attr in ("environ", "putenv", "unsetenv"))
        or (isinstance(node, ast.Name) and node.id in ("environ", "putenv"))
    )
    assert offenders == []


def _sql_literals(tree: ast.Module) -> Iterator[str]:
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and _SQL.match(node.value)
        ):
            yield node.value.strip().splitlines()[0][:60]


def test_no_sql_outside_the_store() -> None:
    offenders = sorted(
        f"{m.name}: {text}"
        for m in MODULES.values()
        if not _within(m.name, "bot.store")
        for text in _sql_literals(m.tree)
    )
    assert offenders == []


@pytest.mark.parametrize(
    "text",
    [
        "SELECT id FROM analyses WHERE id = ?",
        "  insert or ignore into urls (url) values (?)",
        "UPDATE subscriptions SET active = 0",
        "DELETE FROM deliveries",
        "CREATE VIRTUAL TABLE t USING fts5(x)",
        "PRAGMA user_version",
    ],
)
def test_the_sql_detector_sees_statements(text: str) -> None:
    assert _SQL.match(text)


@pytest.mark.parametrize(
    "text",
    ["Select a category", "update your subscription with /subscribe", "delete it"],
)
def test_the_sql_detector_ignores_prose(text: str) -> None:
    assert not _SQL.match(text)


def test_the_cycle_check_sees_a_cycle(tmp_path: Path) -> None:
    """The checker itself: a two-module cycle is found (guards against a silent pass)."""
    saved = dict(MODULES)
    try:
        MODULES.clear()
        for name, target in (("x.a", "x.b"), ("x.b", "x.a")):
            MODULES[name] = Module(name, tmp_path, ast.parse(""), load_time={target})
        assert _cycle() == ["x.a", "x.b", "x.a"]
    finally:
        MODULES.clear()
        MODULES.update(saved)
