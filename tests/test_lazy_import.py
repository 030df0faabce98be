"""``import chainrule`` loads only the core; the heavy subpackages load on first use (PEP 562
``__getattr__`` in chainrule/__init__.py, data/__init__.py and optim/__init__.py), with their
public names unchanged. So do the parts of the core packages (``chainrule.lazy``): the layer
families of ``nn``, the optimizers, the families of ``functional`` and ``ops``, data loading,
model files, and the top-level functions that live in them."""

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
    "chainrule.accelerator": "accelerator",
    "chainrule.amp": "amp",
    "chainrule.backends": "backends",
    "chainrule.cuda": "cuda",
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
    assert "chainrule.nn" in loaded and "chainrule.tensor" in loaded  # the core is there


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
    for name in ("app", "distributions", "train", "vision", "viz", "accelerator", "amp",
                 "backends", "cuda"):
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


# Packages whose public names load on first use (chainrule.lazy.lazy_names).
LAZY_PACKAGES = ("chainrule", "chainrule.nn", "chainrule.functional", "chainrule.ops",
                 "chainrule.optim", "chainrule.data")
# Modules of those tables that the core itself needs (the Tensor's methods import them).
CORE = {"chainrule.ops.arithmetic", "chainrule.ops.linalg", "chainrule.ops.pad",
        "chainrule.ops.reduce", "chainrule.ops.select", "chainrule.ops.shape",
        "chainrule.ops.trig", "chainrule.ops.unary"}


def test_import_chainrule_loads_none_of_the_lazy_parts():
    code = ("import json, sys, chainrule, chainrule.lazy as lazy\n"
            f"tables = {{p: lazy.origins(p) for p in {LAZY_PACKAGES!r}}}\n"
            "print(json.dumps([sorted(sys.modules), tables]))")
    loaded, tables = json.loads(fresh(code))
    lazy = {module for table in tables.values() for module in table.values()}
    lazy -= CORE | set(LAZY_PACKAGES)  # chainrule.relu is read through chainrule.functional
    assert {"chainrule.nn.rnn", "chainrule.nn.module", "chainrule.optim.adam",
            "chainrule.ops.conv", "chainrule.functional.activation", "chainrule.io",
            "chainrule.data.dataloader"} <= lazy
    early = sorted(lazy & set(loaded))
    assert early == [], f"import chainrule loaded {early}"
    assert CORE <= set(loaded)


@pytest.mark.parametrize("package", LAZY_PACKAGES)
@pytest.mark.parametrize("first", ["lazy", "eager"])
def test_each_lazy_name_is_the_object_of_its_module(package, first):
    """Read through the package or imported from its module, in either order, a name is one
    object, and the one its ``__module__`` names (what pickle records)."""
    code = f"""
import importlib, json, chainrule.lazy as lazy
package = importlib.import_module({package!r})
table = lazy.origins({package!r})
def eager():
    return {{name: getattr(importlib.import_module(table[name]), name) for name in table}}
def through_package():
    return {{name: getattr(package, name) for name in table}}
if {first!r} == "lazy":
    a = through_package(); b = eager()
else:
    b = eager(); a = through_package()
wrong = [name for name in table if a[name] is not b[name]]
unpicklable = [name for name, obj in a.items() if hasattr(obj, "__qualname__")
               and getattr(importlib.import_module(obj.__module__), obj.__qualname__) is not obj]
print(json.dumps([len(table), wrong, unpicklable]))
"""
    count, wrong, unpicklable = json.loads(fresh(code))
    assert count > 0
    assert wrong == [] and unpicklable == []


@pytest.mark.parametrize("package", LAZY_PACKAGES)
def test_dir_and_all_list_the_lazy_names_before_they_load(package):
    code = f"""
import importlib, json, sys, chainrule.lazy as lazy
package = importlib.import_module({package!r})
before = set(sys.modules)
listed = dir(package)
print(json.dumps([listed, sorted(lazy.origins({package!r})), package.__all__,
                  sorted(m for m in set(sys.modules) - before if m.startswith("chainrule"))]))
"""
    listed, names, public, loaded_by_dir = json.loads(fresh(code))
    assert set(names) <= set(listed)
    assert set(public) <= set(listed)
    assert loaded_by_dir == []  # listing loads none of them


@pytest.mark.parametrize("package", LAZY_PACKAGES)
def test_no_lazy_name_is_also_a_submodule(package):
    """Importing such a submodule directly would make the import system bind the module over
    the package's name (see chainrule.lazy), so such names must be imported eagerly."""
    from chainrule import lazy

    importlib.import_module(package)
    clashes = [name for name in lazy.origins(package)
               if importlib.util.find_spec(f"{package}.{name}") is not None]
    assert clashes == []


def test_unknown_names_in_the_lazy_packages_raise_attribute_error_naming_them():
    for package in (*LAZY_PACKAGES, "chainrule.utils.data"):
        module = importlib.import_module(package)
        with pytest.raises(AttributeError, match=f"{package}.*no_such_name"):
            module.no_such_name  # noqa: B018
        assert not hasattr(module, "NoSuchLayer")


def test_public_spellings_of_the_core_still_work():
    out = fresh("""
import pickle, pydoc
import chainrule
import chainrule.nn as nn
import chainrule.nn.functional as F
from chainrule.nn import TransformerEncoderLayer
from chainrule.utils.data import DataLoader
from chainrule import optim
lstm = nn.LSTM(2, 3)
layer = TransformerEncoderLayer(4, 2, dim_feedforward=8)
copy = pickle.loads(pickle.dumps(lstm))
opt = optim.AdamW(lstm.parameters())
print(isinstance(copy, nn.LSTM), isinstance(layer, nn.Module), type(opt).__name__,
      F.relu(chainrule.tensor([-1.0, 2.0])).tolist(), DataLoader.__name__,
      "LSTM" in pydoc.render_doc(nn), "AdamW" in pydoc.render_doc(optim),
      nn.functional is chainrule.functional, nn.init.__name__)
""")
    assert out.split() == ["True", "True", "AdamW", "[0.0,", "2.0]", "DataLoader", "True",
                           "True", "True", "chainrule.nn.init"]


def test_a_checkpoint_saved_in_one_process_loads_in_a_fresh_one(tmp_path):
    path = tmp_path / "lstm.safetensors"
    fresh(f"""
import chainrule
chainrule.manual_seed(0)
lstm = chainrule.nn.LSTM(2, 3)
chainrule.save({{"model": lstm.state_dict(), "step": 7}}, {str(path)!r})
print(float(lstm.weight_ih_l0.sum()))
""")
    out = fresh(f"""
import chainrule
chainrule.manual_seed(0)
expected = chainrule.nn.LSTM(2, 3)
checkpoint = chainrule.load({str(path)!r})
fresh_model = chainrule.nn.LSTM(2, 3, bias=True)
fresh_model.load_state_dict(checkpoint["model"])
same = all(bool((a == b).all()) for a, b in zip(fresh_model.parameters(), expected.parameters()))
print(same, checkpoint["step"])
""")
    assert out.split() == ["True", "7"]
