"""The shape of the code: dependencies point one way, no import cycles, typer only in the commands.

Read from the source (every ``import`` and ``from … import``, inside functions too), so an import
hidden in a function counts like one at the top."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("generator", "grader")
COMMANDS = "generator.cli"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for pkg in PACKAGES for p in sorted((ROOT / pkg).rglob("*.py"))}


def imports_of(name: str, path: Path, known: set[str]) -> set[str]:
    """The modules (of ``known``, or outside ones by their top name) that ``path`` imports."""
    is_package = path.name == "__init__.py"
    package = name if is_package else name.rpartition(".")[0]
    found: set[str] = set()

    def add(target: str) -> None:
        while target and target not in known and "." in target:
            target = target.rpartition(".")[0]
        found.add(target if target in known else target.split(".")[0])

    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                add(alias.name)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if f"{target}.{node.names[0].name}" in known:  # from package import module
                for alias in node.names:
                    add(f"{target}.{alias.name}" if f"{target}.{alias.name}" in known else target)
            else:
                add(target)
    found.discard(name)
    return found


def graph() -> dict[str, set[str]]:
    mods = modules()
    known = set(mods)
    return {name: imports_of(name, path, known) for name, path in mods.items()}


def in_commands(name: str) -> bool:
    return name == COMMANDS or name.startswith(COMMANDS + ".")


def test_no_import_cycle_between_modules():
    g = graph()
    internal = {m: {t for t in ts if t in g} for m, ts in g.items()}
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(m: str) -> None:
        state[m] = 1
        stack.append(m)
        for t in sorted(internal[m]):
            if state.get(t) == 1:
                cycle = stack[stack.index(t):] + [t]
                raise AssertionError("import cycle: " + " → ".join(cycle))
            if t not in state:
                visit(t)
        stack.pop()
        state[m] = 2

    for m in sorted(internal):
        if m not in state:
            visit(m)


def test_generator_library_never_imports_grader():
    g = graph()
    bad = {m: sorted(t for t in ts if t == "grader" or t.startswith("grader."))
           for m, ts in g.items() if m.startswith("generator") and not in_commands(m)}
    assert {m: ts for m, ts in bad.items() if ts} == {}


def test_no_library_module_imports_the_commands():
    g = graph()
    bad = {m: sorted(t for t in ts if in_commands(t)) for m, ts in g.items() if not in_commands(m)}
    assert {m: ts for m, ts in bad.items() if ts} == {}


def test_typer_and_rich_console_only_in_the_commands():
    g = graph()
    outside = {m: sorted(ts & {"typer", "click", "rich"}) for m, ts in g.items() if not in_commands(m)}
    assert {m: ts for m, ts in outside.items() if ts} == {}


def test_commands_exist_as_a_package():
    assert (ROOT / "generator" / "cli" / "__init__.py").is_file()


def test_no_test_module_imports_another():
    tests = {p.stem for p in (ROOT / "tests").glob("test_*.py")}
    offenders = []
    for p in (ROOT / "tests").glob("*.py"):
        for node in ast.walk(ast.parse(p.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.ImportFrom):
                names = [(node.module or "").split(".")[-1]] + [a.name for a in node.names if not node.module]
            elif isinstance(node, ast.Import):
                names = [a.name.split(".")[-1] for a in node.names]
            offenders += [f"{p.name} imports {n}" for n in names if n in tests]
    assert offenders == []


def test_test_files_are_named_for_behaviour():
    import re

    odd = [p.name for p in (ROOT / "tests").glob("test_*.py")
           if re.search(r"(^|_)(qa\d*|issue\d*|round\d+)(_|$)", p.stem.removeprefix("test_"))]
    assert odd == []
