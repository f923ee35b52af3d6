"""The import rule of the tree, read from the source: layers point one way, no cycles.

    files <- midi <- music <- charts <- timing, generate, sound <- config <- render, live
        <- the CLI
    live: service <- play <- remote <- listening <- the daemon and its builders

A package imports only from packages below it (or from itself), so ``config`` is
imported by ``render``, ``live`` and the top level only, and imports nothing above it;
the rooms of ``live`` stand on each other in the same way;
the CLI is imported by ``render``, ``live`` and the top level only; ``errors`` by
anyone. Every import counts, the lazy ones inside functions and those under
``TYPE_CHECKING`` too, and between files they make no cycle. No folder imports a
folder that imports it back. The top of the package holds the command and the errors
only; no folder holds more than 12 modules, and no module more than 400 lines.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "jazzd"

#: The layer of each package: a package imports from lower numbers (and itself) only.
#: ``live``'s rooms are layers of their own: the process, the player loop, remote control,
#: the MIDI input, and the daemon with its builders at the top.
RANKS = {"files": 0, "midi": 1, "music": 2, "charts": 3, "timing": 4, "generate": 4,
         "sound": 4, "config": 5, "render": 6, "live.service": 6, "live.play": 7,
         "live.remote": 8, "live.listening": 9, "live": 10, "top": 11}
#: Top-level modules only render, live and the top level may import.
COMMAND_SIDE = {"jazzd.cli", "jazzd.__main__"}


def modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def imports(name: str, path: Path, known: dict[str, Path],
            in_functions: bool = False) -> set[tuple[str, bool]]:
    """(jazzd module imported, whether at load time) for every import in ``path`` (or only
    those inside a function's body)."""
    tree = ast.parse(path.read_text())
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    at_load = {id(node) for node in tree.body}
    functions = [node for node in ast.walk(tree)
                 if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)]
    inside = {id(node) for function in functions for node in ast.walk(function)}
    found = set()

    def add(target: str, node: ast.stmt) -> None:
        while target and target not in known:
            target = target.rpartition(".")[0]
        if target and target != name:
            found.add((target, id(node) in at_load))

    for node in ast.walk(tree):
        if in_functions and id(node) not in inside:
            continue
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("jazzd"):
                    add(alias.name, node)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([node.module] if node.module else [])])
            if base.startswith("jazzd"):
                for alias in node.names:
                    add(f"{base}.{alias.name}", node)
    return found


def layer(name: str) -> str:
    parts = name.split(".")
    if len(parts) > 3 and ".".join(parts[1:3]) in RANKS:
        return ".".join(parts[1:3])
    return parts[1] if len(parts) > 2 or (len(parts) == 2 and parts[1] in RANKS) else "top"


def folder(name: str, path: Path) -> str:
    """The room a module is in: its folder, or itself for a module at the top."""
    if path.parent == PACKAGE and path.name != "__init__.py":
        return name
    return path.parent.relative_to(PACKAGE.parent).as_posix()


def graph() -> dict[str, set[tuple[str, bool]]]:
    known = modules()
    return {name: imports(name, path, known) for name, path in known.items()}


def test_the_reader_sees_the_imports_it_judges() -> None:
    edges = graph()
    assert ("jazzd.music.tokens", True) in edges["jazzd.timing.clock_send"]
    assert any(target == "jazzd.config.load" for target, _ in edges["jazzd.live.daemon"])
    assert ("jazzd.config.presets", True) in edges["jazzd.config.load"]
    assert len(edges) > 60


def test_every_import_points_down_the_layers() -> None:
    wrong = []
    for name, targets in graph().items():
        source = layer(name)
        for target, _ in targets:
            down = layer(target)
            if target in COMMAND_SIDE:
                if source.split(".")[0] not in ("render", "live", "top"):
                    wrong.append(f"{name} -> {target}")
            elif down != "top" and down != source and RANKS[down] >= RANKS[source]:
                wrong.append(f"{name} -> {target}")
    assert wrong == []


def test_no_cycle_between_files_counting_every_import() -> None:
    edges = {name: {target for target, _ in targets} for name, targets in graph().items()}
    cycles = []
    state: dict[str, int] = {}  # 1: on the path, 2: done
    path: list[str] = []

    def visit(name: str) -> None:
        state[name] = 1
        path.append(name)
        for target in sorted(edges.get(name, ())):
            if state.get(target) == 1:
                cycles.append(" -> ".join([*path[path.index(target):], target]))
            elif target not in state:
                visit(target)
        path.pop()
        state[name] = 2

    for name in sorted(edges):
        if name not in state:
            visit(name)
    assert cycles == []


def test_no_cycle_between_folders_counting_every_import() -> None:
    known = modules()
    rooms: dict[str, set[str]] = {}
    for name, targets in graph().items():
        for target, _ in targets:
            if folder(name, known[name]) != folder(target, known[target]):
                rooms.setdefault(folder(name, known[name]), set()).add(
                    folder(target, known[target]))
    assert "jazzd/live/play" in rooms["jazzd/live/listening"]  # the reader sees the rooms

    def reaches(start: str, goal: str) -> bool:
        seen, todo = set(), [start]
        while todo:
            room = todo.pop()
            if room == goal:
                return True
            if room not in seen:
                seen.add(room)
                todo.extend(rooms.get(room, ()))
        return False

    assert sorted(f"{a} <-> {b}" for a, targets in rooms.items() for b in targets
                  if a < b and reaches(b, a)) == []


def test_no_folder_holds_more_than_twelve_modules() -> None:
    counts: dict[str, int] = {}  # its __init__ counted too
    for path in PACKAGE.rglob("*.py"):
        room = path.parent.relative_to(PACKAGE.parent).as_posix()
        counts[room] = counts.get(room, 0) + 1
    assert counts["jazzd/live"] > 1
    assert {room: n for room, n in counts.items() if n > 12} == {}


def test_no_module_is_longer_than_four_hundred_lines() -> None:
    lengths = {path.relative_to(PACKAGE.parent).as_posix(): len(path.read_text().splitlines())
               for path in PACKAGE.rglob("*.py")}
    assert len(lengths) > 50
    assert {name: n for name, n in lengths.items() if n > 400} == {}


def test_the_top_of_the_package_holds_at_most_five_modules() -> None:
    top = sorted(path.name for path in PACKAGE.glob("*.py"))
    assert len(top) <= 5, top


def test_every_module_has_its_line_in_the_architecture_page() -> None:
    page = (PACKAGE.parent / "docs" / "architecture.md").read_text()
    named = {path.relative_to(PACKAGE.parent).as_posix() for path in PACKAGE.rglob("*.py")
             if path.name != "__init__.py"}
    assert sorted(path for path in named if f"`{path}`" not in page) == []


def annotations(tree: ast.AST) -> list[ast.expr]:
    """Every annotation in ``tree``: of arguments, returns and annotated names."""
    found: list[ast.expr] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            arguments = node.args
            for argument in [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs,
                             arguments.vararg, arguments.kwarg]:
                if argument is not None and argument.annotation is not None:
                    found.append(argument.annotation)
            if node.returns is not None:
                found.append(node.returns)
        elif isinstance(node, ast.AnnAssign):
            found.append(node.annotation)
    return found


def test_the_live_parts_meet_through_types_not_any() -> None:
    """The wiring of live/ is typed: at most 10 uses of ``Any`` in its annotations."""
    uses = []
    for path in sorted((PACKAGE / "live").rglob("*.py")):
        for annotation in annotations(ast.parse(path.read_text())):
            text = ast.unparse(annotation)
            uses += [f"{path.relative_to(PACKAGE)}: {text}"] * len(re.findall(r"\bAny\b", text))
    assert len(annotations(ast.parse("def f(a: Any) -> dict[str, Any]: ..."))) == 2
    assert len(uses) <= 10, uses


def test_at_most_thirty_of_jazzds_modules_are_imported_inside_functions() -> None:
    """Imports of jazzd's own modules stand at the top of the file, where a reader sees the
    graph; inside a function only where deferring keeps an optional dependency or start-up
    memory out (counted: each importing module and module imported, once)."""
    known = modules()
    deferred = set()
    for name, path in known.items():
        for target, _ in imports(name, path, known, in_functions=True):
            deferred.add((name, target))
    assert ("jazzd.cli", "jazzd.live.daemon") in deferred  # the reader sees them
    assert len(deferred) <= 30, sorted(deferred)
