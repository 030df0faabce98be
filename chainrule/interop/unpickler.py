"""A pickle interpreter for data only, written here for the opcodes that ``torch.save`` emits
(layer L3). It never imports a module and never calls anything the caller did not hand it.

The caller supplies three functions:

* ``find_global(module, name)`` for GLOBAL and STACK_GLOBAL: returns a value from the caller's
  own fixed table (a ``Rebuild`` to be called by REDUCE, or a marker such as a storage type),
  or raises. No name is ever looked up in ``sys.modules`` or imported.
* ``persistent_load(pid)`` for BINPERSID (PyTorch's storages).
* ``build(obj, state)`` for BUILD: applies ``state`` where the caller allows it, or raises.

REDUCE calls only a ``Rebuild`` (one of the caller's functions, which check their arguments
themselves); anything else on the stack in its place is refused. Every opcode checks the types
of its operands: SETITEM(S) only on dicts made here, APPEND(S) only on lists made here, memo
lookups only of indices that exist, lengths only within the bytes that remain. Tuples may nest
at most ``MAX_TUPLE_DEPTH`` deep, so that hashing one (as a dict key) cannot exhaust the C
stack. Every problem raises ``PickleError`` with the byte position and the opcode.

Opcodes (pickle protocols 2 to 5, the data subset): PROTO, FRAME, STOP, MARK, POP, POP_MARK,
EMPTY_DICT/LIST/TUPLE, DICT, LIST, TUPLE, TUPLE1-3, BINUNICODE, SHORT_BINUNICODE, BINUNICODE8,
BINBYTES, SHORT_BINBYTES, BINBYTES8, BININT, BININT1, BININT2, LONG1, LONG4, BINFLOAT, NONE,
NEWTRUE, NEWFALSE, SETITEM(S), APPEND(S), BINPUT, LONG_BINPUT, BINGET, LONG_BINGET, MEMOIZE,
GLOBAL, STACK_GLOBAL, REDUCE, BUILD, BINPERSID. Any other byte is an unknown opcode.
"""

from __future__ import annotations

import struct
from typing import Any, Callable

MAX_TUPLE_DEPTH = 1000
_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.")


class PickleError(ValueError):
    """The pickle is malformed or asks for something this interpreter does not do."""


class Rebuild:
    """A function of the caller's table that REDUCE may call: ``fn(*args)``."""

    __slots__ = ("name", "fn")

    def __init__(self, name: str, fn: Callable[..., Any]) -> None:
        self.name, self.fn = name, fn

    def __repr__(self) -> str:
        return f"<rebuild {self.name}>"


class _Mark:
    __slots__ = ()


_MARK = _Mark()


class Interpreter:
    """Run one pickle: ``Interpreter(data, find_global, persistent_load, build).run()``."""

    def __init__(self, data: bytes, find_global: Callable[[str, str], Any],
                 persistent_load: Callable[[Any], Any],
                 build: Callable[[Any, Any], None]) -> None:
        self.data, self.pos = data, 0
        self.find_global, self.persistent_load, self.build = find_global, persistent_load, build
        self.stack: list[Any] = []
        self.marks: list[int] = []
        self.memo: dict[int, Any] = {}
        self.tuple_depth: dict[int, tuple[int, tuple]] = {}  # id -> (depth, the tuple)
        self.opcode_at = 0

    # ------------------------------------------------------------------ driver

    def run(self) -> Any:
        while True:
            self.opcode_at = self.pos
            code = self.take(1)[0]
            handler = _HANDLERS.get(code)
            if handler is None:
                raise PickleError(f"byte {self.opcode_at}: unknown or unsupported opcode "
                                  f"{bytes([code])!r}")
            if code == 0x2E:  # STOP
                return self.stop()
            handler(self)

    def fail(self, what: str) -> PickleError:
        name = _NAMES.get(self.data[self.opcode_at], "?") if self.opcode_at < len(self.data) \
            else "?"
        return PickleError(f"byte {self.opcode_at} ({name}): {what}")

    def key_context(self) -> str:
        """' (the value of key 'weight')' when the value being built is a dict's value (SETITEM,
        or SETITEMS after a MARK), directly or inside a rebuild call (a Parameter's tensor);
        '' otherwise. Names the entry in error messages; the innermost dict wins."""
        bounds = [*self.marks, len(self.stack)]
        for start, end in reversed(list(zip([0, *bounds[:-1]], bounds))):
            pending = self.stack[start:end]
            if pending and isinstance(pending[-1], Rebuild):
                pending = pending[:-1]  # the call whose argument is being built
            after_dict = start in self.marks and start and type(self.stack[start - 1]) is dict
            if ((after_dict and len(pending) % 2) or (
                    len(pending) >= 2 and type(pending[-2]) is dict)) \
                    and (type(pending[-1]) is str or (type(pending[-1]) is int
                                                      and pending[-1].bit_length() < 64)):
                return f" (the value of key {pending[-1]!r:.80})"
        return ""

    def take(self, n: int) -> bytes:
        if n > len(self.data) - self.pos:
            raise PickleError(f"byte {self.opcode_at}: the pickle is truncated (needs {n} more "
                              f"bytes, {len(self.data) - self.pos} left)")
        chunk = self.data[self.pos:self.pos + n]
        self.pos += n
        return chunk

    def uint(self, n: int) -> int:
        return int.from_bytes(self.take(n), "little")

    def push(self, value: Any) -> None:
        self.stack.append(value)

    def pop(self) -> Any:
        if not self.stack or (self.marks and len(self.stack) == self.marks[-1]):
            raise self.fail("the stack is empty")
        return self.stack.pop()

    def top(self) -> Any:
        if not self.stack or (self.marks and len(self.stack) == self.marks[-1]):
            raise self.fail("the stack is empty")
        return self.stack[-1]

    def pop_mark(self) -> list[Any]:
        if not self.marks:
            raise self.fail("no MARK to pop to")
        start = self.marks.pop()
        items = self.stack[start:]
        del self.stack[start:]
        return items

    def stop(self) -> Any:
        if len(self.stack) != 1 or self.marks:
            raise self.fail(f"the pickle ends with {len(self.stack)} values on the stack and "
                            f"{len(self.marks)} open MARKs (expected one value)")
        if self.pos != len(self.data):
            raise self.fail(f"{len(self.data) - self.pos} bytes follow STOP")
        return self.stack.pop()

    def make_tuple(self, items: list[Any]) -> tuple:
        depth = 1 + max((self.tuple_depth.get(id(i), (1,))[0] for i in items
                         if type(i) is tuple), default=0)
        if depth > MAX_TUPLE_DEPTH:
            raise self.fail(f"tuples nest more than {MAX_TUPLE_DEPTH} deep")
        result = tuple(items)
        if depth > 1:
            # NOTE: keyed by id(), so the entry holds the tuple too: alive, its id is never
            # reused by another tuple during the run.
            self.tuple_depth[id(result)] = (depth, result)
        return result


def _op(code: int, name: str, table: dict, names: dict) -> Callable:
    def register(fn: Callable) -> Callable:
        table[code], names[code] = fn, name
        return fn
    return register


_HANDLERS: dict[int, Callable[[Interpreter], None]] = {}
_NAMES: dict[int, str] = {}


def _register(code: bytes, name: str) -> Callable:
    return _op(code[0], name, _HANDLERS, _NAMES)


# --------------------------------------------------------------------- framing and stack


@_register(b"\x80", "PROTO")
def _proto(vm: Interpreter) -> None:
    version = vm.uint(1)
    if not 2 <= version <= 5 or vm.opcode_at != 0:
        raise vm.fail(f"protocol {version} at byte {vm.opcode_at} (expected 2 to 5, first)")


@_register(b"\x95", "FRAME")
def _frame(vm: Interpreter) -> None:
    size = vm.uint(8)
    if size > len(vm.data) - vm.pos:
        raise vm.fail(f"a frame of {size} bytes is longer than the rest of the pickle")


@_register(b".", "STOP")
def _stop(vm: Interpreter) -> None:  # handled in run(); registered so that it is known
    raise AssertionError("unreachable")


@_register(b"(", "MARK")
def _mark(vm: Interpreter) -> None:
    vm.marks.append(len(vm.stack))


@_register(b"0", "POP")
def _pop(vm: Interpreter) -> None:
    vm.pop()


@_register(b"1", "POP_MARK")
def _pop_mark(vm: Interpreter) -> None:
    vm.pop_mark()


# --------------------------------------------------------------------- containers


@_register(b"}", "EMPTY_DICT")
def _empty_dict(vm: Interpreter) -> None:
    vm.push({})


@_register(b"]", "EMPTY_LIST")
def _empty_list(vm: Interpreter) -> None:
    vm.push([])


@_register(b")", "EMPTY_TUPLE")
def _empty_tuple(vm: Interpreter) -> None:
    vm.push(())


@_register(b"l", "LIST")
def _list(vm: Interpreter) -> None:
    vm.push(vm.pop_mark())


@_register(b"t", "TUPLE")
def _tuple(vm: Interpreter) -> None:
    vm.push(vm.make_tuple(vm.pop_mark()))


def _tuple_n(n: int) -> Callable[[Interpreter], None]:
    def handler(vm: Interpreter) -> None:
        items = [vm.pop() for _ in range(n)][::-1]
        vm.push(vm.make_tuple(items))
    return handler


for _n, _code in ((1, b"\x85"), (2, b"\x86"), (3, b"\x87")):
    _register(_code, f"TUPLE{_n}")(_tuple_n(_n))


@_register(b"d", "DICT")
def _dict(vm: Interpreter) -> None:
    items = vm.pop_mark()
    result: dict = {}
    _set_items(vm, result, items)
    vm.push(result)


@_register(b"s", "SETITEM")
def _setitem(vm: Interpreter) -> None:
    value = vm.pop()
    key = vm.pop()
    _set_items(vm, _target(vm, dict), [key, value])


@_register(b"u", "SETITEMS")
def _setitems(vm: Interpreter) -> None:
    items = vm.pop_mark()
    _set_items(vm, _target(vm, dict), items)


@_register(b"a", "APPEND")
def _append(vm: Interpreter) -> None:
    value = vm.pop()
    _target(vm, list).append(value)


@_register(b"e", "APPENDS")
def _appends(vm: Interpreter) -> None:
    items = vm.pop_mark()
    _target(vm, list).extend(items)


def _target(vm: Interpreter, kind: type) -> Any:
    target = vm.top()
    if type(target) is not kind:
        raise vm.fail(f"expected a {kind.__name__} to add to, found {type(target).__name__}")
    return target


def _set_items(vm: Interpreter, target: dict, items: list[Any]) -> None:
    if len(items) % 2:
        raise vm.fail("an odd number of items for a dict")
    for key, value in zip(items[::2], items[1::2]):
        if not _is_key(key):
            raise vm.fail(f"a dict key must be a string, a number, None or a tuple of them, "
                          f"not {type(key).__name__}")
        target[key] = value


def _is_key(key: Any) -> bool:
    if type(key) is tuple:
        return all(_is_flat_key(k) for k in key)
    return _is_flat_key(key)


def _is_flat_key(key: Any) -> bool:
    return key is None or type(key) in (str, int, float, bool, bytes)


# --------------------------------------------------------------------- scalars


def _text(vm: Interpreter, n: int) -> str:
    raw = vm.take(n)
    try:
        return raw.decode("utf-8", "surrogatepass")
    except UnicodeDecodeError:
        raise vm.fail("a string that is not valid UTF-8") from None


@_register(b"X", "BINUNICODE")
def _binunicode(vm: Interpreter) -> None:
    vm.push(_text(vm, vm.uint(4)))


@_register(b"\x8c", "SHORT_BINUNICODE")
def _short_binunicode(vm: Interpreter) -> None:
    vm.push(_text(vm, vm.uint(1)))


@_register(b"\x8d", "BINUNICODE8")
def _binunicode8(vm: Interpreter) -> None:
    vm.push(_text(vm, vm.uint(8)))


@_register(b"B", "BINBYTES")
def _binbytes(vm: Interpreter) -> None:
    vm.push(vm.take(vm.uint(4)))


@_register(b"C", "SHORT_BINBYTES")
def _short_binbytes(vm: Interpreter) -> None:
    vm.push(vm.take(vm.uint(1)))


@_register(b"\x8e", "BINBYTES8")
def _binbytes8(vm: Interpreter) -> None:
    vm.push(vm.take(vm.uint(8)))


@_register(b"J", "BININT")
def _binint(vm: Interpreter) -> None:
    vm.push(int.from_bytes(vm.take(4), "little", signed=True))


@_register(b"K", "BININT1")
def _binint1(vm: Interpreter) -> None:
    vm.push(vm.uint(1))


@_register(b"M", "BININT2")
def _binint2(vm: Interpreter) -> None:
    vm.push(vm.uint(2))


@_register(b"\x8a", "LONG1")
def _long1(vm: Interpreter) -> None:
    vm.push(int.from_bytes(vm.take(vm.uint(1)), "little", signed=True))


@_register(b"\x8b", "LONG4")
def _long4(vm: Interpreter) -> None:
    size = int.from_bytes(vm.take(4), "little", signed=True)
    if size < 0:
        raise vm.fail(f"a negative length {size}")
    vm.push(int.from_bytes(vm.take(size), "little", signed=True))


@_register(b"G", "BINFLOAT")
def _binfloat(vm: Interpreter) -> None:
    vm.push(struct.unpack(">d", vm.take(8))[0])


@_register(b"N", "NONE")
def _none(vm: Interpreter) -> None:
    vm.push(None)


@_register(b"\x88", "NEWTRUE")
def _true(vm: Interpreter) -> None:
    vm.push(True)


@_register(b"\x89", "NEWFALSE")
def _false(vm: Interpreter) -> None:
    vm.push(False)


# --------------------------------------------------------------------- memo


def _put(vm: Interpreter, index: int) -> None:
    vm.memo[index] = vm.top()


def _get(vm: Interpreter, index: int) -> None:
    if index not in vm.memo:
        raise vm.fail(f"memo index {index} was never stored")
    vm.push(vm.memo[index])


_register(b"q", "BINPUT")(lambda vm: _put(vm, vm.uint(1)))
_register(b"r", "LONG_BINPUT")(lambda vm: _put(vm, vm.uint(4)))
_register(b"h", "BINGET")(lambda vm: _get(vm, vm.uint(1)))
_register(b"j", "LONG_BINGET")(lambda vm: _get(vm, vm.uint(4)))
_register(b"\x94", "MEMOIZE")(lambda vm: _put(vm, len(vm.memo)))


# --------------------------------------------------------------------- objects


def _line(vm: Interpreter) -> str:
    end = vm.data.find(b"\n", vm.pos, vm.pos + 257)
    if end < 0 and len(vm.data) - vm.pos < 257:
        raise vm.fail("the pickle is truncated inside a GLOBAL name")
    if end < 0:
        raise vm.fail("a GLOBAL name that does not end within 256 bytes")
    raw = vm.take(end - vm.pos)
    vm.pos += 1
    return raw.decode("latin-1")


def _global(vm: Interpreter, module: Any, name: Any) -> None:
    if not (isinstance(module, str) and isinstance(name, str)):
        raise vm.fail("a global's module and name must be strings")
    if not (set(module) <= _NAME_CHARS and set(name) <= _NAME_CHARS):
        raise vm.fail(f"global {module[:80]!r}.{name[:80]!r} has characters no Python name has")
    try:
        vm.push(vm.find_global(module, name))
    except PickleError as err:
        raise vm.fail(str(err)) from None


@_register(b"c", "GLOBAL")
def _global_op(vm: Interpreter) -> None:
    module = _line(vm)
    _global(vm, module, _line(vm))


@_register(b"\x93", "STACK_GLOBAL")
def _stack_global(vm: Interpreter) -> None:
    name = vm.pop()
    _global(vm, vm.pop(), name)


@_register(b"R", "REDUCE")
def _reduce(vm: Interpreter) -> None:
    args = vm.pop()
    fn = vm.pop()
    if not isinstance(fn, Rebuild):
        raise vm.fail(f"REDUCE may call only the rebuild functions of the table, not a "
                      f"{type(fn).__name__}")
    if type(args) is not tuple:
        raise vm.fail(f"the arguments of {fn.name} must be a tuple, not {type(args).__name__}")
    try:
        vm.push(fn.fn(*args))
    except (PickleError, TypeError) as err:  # TypeError: a wrong number of arguments
        raise vm.fail(f"{fn.name}{vm.key_context()}: {err}") from None


@_register(b"b", "BUILD")
def _build(vm: Interpreter) -> None:
    state = vm.pop()
    try:
        vm.build(vm.top(), state)
    except PickleError as err:
        raise vm.fail(str(err)) from None


@_register(b"Q", "BINPERSID")
def _binpersid(vm: Interpreter) -> None:
    pid = vm.pop()
    try:
        vm.push(vm.persistent_load(pid))
    except PickleError as err:
        raise vm.fail(f"{err}{vm.key_context()}") from None


def run(data: bytes, find_global: Callable[[str, str], Any],
        persistent_load: Callable[[Any], Any], build: Callable[[Any, Any], None]) -> Any:
    """Interpret the pickle ``data`` and return the object it describes.

    Raises:
        PickleError: naming the byte position and the opcode, for anything malformed or
            refused (including what the three callbacks raise as PickleError).
    """
    return Interpreter(data, find_global, persistent_load, build).run()
