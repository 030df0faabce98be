"""chainrule.viz imports without matplotlib, and plotting never touches pyplot or the backend.

Each check runs in a fresh interpreter, so what this test session imported does not count.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest


def run(code: str) -> str:
    result = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_import_does_not_load_matplotlib():
    assert run("""
        import sys
        import chainrule.viz
        print("matplotlib" in sys.modules)
    """) == "False"


def test_without_matplotlib_dot_works_and_plots_say_how_to_install():
    out = run("""
        import sys
        sys.modules["matplotlib"] = None  # makes `import matplotlib` fail
        import chainrule
        from chainrule import viz
        x = chainrule.ones(2, requires_grad=True)
        assert "Sum" in viz.to_dot(x.sum())
        try:
            viz.plot_history({"loss": [1.0]})
        except ImportError as error:
            print(error)
    """)
    assert "pip install" in out and "matplotlib" in out


def test_plotting_leaves_pyplot_and_the_backend_alone():
    pytest.importorskip("matplotlib")
    out = run("""
        import sys
        import numpy as np
        import matplotlib
        matplotlib.use("svg")  # the user's choice, which must survive
        import chainrule
        from chainrule import viz
        x = chainrule.ones(2, requires_grad=True)
        figures = [
            viz.plot_history({"loss": [1.0, 0.5]}),
            viz.plot_confusion_matrix(np.eye(2, dtype=int)),
            viz.plot_images(np.zeros((2, 4, 4))),
            viz.plot_activations(["relu"]),
            viz.plot_function(lambda t: t * t, (-1, 1), [0.5]),
            viz.plot_decision_boundary(lambda t: t, np.eye(2), [0, 1], resolution=5),
        ]
        import io
        png = io.BytesIO()
        viz.draw_graph(x.sum(), png)
        assert png.getvalue().startswith(b"\\x89PNG")
        print(matplotlib.get_backend(), "matplotlib.pyplot" in sys.modules,
              {type(f).__name__ for f in figures})
    """)
    assert out == "svg False {'Figure'}"
