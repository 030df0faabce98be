"""Private array kernels: the few loops that ops and optimizers run most, by what they compute.

Each kernel is a function whose name says its math (``axpby_`` is y ← αx + βy in place,
``relu`` is max(x, 0), ``column_sums`` is 1ᵀM, ...). Its body is the plain NumPy form, the
*reference*; where a measured whole workload gains at least 5% from a faster route to the same
result, that *fast path* sits beside it, chosen at run time by one switch (today ``over_batch``,
whose fast path splits the batch over threads, and ``fuse_relu``, the one fast path
above the kernels, which ``nn.Sequential`` reads (nn/fusion.py); the other candidates
measured earned less, benchmarks/README.md):

* ``use_fast(False)`` (or the environment variable ``CHAINRULE_KERNELS=reference`` when
  chainrule is imported) makes every kernel run its reference body;
  ``use_fast(False, name)`` does it for the kernels named.
* ``fast_paths()`` lists the kernels that have a fast path and whether each is on.

The tests in tests/kernels/ check every fast path against its reference on special values,
strided arrays and both float dtypes; ``python -m benchmarks`` measures what each one earns
(the figures and the decisions are in benchmarks/README.md). This package imports NumPy only,
so every layer above may use it.
"""

from __future__ import annotations

from .elementwise import axpby_, relu, relu_grad
from .parallel import get_num_threads, over_batch, set_num_threads
from .reductions import column_sums
from .subnormals import flush_subnormals
from .switch import fast_paths, use_fast

__all__ = ["axpby_", "column_sums", "fast_paths", "flush_subnormals", "get_num_threads",
           "over_batch", "relu", "relu_grad", "set_num_threads", "use_fast"]
