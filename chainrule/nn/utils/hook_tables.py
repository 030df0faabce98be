"""Taking a hook off a module by its key in one of the module's hook tables, as the
``remove_*`` functions of the legacy reparametrizations do (PyTorch deletes the entry; here
the hook count that ``Module.__call__`` tests, ``nn/hooks.py``, is kept right as well)."""

from __future__ import annotations

from typing import Any

from ..hooks import COUNTED_TABLES, RemovableHandle, watch


def remove_hook(module: Any, table: str, key: int) -> None:
    """Remove the hook registered under ``key`` in ``module.<table>``.

    A forward or backward hook is removed as its handle's ``remove()`` would, counting it
    down. Another table's entry is only deleted: a copied module's hooks of those tables are
    not counted (``hooks.brought_along``), so counting down could hide other hooks, while a
    count left high is harmless and ends when the module is collected."""
    if table not in COUNTED_TABLES:
        getattr(module, table).pop(key, None)
        return
    handle = RemovableHandle(getattr(module, table))
    handle.id = key
    handle.owner = watch(module)
    handle.remove()


def find_hook(module: Any, table: str, kind: type, name: str) -> int | None:
    """The key of the hook of class ``kind`` for the tensor ``name`` (its ``.name``, or its
    ``.fn.name``) in ``module.<table>``; None when there is none."""
    for key, hook in getattr(module, table).items():
        owner = getattr(hook, "fn", hook)
        if isinstance(hook, kind) and getattr(owner, "name", None) == name:
            return key
    return None
