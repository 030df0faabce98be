"""``torch.func``'s transforms on chainrule's autograd.

* ``functional_call``, ``stack_module_state``: a module as a function of its tensors.
* ``grad``, ``grad_and_value``, ``vjp``, ``jacrev``: reverse-mode derivatives of a function
  (autodiff.py, jacobian.py).
* ``vmap``: a function mapped over a batch dimension, by a loop (batching.py); ``vmap(grad(f))``
  gives per-example gradients.
* ``jacfwd``, ``jvp``, ``linearize`` (forward mode) and ``hessian`` (second derivatives), and a
  gradient transform nested in another, raise NotImplementedError: chainrule has reverse mode
  only, and its backward is once-differentiable.

Example (per-example gradients of a model, as in PyTorch's tutorial):
    >>> import chainrule
    >>> from chainrule.func import functional_call, grad, vmap
    >>> model = chainrule.nn.Linear(3, 1)
    >>> params = {k: v.detach() for k, v in model.named_parameters()}
    >>> def loss(params, x, y):
    ...     return ((functional_call(model, params, (x,)) - y) ** 2).sum()
    >>> x, y = chainrule.randn(5, 3), chainrule.randn(5, 1)
    >>> per_example = vmap(grad(loss), in_dims=(None, 0, 0))(params, x, y)
    >>> tuple(per_example["weight"].shape)
    (5, 1, 3)
"""

from __future__ import annotations

from .autodiff import grad, grad_and_value, vjp
from .batching import vmap
from .call import functional_call, stack_module_state
from .jacobian import hessian, jacfwd, jacrev, jvp, linearize

__all__ = ["functional_call", "grad", "grad_and_value", "hessian", "jacfwd", "jacrev", "jvp",
           "linearize", "stack_module_state", "vjp", "vmap"]
