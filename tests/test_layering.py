"""The layering rule of docs/architecture.md, checked against the package as it is on disk.

Every module under chainrule/ belongs to the layer of its first path component (a top-level
module or subpackage) in ``LAYERS``, the table that docs/architecture.md shows. A module imports
only from its own layer or lower ones, at module level and inside functions alike; the
exceptions are listed, each with its reason. Third-party code: the standard library and NumPy
are the only imports that run when a module is imported (``import chainrule`` imports every
subpackage, so this holds for all layers); the optional extras are imported inside the
functions that need them; torch is never imported.

The checks are functions of a package folder, so the tests at the end can run them on a copy
of the package with a planted fault and show that each one fails when it should.
"""

from __future__ import annotations

import ast
import re
import shutil
import sys
from pathlib import Path
from typing import NamedTuple

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "chainrule"
ARCHITECTURE = ROOT / "docs" / "architecture.md"

# Top-level module or subpackage of chainrule/ -> layer. "__init__" is chainrule/__init__.py,
# the package itself: it re-exports from every layer, so it sits at the top.
LAYERS = {
    "autograd": 0, "grad_mode": 0, "dtypes": 0, "random": 0,
    "device": 0, "amp": 0, "cuda": 0, "accelerator": 0, "backends": 0, "hooks": 0,
    "accumulate_hooks": 0, "autograd_functional": 0,
    "lazy": 0,
    "generator": 0, "layout": 0, "settings": 0,
    "ops": 1,
    "kernels": 0,
    "tensor": 2, "methods": 2,
    "creation": 3, "functional": 3, "gradcheck": 3, "io": 3,
    "legacy": 3, "atomic_file": 3, "io_structure": 3, "testing": 3,
    "interop": 3,
    "linalg": 3,
    "index_creation": 3,
    "special": 3,
    "nn": 4,
    "distributed": 4,
    "data": 5, "optim": 5, "utils": 5,
    "distributions": 5,
    "func": 5, "jit": 5,
    "models": 6, "train": 6,
    "language": 6,
    "vision": 6,
    "onnx": 7,
    "__init__": 7, "__main__": 7, "app": 7, "cli": 7, "viz": 7,
    "sklearn": 7,
}

# Third-party libraries that may be imported inside functions (pyproject's optional extras).
OPTIONAL = frozenset({"matplotlib", "sklearn", "onnx", "mpi4py"})
NEVER = frozenset({"torch"})
ALWAYS = frozenset(sys.stdlib_module_names) | {"numpy", "__future__"}

# (importing module, imported module) -> why an import may go to a higher layer. None today.
UPWARD_IMPORTS: dict[tuple[str, str], str] = {}

# (module, assignment target) -> why a module writes into another chainrule module's objects
# when it is imported: such a write makes the lower module depend on the higher one at run time.
WIRING = {
    ("tensor", "autograd.run_function"):
        "Function.apply (defined in autograd) runs a Function on Tensors, which autograd (L0) "
        "never imports; tensor.py (L2), which builds them, provides the runner it calls",
}


class Import(NamedTuple):
    line: int
    lazy: bool  # inside a function body: runs when the function is called, not on import
    internal: tuple[str, ...] | None  # a chainrule module, as parts below chainrule/
    external: str | None  # any other module, by its top-level name


def name_of(parts: tuple[str, ...]) -> str:
    return "/".join(parts) if parts else "__init__"


def module_parts(package: Path, path: Path) -> tuple[str, ...]:
    """``("nn", "linear")`` for chainrule/nn/linear.py; ``("nn",)`` for nn/__init__.py;
    ``()`` for chainrule/__init__.py."""
    parts = path.relative_to(package).with_suffix("").parts
    return parts[:-1] if parts[-1] == "__init__" else parts


def layer_of(parts: tuple[str, ...], layers: dict[str, int]) -> int | None:
    return layers.get(parts[0] if parts else "__init__")


def is_module(package: Path, parts: tuple[str, ...]) -> bool:
    folder = package.joinpath(*parts)
    return folder.with_suffix(".py").is_file() or (folder / "__init__.py").is_file()


def top_level_entries(package: Path) -> set[str]:
    """The names that need a layer: every .py file directly in the package (``__init__``
    included) and every folder that holds Python code."""
    files = {p.stem for p in package.glob("*.py")}
    folders = {d.name for d in package.iterdir()
               if d.is_dir() and d.name != "__pycache__" and any(d.rglob("*.py"))}
    return files | folders


def all_modules(package: Path = PACKAGE) -> list[Path]:
    return sorted(p for p in package.rglob("*.py") if "__pycache__" not in p.parts)


def walk(node: ast.AST, lazy: bool = False):
    """Every node below ``node``, with whether it runs only when a function is called (a
    function's body does; its decorators and default values run when it is defined)."""
    for child in ast.iter_child_nodes(node):
        yield child, lazy
        if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            body = child.body if isinstance(child.body, list) else [child.body]
            for part in ast.iter_child_nodes(child):
                inside = lazy or any(part is statement for statement in body)
                yield part, inside
                yield from walk(part, inside)
        else:
            yield from walk(child, lazy)


def imports(package: Path, path: Path) -> list[Import]:
    """The imports of one module: statements, and ``importlib.import_module("...")`` calls
    with a literal name. ``from P import name`` loads P's submodule ``name`` when there is
    one, else P itself."""
    here = module_parts(package, path)
    found = []
    for node, lazy in walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [_dotted(node.lineno, lazy, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0 and (node.module or "").split(".")[0] != "chainrule":
                found.append(_dotted(node.lineno, lazy, node.module or ""))
                continue
            if node.level == 0:
                base = tuple(node.module.split(".")[1:])
            else:
                package_parts = here if path.name == "__init__.py" else here[:-1]
                if node.level - 1 > len(package_parts):
                    raise ValueError(f"{path}:{node.lineno}: relative import above chainrule/")
                base = package_parts[: len(package_parts) - (node.level - 1)]
                base += tuple(node.module.split(".")) if node.module else ()
            for alias in node.names:
                sub = base + (alias.name,)
                found.append(Import(node.lineno, lazy, sub if is_module(package, sub) else base,
                                    None))
        elif isinstance(node, ast.Call) and _is_import_module(node.func) and node.args:
            first = node.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                found.append(_dotted(node.lineno, lazy, first.value))
    return found


def _dotted(line: int, lazy: bool, dotted: str) -> Import:
    head, *rest = dotted.split(".")
    if head == "chainrule":
        return Import(line, lazy, tuple(rest), None)
    return Import(line, lazy, None, head)


def _is_import_module(func: ast.expr) -> bool:
    return (isinstance(func, ast.Attribute) and func.attr == "import_module") or (
        isinstance(func, ast.Name) and func.id in ("import_module", "__import__"))


# ---------------------------------------------------------------- the checks


def layer_table_problems(package: Path, layers: dict[str, int]) -> list[str]:
    """Top-level entries without a layer, and layers for entries that do not exist."""
    entries = top_level_entries(package)
    missing = sorted(entries - layers.keys())
    dead = sorted(layers.keys() - entries)
    problems = [f"chainrule/{m} has no layer: add it to LAYERS and docs/architecture.md"
                for m in missing]
    return problems + [f"LAYERS names {d}, which is not in chainrule/" for d in dead]


def import_problems(package: Path, layers: dict[str, int], path: Path) -> list[str]:
    """What is wrong with the imports of one module (empty when nothing is)."""
    here = module_parts(package, path)
    own = layer_of(here, layers)
    where = name_of(here)
    if own is None:
        return [f"{where} has no layer"]
    problems = []
    for imp in imports(package, path):
        at = f"{path.relative_to(package.parent)}:{imp.line}"
        if imp.external is not None:
            problems += _external_problem(imp, at, own)
            continue
        target = name_of(imp.internal)
        if not is_module(package, imp.internal):
            problems.append(f"{at} imports chainrule.{target.replace('/', '.')}, which does "
                            "not exist")
            continue
        other = layer_of(imp.internal, layers)
        if other is None:
            problems.append(f"{at} imports {target}, which has no layer")
        elif other > own and (where, target) not in UPWARD_IMPORTS:
            how = "inside a function" if imp.lazy else "at module level"
            problems.append(f"{at}: {where} (L{own}) imports {target} (L{other}) {how}; "
                            "imports go to the same or a lower layer")
    return problems


def _external_problem(imp: Import, at: str, own: int) -> list[str]:
    name = imp.external
    if name in NEVER:
        return [f"{at} imports {name}: the package never imports it (tests and benchmarks may)"]
    if name in ALWAYS or (imp.lazy and name in OPTIONAL):
        return []
    if name in OPTIONAL:
        return [f"{at} imports the optional {name} at module level (L{own}): import it inside "
                "the function that needs it"]
    return [f"{at} imports {name}, which is neither NumPy, the standard library nor an "
            f"optional extra ({', '.join(sorted(OPTIONAL))})"]


def wiring_problems(package: Path, path: Path) -> list[str]:
    """Module-level writes into objects of other chainrule modules that WIRING does not list."""
    here = module_parts(package, path)
    tree = ast.parse(path.read_text(), str(path))
    internal = set()
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and (node.level or
                                                 (node.module or "").startswith("chainrule")):
            internal |= {a.asname or a.name for a in node.names}
        elif isinstance(node, ast.Import):
            internal |= {(a.asname or a.name).split(".")[0] for a in node.names
                         if a.name.startswith("chainrule")}
    problems = []
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else (
            [node.target] if isinstance(node, (ast.AugAssign, ast.AnnAssign)) else [])
        for target in targets:
            root = target
            while isinstance(root, (ast.Attribute, ast.Subscript)):
                root = root.value
            if (target is not root and isinstance(root, ast.Name) and root.id in internal
                    and (name_of(here), ast.unparse(target)) not in WIRING):
                problems.append(f"{name_of(here)}:{node.lineno} sets {ast.unparse(target)}, "
                                "an attribute of another chainrule module; list it in WIRING "
                                "with the reason")
    return problems


# ---------------------------------------------------------------- the package as it is


def test_every_top_level_module_and_subpackage_has_a_layer_and_every_layer_entry_exists():
    assert not layer_table_problems(PACKAGE, LAYERS)


@pytest.mark.parametrize("path", all_modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_respect_the_layers_and_the_third_party_rules(path):
    assert not import_problems(PACKAGE, LAYERS, path)


@pytest.mark.parametrize("path", all_modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_module_writes_into_another_modules_objects_except_the_listed_wiring(path):
    assert not wiring_problems(PACKAGE, path)


def test_the_listed_exceptions_are_still_needed():
    for importer, imported in UPWARD_IMPORTS:
        path = _path_of(importer)
        assert any(name_of(i.internal) == imported for i in imports(PACKAGE, path)
                   if i.internal is not None), f"UPWARD_IMPORTS: {importer} -> {imported} is gone"
    for module, target in WIRING:
        tree = ast.parse(_path_of(module).read_text())
        written = {ast.unparse(t) for n in tree.body if isinstance(n, ast.Assign)
                   for t in n.targets}
        assert target in written, f"WIRING: {module} no longer sets {target}"


def test_the_architecture_doc_shows_the_same_layer_table():
    documented = {}
    for line in ARCHITECTURE.read_text().splitlines():
        row = re.match(r"\|\s*L(\d)\s*\|([^|]*)\|", line)
        if row:
            for name in re.findall(r"`([^`]+)`", row.group(2)):
                documented[name.removesuffix(".py").rstrip("/")] = int(row.group(1))
    assert documented == LAYERS


def test_the_package_never_unpickles_or_evaluates():
    """Loading files can not run code (docs/reliability.md R-SEC-1): no pickle, marshal or
    shelve, no eval or exec, anywhere in the package."""
    for path in all_modules():
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                names = [a.name for a in node.names] + [getattr(node, "module", None) or ""]
                assert not {n.split(".")[0] for n in names} & {"pickle", "marshal", "shelve"}, (
                    f"{path}:{node.lineno}")
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                assert node.func.id not in ("eval", "exec"), f"{path}:{node.lineno}"


def test_every_cited_promise_is_in_reliability_md_and_no_one_cites_the_old_guidance():
    """Code, tests and scripts cite promises by id (``docs/reliability.md R-NUM-3``): each id
    cited is defined there, once, and nothing points at the guidance files the docs replaced."""
    reliability = (ROOT / "docs" / "reliability.md").read_text()
    defined = re.findall(r"^\*\*(R-[A-Z]+-\d+)[ .]", reliability, flags=re.MULTILINE)
    assert len(defined) == len(set(defined)), "a promise id is defined twice"
    old = re.compile(r"\b(?:DESIGN|STYLE|RELIABILITY)\.md\b")
    sources = [p for folder in ("chainrule", "tests", "benchmarks", "examples", "docs")
               for p in (ROOT / folder).rglob("*") if p.suffix in (".py", ".md")]
    sources += [p for p in (ROOT / ".ci" / "run", ROOT / "README.md") if p.is_file()]
    for path in sources:
        text = path.read_text()
        where = path.relative_to(ROOT)
        assert not old.search(text), f"{where} cites {old.search(text).group()}; cite docs/"
        unknown = set(re.findall(r"\bR-[A-Z]+-\d+\b", text)) - set(defined)
        assert not unknown, f"{where} cites {sorted(unknown)}, not in docs/reliability.md"


def _path_of(name: str) -> Path:
    single = PACKAGE / f"{name}.py"
    return single if single.is_file() else PACKAGE / name / "__init__.py"


# ---------------------------------------------------------------- the checks can fail


@pytest.fixture
def copy(tmp_path):
    """A scratch copy of the package, to plant faults in."""
    target = tmp_path / "chainrule"
    shutil.copytree(PACKAGE, target, ignore=shutil.ignore_patterns("__pycache__"))
    return target


def _append(path: Path, code: str) -> None:
    path.write_text(path.read_text() + "\n" + code + "\n")


@pytest.mark.parametrize("code, expected", [
    ("from ..tensor import Tensor", "ops/unary (L1) imports tensor (L2) at module level"),
    ("def late():\n    from chainrule.nn import Linear", "imports nn (L4) inside a function"),
    ("def late():\n    import chainrule.viz.graph", "imports viz/graph (L7) inside a function"),
    ("def late():\n    import importlib\n    importlib.import_module('chainrule.train')",
     "imports train (L6) inside a function"),
    ("from chainrule import Tensor", "imports __init__ (L7)"),
    ("from .. import functional", "imports functional (L3)"),
    ("from ..fastmath import fast", "chainrule.fastmath, which does not exist"),
    ("import torch", "never imports it"),
    ("def late():\n    import torch.nn", "never imports it"),
    ("import matplotlib", "optional matplotlib at module level"),
    ("def late(x=__import__('matplotlib')):\n    pass", "optional matplotlib at module level"),
    ("def late():\n    import scipy", "imports scipy, which is neither"),
])
def test_a_planted_import_is_caught(copy, code, expected):
    unary = copy / "ops" / "unary.py"
    _append(unary, code)
    problems = import_problems(copy, LAYERS, unary)
    assert any(expected in p for p in problems), problems


def test_an_unassigned_module_or_folder_and_a_dead_entry_are_caught(copy):
    (copy / "fastmath.py").write_text("import numpy as np\n")
    (copy / "audio").mkdir()
    (copy / "audio" / "__init__.py").write_text("")
    layers = {**LAYERS, "metrics": 6}
    problems = layer_table_problems(copy, layers)
    assert "chainrule/fastmath has no layer: add it to LAYERS and docs/architecture.md" in problems
    assert any(p.startswith("chainrule/audio has no layer") for p in problems)
    assert "LAYERS names metrics, which is not in chainrule/" in problems
    assert import_problems(copy, layers, copy / "fastmath.py") == ["fastmath has no layer"]


def test_a_new_module_in_a_folder_takes_the_folders_layer(copy):
    fast = copy / "ops" / "fast.py"
    fast.write_text("from ..nn import Module\n")
    assert any("ops/fast (L1) imports nn (L4)" in p for p in import_problems(copy, LAYERS, fast))


def test_an_unlisted_write_into_another_module_is_caught(copy):
    functional = copy / "functional" / "basic.py"
    _append(functional, "Tensor.relu6 = lambda self: self")
    assert any("sets Tensor.relu6" in p for p in wiring_problems(copy, functional))
