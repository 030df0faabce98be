"""``chainrule.vision``: torchvision's names for what tutorials use (``torchvision`` maps here
under ``chainrule run``).

``datasets`` (``FashionMNIST``, ``MNIST``, read from local files), ``transforms`` (on NumPy
image arrays and Tensors; chainrule has no PIL) and ``utils`` (``make_grid``,
``save_image``).
"""

from __future__ import annotations

from . import datasets, transforms, utils

__all__ = ["datasets", "transforms", "utils"]
