"""``chainrule run script.py [args…]``: a PyTorch script runs with torch meaning chainrule;
a PyTorch feature chainrule lacks is one line (status 2); the script's own errors keep their
traceback. Most tests run the command in-process (``cli.main``); one runs it as a user would."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import types

import pytest

from chainrule import cli
from chainrule.app.torch_alias import Alias, MissingFeature, aliased_torch


def script(tmp_path, body: str, name: str = "train.py") -> str:
    path = tmp_path / name
    path.write_text(textwrap.dedent(body))
    return str(path)


def run(capsys, path: str, *args: str) -> tuple[int, str, str]:
    status = cli.main(["run", path, *args])
    out, err = capsys.readouterr()
    return status, out, err


def test_the_script_runs_as_python_would_run_it(tmp_path, capsys):
    (tmp_path / "helper.py").write_text("VALUE = 41\n")
    path = script(tmp_path, """
        import sys
        import torch
        import torch.nn as nn
        import torch.nn.functional as F
        from torch.utils.data import DataLoader, TensorDataset
        import torchvision.transforms as T
        from helper import VALUE
        print(sys.argv[1:], __name__, VALUE + 1)
        x = torch.ones(4, 3)
        print(isinstance(x, torch.Tensor), tuple(F.relu(nn.Linear(3, 2)(x)).shape))
        print(len(DataLoader(TensorDataset(x), batch_size=2)), T.ToTensor.__module__)
        """)
    status, out, err = run(capsys, path, "--lr", "0.1", "data")
    assert (status, err) == (0, "")
    assert out.splitlines() == ["['--lr', '0.1', 'data'] __main__ 42", "True (4, 2)",
                                "2 chainrule.vision.transforms.basic"]
    assert not any(isinstance(m, Alias) for m in list(sys.modules.values()))


def test_the_scripts_exit_status_is_the_commands(tmp_path, capsys):
    assert run(capsys, script(tmp_path, "import sys\nsys.exit(3)\n"))[0] == 3
    assert run(capsys, script(tmp_path, "raise SystemExit\n"))[0] == 0


@pytest.mark.parametrize("line, feature", [
    ("x = torch.sparse_coo_tensor([[0]], [1.0], (1,))", "torch.sparse_coo_tensor"),
    ("from torch.nn import NoSuchLayer", "torch.nn.NoSuchLayer"),
    ("import torch.fx", "torch.fx"),
    ("from torch import fx", "torch.fx"),
    ("import torch.ops", "torch.ops"),
    ("y = torch.ones(2).to_sparse()", "torch.Tensor.to_sparse"),
    ("y = torch.nn.Linear(2, 2).weight.to_sparse()", "torch.Tensor.to_sparse"),
    ("y = torch.ones(2, names=('a', 'b'))", "the argument names= of torch.ones"),
    ("import torchvision.transforms as T\nT.ToPILImage()",
     "torchvision.transforms.ToPILImage (chainrule.vision.transforms has no ToPILImage: "
     "chainrule has no PIL images"),
])
def test_a_missing_pytorch_feature_is_one_line_naming_it_and_the_line(tmp_path, capsys, line,
                                                                       feature):
    path = script(tmp_path, f"import torch\nprint('started')\n{line}\nprint('not reached')\n")
    status, out, err = run(capsys, path)
    assert status == 2 and out == "started\n"
    assert err.startswith(f"chainrule run: {path}:{2 + line.count(chr(10)) + 1} uses {feature}")
    assert err.rstrip().endswith("which chainrule does not provide yet")
    assert len(err.strip().splitlines()) == 1


def test_a_missing_feature_in_a_helper_module_names_the_helpers_line(tmp_path, capsys,
                                                                     monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "model.py").write_text("import torch.nn as nn\n\nLAYER = nn.NoSuchLayer\n")
    status, _, err = run(capsys, script(tmp_path, "import model\n"))
    assert status == 2
    assert err.startswith("chainrule run: model.py:3 uses torch.nn.NoSuchLayer")


def test_the_scripts_own_error_keeps_its_traceback(tmp_path, capsys):
    path = script(tmp_path, """
        import torch

        def load(config):
            return config["epochs"]

        load({})
        """)
    status, _, err = run(capsys, path)
    assert status == 1
    lines = err.strip().splitlines()
    assert lines[0] == "Traceback (most recent call last):"
    assert lines[1] == f'  File "{path}", line 7, in <module>'
    assert lines[-1] == "KeyError: 'epochs'"
    assert "runpy" not in err and "chainrule" not in err


def test_the_scripts_own_attribute_error_is_not_taken_for_a_missing_feature(tmp_path, capsys):
    path = script(tmp_path, """
        import torch.nn as nn

        class Net(nn.Module):
            def forward(self, x):
                return self.layer(x)

        Net()(1)
        """)
    status, _, err = run(capsys, path)
    assert status == 1 and "Traceback" in err and "AttributeError" in err


def test_a_syntax_error_shows_pythons_message_without_the_runners_frames(tmp_path, capsys):
    path = script(tmp_path, "import torch\nx = (1,\n")
    status, _, err = run(capsys, path)
    assert status == 1
    assert f'File "{path}", line 2' in err and "SyntaxError" in err
    assert "runpy" not in err and "Traceback" not in err


def test_a_missing_script_is_one_line(tmp_path, capsys):
    status, _, err = run(capsys, str(tmp_path / "nowhere.py"))
    assert status == 2 and "can't open file" in err and len(err.strip().splitlines()) == 1


def test_the_aliases_last_only_for_the_run_and_a_real_torch_comes_back(monkeypatch):
    sentinel = types.ModuleType("torch")
    monkeypatch.setitem(sys.modules, "torch", sentinel)
    before = {k: v for k, v in sys.modules.items() if k.split(".")[0] == "torch"}
    with aliased_torch():
        import torch
        import torch.nn

        assert torch is not sentinel and torch.nn.Linear.__module__.startswith("chainrule.nn")
        with pytest.raises(MissingFeature, match="torch.nn.NoSuchLayer"):
            torch.nn.NoSuchLayer  # noqa: B018
        assert not hasattr(torch, "ops")  # chainrule.ops is not PyTorch's torch.ops
    assert sys.modules["torch"] is sentinel
    assert {k: v for k, v in sys.modules.items() if k.split(".")[0] == "torch"} == before


def test_settings_written_through_an_alias_reach_chainrule():
    import chainrule

    with aliased_torch():
        import torch

        torch.some_setting = 3
        assert torch.some_setting == 3
    assert chainrule.some_setting == 3
    del chainrule.some_setting


def test_python_dash_m_chainrule_run(tmp_path):
    path = script(tmp_path, "import torch\nprint(torch.zeros(2).sum().item())\nimport torch.fx\n")
    result = subprocess.run([sys.executable, "-m", "chainrule", "run", path], capture_output=True,
                            text=True, timeout=120)
    assert result.stdout == "0.0\n"
    assert result.returncode == 2
    assert result.stderr == f"chainrule run: {path}:3 uses torch.fx, which chainrule does not " \
                            "provide yet\n"


def test_functions_named_in_a_type_error_get_their_pytorch_names():
    from chainrule.app.script import _torch_function

    assert _torch_function("ones") == "torch.ones"
    assert _torch_function("Linear.__init__") == "torch.nn.Linear"
    assert _torch_function("Tensor.reshape") == "torch.Tensor.reshape"
    assert _torch_function("my_helper") is None


def test_only_imports_from_torch_and_torchvision_are_features():
    from chainrule.app.script import missing_feature

    assert missing_feature(ImportError("cannot import name 'LSTM' from 'torch.nn' "
                                       "(unknown location)")) == "torch.nn.LSTM"
    assert missing_feature(ImportError("cannot import name 'x' from 'numpy'")) is None
    assert missing_feature(ImportError("No module named 'yaml'")) is None
