"""The op table: one ``OpSpec`` row per Tensor operation (an OpInfo-like registry).

Every test in ``tests/ops`` is driven by ``SPECS``. A row gives:

* ``op``: the chainrule call, on tensors only (constant arguments such as a dim or an index are
  part of the row, written in a lambda);
* ``ref``: the same computation written independently in NumPy, on arrays;
* ``torch_op``: ``SAME`` when ``op`` works unchanged on torch tensors (it uses only methods and
  operators both libraries share), a callable ``torch_op(torch, *tensors)`` when torch spells it
  differently, or None when torch has no such op;
* ``cases``: the input shapes, one tuple of shapes per case;
* ``domain``: a sampler per input (or one for all) that draws inside the op's domain, away
  from its kinks and poles by a margin (docs/reliability.md R-GRAD-4);
* ``big``: the larger shapes of the random-direction VJP check (R-GRAD-2);
* ``grad``: False for ops with no gradient (comparisons, argmax, floor division, sign);
* ``gradcheck_eps``, ``gradcheck_atol``, ``gradcheck_rtol``: the finite-difference step and
  the tolerances, where a row needs other than gradcheck's defaults (float32 outputs).

Adding an op: add a row here (see docs/architecture.md, "Adding an op").
"""

from __future__ import annotations

from tests.ops.spec_rows_api import API
from tests.ops.spec_rows_math import ARITHMETIC, COMPARISONS, ELEMENTWISE, MATMUL, SOFTMAX
from tests.ops.spec_rows_misc import MISC
from tests.ops.spec_rows_pointwise import POINTWISE
from tests.ops.spec_rows_select import SELECT
from tests.ops.spec_rows_special import SPECIAL_ROWS
from tests.ops.spec_rows_structure import (
    CONVERSION,
    EXPAND,
    INDEXING,
    JOIN_SPLIT,
    MAX_MIN,
    NORMS,
    PERMUTE,
    PROD,
    RESHAPE,
    SUM_MEAN,
    VAR_STD,
)
from tests.ops.spec_rows_structure2 import STRUCTURE2
from tests.ops.spec_types import (  # noqa: F401 - the tests import helpers from here
    OpSpec,
    all_cases,
    as_outputs,
    fortran,
    noncontiguous_case,
    strided,
    strided_rows,
    strided_rows_case,
    to_chainrule,
)

SPECS: list[OpSpec] = (
    ARITHMETIC + MATMUL + COMPARISONS + ELEMENTWISE + SOFTMAX + SUM_MEAN + VAR_STD + PROD
    + MAX_MIN + NORMS + RESHAPE + PERMUTE + EXPAND + JOIN_SPLIT + INDEXING + CONVERSION
    + SELECT
    + API
    + POINTWISE + STRUCTURE2 + MISC + SPECIAL_ROWS
)
SPECS_BY_NAME = {spec.name: spec for spec in SPECS}
DIFFERENTIABLE = [spec for spec in SPECS if spec.grad]
