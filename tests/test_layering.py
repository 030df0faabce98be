"""DESIGN.md's layering rule: a module imports only from lower layers, and layers L0–L6 import
nothing at module level but the standard library and NumPy (optional libraries are imported
inside the functions that need them)."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "chainrule"

# First path component under chainrule/ (a file stem or a folder) -> layer.
LAYERS = {
    "autograd": 0, "grad_mode": 0, "dtypes": 0, "random": 0,
    "ops": 1,
    "tensor": 2, "methods": 2, "creation": 2,
    "functional": 3, "gradcheck": 3, "io": 3,
    "nn": 4, "models": 4,
    "optim": 5, "data": 5, "utils": 5,
    "train": 6, "metrics": 6, "callbacks": 6, "progress": 6, "checkpoint": 6,
    "interop": 7, "viz": 7, "cli": 7, "app": 7, "__main__": 7,
}


def layer_of(parts: tuple[str, ...]) -> int | None:
    """Layer of a module given its path parts below chainrule/ (None for chainrule itself)."""
    if not parts or parts == ("__init__",):
        return None
    return LAYERS.get(parts[0])


def module_parts(path: Path) -> tuple[str, ...]:
    return path.relative_to(PACKAGE).with_suffix("").parts


def imported_parts(node: ast.AST, parts: tuple[str, ...]) -> list[tuple[str, ...] | str]:
    """Internal imports as path parts below chainrule/, external ones as top-level names."""
    if isinstance(node, ast.Import):
        return [tuple(a.name.split(".")[1:]) if a.name.startswith("chainrule") else
                a.name.split(".")[0] for a in node.names]
    if node.level == 0:
        name = node.module or ""
        return [tuple(name.split(".")[1:]) if name.startswith("chainrule") else name.split(".")[0]]
    package = parts[:-1]
    base = package[: len(package) - (node.level - 1)]
    target = base + tuple((node.module or "").split(".")) if node.module else base
    if node.module:
        return [target]
    return [target + (alias.name,) for alias in node.names]


def all_modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", all_modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_go_only_downward(path):
    parts = module_parts(path)
    own = layer_of(parts)
    if own is None:
        return
    assert own is not None, f"{path} is not assigned a layer in LAYERS"
    for node in ast.walk(ast.parse(path.read_text())):
        if not isinstance(node, (ast.Import, ast.ImportFrom)):
            continue
        for target in imported_parts(node, parts):
            if isinstance(target, str):
                continue
            other = layer_of(tuple(p for p in target if p))
            if other is not None:
                assert other <= own, (
                    f"{'/'.join(parts)} (L{own}) imports {'.'.join(target)} (L{other}): "
                    "imports must go to the same or a lower layer"
                )


@pytest.mark.parametrize("path", all_modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_low_layers_import_only_numpy_at_module_level(path):
    parts = module_parts(path)
    own = layer_of(parts)
    if own is None or own > 6:
        return
    allowed = set(sys.stdlib_module_names) | {"numpy", "__future__"}
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            for target in imported_parts(node, parts):
                if isinstance(target, str) and target:
                    assert target in allowed, f"{'/'.join(parts)} imports {target} at module level"


def test_every_module_has_a_layer():
    unknown = [str(p.relative_to(PACKAGE)) for p in all_modules()
               if module_parts(p) != ("__init__",) and layer_of(module_parts(p)) is None]
    assert not unknown, f"assign these to a layer in LAYERS: {unknown}"


def test_the_package_never_imports_torch():
    for path in all_modules():
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                assert all(not a.name.startswith("torch") for a in node.names), path
            if isinstance(node, ast.ImportFrom) and node.level == 0:
                assert not (node.module or "").startswith("torch"), path
