"""``import chainrule`` loads neither chainrule.sklearn nor scikit-learn, and loading
chainrule.sklearn does not import scikit-learn: only the estimators' methods do. Needs no
scikit-learn."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def loaded_after(statement: str) -> set[str]:
    code = f"import sys, json\n{statement}\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, check=True).stdout
    return set(json.loads(out))


def test_import_chainrule_loads_neither_the_estimators_nor_scikit_learn():
    modules = loaded_after("import chainrule")
    assert "chainrule.sklearn" not in modules and "sklearn" not in modules
    assert "chainrule.nn" in modules  # the probe sees what is imported


def test_loading_the_estimators_does_not_import_scikit_learn():
    modules = loaded_after("from chainrule.sklearn import NeuralNetClassifier")
    assert "chainrule.sklearn" in modules and "sklearn" not in modules
