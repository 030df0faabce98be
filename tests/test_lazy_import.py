"""``import chainrule`` loads only the core; the heavy subpackages load on first use (PEP 562
``__getattr__`` in chainrule/__init__.py, data/__init__.py and optim/__init__.py), with their
public names unchanged."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

import chainrule

ROOT = Path(__file__).resolve().parents[1]

# (lazy module, how a user reaches it: an attribute path from chainrule)
LAZY = {
    "chainrule.app": "app",
    "chainrule.distributions": "distributions",
    "chainrule.train": "train",
    "chainrule.vision": "vision",
    "chainrule.viz": "viz",
    "chainrule.data.datasets": "data.datasets",
    "chainrule.optim.lr_scheduler": "optim.lr_scheduler",
}
OPTIONAL_EXTRAS = ("sklearn", "onnx", "distributed", "interop")


def fresh(code: str) -> str:
    """stdout of ``code`` run in a new interpreter with this checkout first on the path."""
    env_code = f"import sys; sys.path.insert(0, {str(ROOT)!r})\n" + code
    result = subprocess.run([sys.executable, "-c", env_code], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_import_chainrule_loads_no_lazy_module():
    loaded = json.loads(fresh("import json, sys, chainrule\n"
                              "print(json.dumps(sorted(sys.modules)))"))
    lazy = [*LAZY, *(f"chainrule.{name}" for name in OPTIONAL_EXTRAS)]
    early = [m for m in loaded if any(m == name or m.startswith(name + ".") for name in lazy)]
    assert early == [], f"import chainrule loaded {early}"
    assert "chainrule.nn" in loaded and "chainrule.optim.adam" in loaded  # the core is there


@pytest.mark.parametrize("module", sorted(LAZY))
def test_each_lazy_name_resolves_in_a_fresh_process(module):
    path = LAZY[module]
    out = fresh(f"import chainrule\nm = chainrule.{path}\nprint(m.__name__)")
    assert out.strip() == module


def test_public_spellings_still_work():
    out = fresh("from chainrule.train import fit\n"
                "import chainrule\n"
                "from chainrule.utils.data import DataLoader, datasets\n"
                "from chainrule.optim.lr_scheduler import StepLR\n"
                "print(fit.__module__, chainrule.vision.datasets.__name__, datasets.__name__,"
                " chainrule.viz.to_dot.__name__, StepLR.__name__)")
    assert out.split() == ["chainrule.train.fit", "chainrule.vision.datasets",
                           "chainrule.data.datasets", "to_dot", "StepLR"]


def test_dir_lists_the_lazy_names():
    for name in ("app", "distributions", "train", "vision", "viz"):
        assert name in dir(chainrule)
    assert "datasets" in dir(chainrule.data)
    assert "lr_scheduler" in dir(chainrule.optim)
    for name in OPTIONAL_EXTRAS:  # listed exactly when the subpackage exists in this checkout
        present = importlib.util.find_spec(f"chainrule.{name}") is not None
        assert (name in dir(chainrule)) == present


def test_unknown_names_raise_attribute_error_naming_them():
    for module, name in ((chainrule, "no_such_thing"), (chainrule.data, "no_such_thing"),
                         (chainrule.optim, "no_such_thing")):
        with pytest.raises(AttributeError, match="no_such_thing"):
            getattr(module, name)
    missing = [n for n in OPTIONAL_EXTRAS if importlib.util.find_spec(f"chainrule.{n}") is None]
    for name in missing:
        with pytest.raises(AttributeError, match=name):
            getattr(chainrule, name)
        assert not hasattr(chainrule, name)
