"""The suite's optional dependencies: PyTorch (the pinned reference the parity tests compare
with) and matplotlib (the pictures). `pip install -e '.[test]'` installs both.

A test module that needs one marks itself with ``pytestmark = needs_torch`` (or
``needs_matplotlib``) rather than calling ``pytest.importorskip`` at module level: then a
machine without it reports each of the module's tests as skipped (a module-level skip would
count a whole module as one; tests/test_suite_rules.py forbids it), and in CI, where a skip for
a missing dependency is a failure (conftest.py), each of them fails.
"""

from __future__ import annotations

import importlib.util

import pytest

try:
    import torch
except ImportError:
    torch = None

needs_torch = pytest.mark.skipif(torch is None,
                                 reason="could not import 'torch' (the pinned test reference)")
needs_matplotlib = pytest.mark.skipif(importlib.util.find_spec("matplotlib") is None,
                                      reason="could not import 'matplotlib'")

try:
    import sklearn
except ImportError:
    sklearn = None

needs_sklearn = pytest.mark.skipif(sklearn is None, reason="could not import 'sklearn'")
needs_pandas = pytest.mark.skipif(importlib.util.find_spec("pandas") is None,
                                  reason="could not import 'pandas' (DataFrame input)")
needs_onnx = pytest.mark.skipif(importlib.util.find_spec("onnx") is None,
                                reason="could not import 'onnx'")
needs_onnxruntime = pytest.mark.skipif(importlib.util.find_spec("onnxruntime") is None,
                                       reason="could not import 'onnxruntime'")
