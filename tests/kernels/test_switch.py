"""The one switch between fast paths and reference bodies."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from chainrule import kernels
from chainrule.kernels import switch


def test_fast_paths_lists_every_entry_of_the_switch_table():
    assert kernels.fast_paths() == switch.FAST
    assert kernels.fast_paths() is not switch.FAST  # a copy: changing it changes nothing


def test_use_fast_turns_named_kernels_or_all_off_and_on(monkeypatch):
    monkeypatch.setattr(switch, "FAST", {"a": True, "b": True})
    kernels.use_fast(False, "a")
    assert kernels.fast_paths() == {"a": False, "b": True}
    kernels.use_fast(False)
    assert kernels.fast_paths() == {"a": False, "b": False}
    kernels.use_fast()
    assert kernels.fast_paths() == {"a": True, "b": True}


def test_an_unknown_kernel_name_is_a_value_error_naming_it():
    with pytest.raises(ValueError, match="no kernel with a fast path is named relu_fast"):
        kernels.use_fast(False, "relu_fast")


def test_the_environment_variable_selects_the_reference_bodies_at_import(monkeypatch):
    real = dict(switch.FAST)
    monkeypatch.setattr(switch, "FAST", {"a": True})
    monkeypatch.setenv(switch.ENV_VARIABLE, "reference")
    switch._from_environment()
    assert switch.FAST == {"a": False}
    code = "from chainrule import kernels; print(kernels.fast_paths())"
    env = {**os.environ, switch.ENV_VARIABLE: "reference"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == str({name: False for name in real})
