"""The house rules of the code, checked on the source: one import root, no import circles,
no private name used outside its module, no function with a long positional argument list,
the vehicle side blind to the flight software's state.  (docs/architecture.md)"""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "gnc"
TREES = [PACKAGE, ROOT / "tests", ROOT / "bench", ROOT / "tools"]
MAX_POSITIONAL = 10
# a numba kernel's arguments are its arrays: the ray caster takes the terrain's and the unit's
WIDE_KERNELS = {"gnc.core.hazard.lidar_scan"}
# the vehicle side: the plants, the hazard unit, the HIL host
VEHICLE_SIDE = [*sorted((PACKAGE / "programs").glob("*/plant.py")), PACKAGE / "core" / "hdu.py",
                PACKAGE / "hil" / "session.py"]


def _module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _sources(trees=TREES):
    for tree in trees:
        for path in sorted(tree.rglob("*.py")):
            yield path, ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _imports(module: str, tree: ast.AST, is_package: bool):
    """(imported module, names taken from it) of every import statement, at any depth."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                yield a.name, []
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                pkg = module.split(".") if is_package else module.split(".")[:-1]
                pkg = pkg[:len(pkg) - node.level + 1]
                base = ".".join(pkg + ([base] if base else []))
            yield base, [a.name for a in node.names]


def _graph() -> dict[str, set[str]]:
    modules = {_module_name(p): (p, t) for p, t in _sources([PACKAGE])}
    graph = {m: set() for m in modules}
    for m, (path, tree) in modules.items():
        for target, names in _imports(m, tree, path.name == "__init__.py"):
            for name in names or [None]:
                full = f"{target}.{name}" if name else target
                dep = full if full in modules else target
                if dep in modules and dep != m:
                    graph[m].add(dep)
    return graph


def test_one_import_root():
    tops = {p.name for p in ROOT.iterdir() if (p / "__init__.py").exists()}
    assert tops == {"gnc"}, tops


def test_no_import_circles():
    graph = _graph()
    state, circles = {}, []

    def visit(m, stack):
        state[m] = "open"
        for d in sorted(graph[m]):
            if state.get(d) == "open":
                circles.append(stack[stack.index(d):] + [d])
            elif d not in state:
                visit(d, stack + [d])
        state[m] = "done"

    for m in sorted(graph):
        if m not in state:
            visit(m, [m])
    assert not circles, "\n".join(" -> ".join(c) for c in circles)


def test_no_private_names_across_modules():
    package_modules = {_module_name(p) for p, _ in _sources([PACKAGE])}
    found = []
    for path, tree in _sources():
        m = _module_name(path)
        for target, names in _imports(m, tree, path.name == "__init__.py"):
            if target.startswith("gnc") and target != m:
                found += [f"{path.relative_to(ROOT)}: {target}.{n}" for n in names
                          if n.startswith("_") and not n.startswith("__") and f"{target}.{n}" not in package_modules]
        aliases = {a.asname or a.name: f"{node.module}.{a.name}" if isinstance(node, ast.ImportFrom) else a.name
                   for node in ast.walk(tree) if isinstance(node, (ast.Import, ast.ImportFrom))
                   for a in node.names if (getattr(node, "module", None) or a.name).startswith("gnc")}
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__")
                    and isinstance(node.value, ast.Name) and node.value.id in aliases
                    and aliases[node.value.id] in package_modules):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {aliases[node.value.id]}.{node.attr}")
    assert not found, "\n".join(found)


def test_no_long_positional_argument_lists():
    found = []
    for path, tree in _sources():
        m = _module_name(path)
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                n = len(node.args.posonlyargs) + len(node.args.args)
                if n > MAX_POSITIONAL and f"{m}.{node.name}" not in WIDE_KERNELS:
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {node.name} takes {n} positional arguments")
    assert not found, "\n".join(found)


def test_the_vehicle_side_reads_frames_only():
    """Plants, the hazard unit and the HIL host never touch the flight software's state
    (FS_*): over a link it stays on the board, so what they need travels in the frames."""
    assert len(VEHICLE_SIDE) >= 5
    found = []
    for path in VEHICLE_SIDE:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            name = node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else \
                node.name if isinstance(node, ast.alias) else ""
            if name.startswith("FS_"):
                found.append(f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', '?')}: {name}")
    assert not found, "\n".join(found)
