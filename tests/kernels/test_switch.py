"""The one switch between fast paths and reference bodies."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from chainrule import kernels

from .helpers import reference


def test_every_kernel_with_a_fast_path_is_listed_and_on_by_default():
    assert kernels.fast_paths() == {"relu": True, "column_sums": True, "flush_subnormals": True}


def test_use_fast_turns_named_kernels_or_all_off_and_on():
    with reference("relu"):
        assert kernels.fast_paths() == {"relu": False, "column_sums": True,
                                        "flush_subnormals": True}
    with reference():
        assert not any(kernels.fast_paths().values())
    assert all(kernels.fast_paths().values())


def test_an_unknown_kernel_name_is_a_value_error_naming_it():
    with pytest.raises(ValueError, match="no kernel with a fast path is named relu_fast"):
        kernels.use_fast(False, "relu_fast")
    assert all(kernels.fast_paths().values())


def test_the_environment_variable_selects_the_reference_bodies_at_import():
    code = "from chainrule import kernels; print(sorted(kernels.fast_paths().items()))"
    env = {**os.environ, "CHAINRULE_KERNELS": "reference"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == str(sorted({"relu": False, "column_sums": False,
                                      "flush_subnormals": False}.items()))
