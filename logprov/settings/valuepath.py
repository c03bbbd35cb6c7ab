"""Value paths: safe, precompiled expressions naming where a value lives at call time.

A value path such as ``settings.observations.datastore``, ``args[0]``,
``datasets["stacked"].name`` or ``location(hdu_type="events").path()`` is a root name
followed by attribute, index and call steps. Paths are parsed with `ast` and only a small,
side-effect-free subset of Python is accepted; they are never evaluated with `eval`.

Definitions are data: a path never names a private or dunder attribute, never starts at a
system module's name or calls a built-in function, and at call time never reaches a module,
``os.environ`` or ``sys.modules``, nor anything through them (`reachable`).
"""

from __future__ import annotations

import ast
import copy
import functools
import os
import sys
import types
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Union

from ..errors import LogprovError, ValuePathError

__all__ = [
    "PLAIN_TYPES",
    "AttributeStep",
    "CallStep",
    "IndexStep",
    "Step",
    "ValuePath",
    "ValuePathLookupError",
    "ValuePathRefusedError",
    "compile_path",
    "reachable",
]

_ARGUMENT_ROOTS = frozenset({"args", "kwargs"})
_SCOPE_ROOTS = frozenset({"args", "kwargs", "self", "cls", "result"})
_MUTABLE_LITERALS = (list, dict, set)
#: Root names refused when definitions are loaded: modules that give access to the system.
#: (Only names no argument or attribute would have: the call-time check covers any other.)
_SYSTEM_MODULES = frozenset({
    "os", "posix", "nt", "sys", "subprocess", "shutil", "ctypes", "importlib", "builtins", "pty",
    "multiprocessing", "pickle", "marshal", "runpy",
})
#: Built-in functions refused as the root of a call step.
_BUILTIN_CALLS = frozenset({
    "open", "eval", "exec", "compile", "getattr", "setattr", "delattr", "globals", "locals", "vars",
    "input", "breakpoint", "exit", "quit", "help", "dir",
})
_SYS_MODULES = sys.modules
_ENVIRON_TYPE = type(os.environ)
#: Types seen whose values are neither modules nor the environment (a bounded number): for
#: them `reachable` is a set lookup and a check that the value is not ``sys.modules``.
PLAIN_TYPES: set[type] = {int, float, complex, bool, str, bytes, list, tuple, dict, set, frozenset, type(None)}
_PLAIN_TYPES_LIMIT = 4096

_NODE_WORDS = {
    ast.BinOp: "an operator expression",
    ast.UnaryOp: "an operator expression",
    ast.BoolOp: "a boolean expression",
    ast.Compare: "a comparison",
    ast.Lambda: "a lambda",
    ast.IfExp: "a conditional expression",
    ast.ListComp: "a comprehension",
    ast.SetComp: "a comprehension",
    ast.DictComp: "a comprehension",
    ast.GeneratorExp: "a generator expression",
    ast.Starred: "a starred argument",
    ast.Slice: "a slice",
    ast.Constant: "a bare literal",
    ast.JoinedStr: "an f-string",
    ast.NamedExpr: "an assignment expression",
    ast.Await: "an await expression",
    ast.Tuple: "a tuple",
    ast.List: "a list",
    ast.Dict: "a dict",
    ast.Set: "a set",
}


def reachable(value: Any) -> bool:
    """Return False for what a value path must never reach: a module, ``os.environ`` (or
    ``os.environb``), ``sys.modules``.

    Decided from the type, never from attributes of the value (which may raise or lie).
    """
    cls = type(value)
    if cls in PLAIN_TYPES:
        return value is not _SYS_MODULES
    if issubclass(cls, (types.ModuleType, _ENVIRON_TYPE)):
        return False
    if len(PLAIN_TYPES) < _PLAIN_TYPES_LIMIT:
        PLAIN_TYPES.add(cls)
    return True


class ValuePathLookupError(LogprovError, LookupError):
    """A value path could not be resolved against an object.

    Parameters
    ----------
    path : str
        The value path text.
    step : str
        The step that failed, as written in the path (``.list``, ``[0]``, ``(hdu_type='events')``).
    cause : BaseException
        The exception raised by that step.
    """

    def __init__(self, path: str, step: str, cause: BaseException) -> None:
        self.path = path
        self.step = step
        self.cause: BaseException | None = cause
        super().__init__(
            f"cannot resolve value path {path!r}: step {step!r} failed "
            f"({type(cause).__name__}: {cause})"
        )


class ValuePathRefusedError(ValuePathLookupError):
    """A value path reached a module, ``os.environ`` or ``sys.modules`` at call time.

    Parameters
    ----------
    path : str
        The value path text.
    step : str
        The step that reached it (the root name, ``.environ``, ...).
    value : object
        What it reached (shown by kind only).
    """

    def __init__(self, path: str, step: str, value: Any) -> None:
        self.path = path
        self.step = step
        self.cause = None
        if isinstance(value, types.ModuleType):
            what = f"the module {getattr(value, '__name__', '?')!r}"
        else:
            what = "sys.modules" if value is _SYS_MODULES else "the process environment"
        LookupError.__init__(
            self, f"value path {path!r} refused: {step!r} reaches {what}; value paths never read modules"
        )


@dataclass(frozen=True, slots=True)
class AttributeStep:
    """Attribute-like step ``.name``: a mapping key when present, else an attribute."""

    name: str

    def apply(self, obj: Any) -> Any:
        """Return the value named ``name`` in ``obj``."""
        if type(obj) is dict or isinstance(obj, Mapping):
            if self.name in obj:
                return obj[self.name]
            return getattr(obj, self.name)
        try:
            return getattr(obj, self.name)
        except AttributeError:
            if not hasattr(type(obj), "__getitem__"):
                raise
        try:
            return obj[self.name]
        except Exception:
            raise AttributeError(
                f"{type(obj).__name__!r} object has neither attribute nor item {self.name!r}"
            ) from None

    def __str__(self) -> str:
        return f".{self.name}"


@dataclass(frozen=True, slots=True)
class IndexStep:
    """Subscript step ``[key]`` with a literal ``int`` or ``str`` key."""

    key: Union[int, str]

    def apply(self, obj: Any) -> Any:
        """Return ``obj[key]``."""
        return obj[self.key]

    def __str__(self) -> str:
        return f"[{self.key!r}]"


@dataclass(frozen=True, slots=True)
class CallStep:
    """Call step ``(...)``: the value reached so far is called with literal arguments."""

    args: tuple = ()
    kwargs: tuple[tuple[str, Any], ...] = ()
    _kwargs: dict = field(init=False, repr=False, compare=False)
    _mutable: bool = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_kwargs", dict(self.kwargs))
        values = list(self.args) + [value for _, value in self.kwargs]
        object.__setattr__(self, "_mutable", any(isinstance(v, _MUTABLE_LITERALS) for v in values))

    def apply(self, obj: Any) -> Any:
        """Return ``obj(*args, **kwargs)``; only methods of objects may be called.

        Functions, classes and methods of modules (``os.system``, ``open``, ``subprocess.run``)
        are refused, so a definitions file cannot run arbitrary code through a value path.
        """
        if not _is_object_method(obj):
            raise TypeError(f"{_callable_name(obj)} is not a method of an object; value paths only call methods")
        if self._mutable:
            return obj(*copy.deepcopy(self.args), **copy.deepcopy(self._kwargs))
        return obj(*self.args, **self._kwargs)

    def __str__(self) -> str:
        parts = [repr(a) for a in self.args] + [f"{k}={v!r}" for k, v in self.kwargs]
        return f"({', '.join(parts)})"


Step = Union[AttributeStep, IndexStep, CallStep]


def _is_object_method(obj: Any) -> bool:
    owner = getattr(obj, "__self__", None)
    if owner is None or isinstance(owner, (types.ModuleType, type)):
        return False
    return isinstance(obj, (types.MethodType, types.BuiltinMethodType, types.MethodWrapperType))


def _callable_name(obj: Any) -> str:
    name = getattr(obj, "__qualname__", None) or getattr(obj, "__name__", None) or type(obj).__name__
    module = getattr(obj, "__module__", None)
    return f"{module}.{name}" if module else str(name)


@dataclass(frozen=True, slots=True)
class ValuePath:
    """A compiled value path; build it with `compile_path`.

    Attributes
    ----------
    text : str
        The path as written.
    root : str
        The first name (``settings``, ``args``, ``kwargs``, ``obs_id``).
    steps : tuple of Step
        The steps after the root.
    arg_name : str, int or None
        For ``args.x``, ``kwargs.x``, ``args["x"]`` or ``kwargs["x"]``: ``"x"``, the bound
        argument named ``x`` (given positionally, by keyword or by default). For ``args[i]``:
        ``i``, the i-th positional argument not counting ``self``/``cls``. Otherwise None.
    attribute : str or None
        For a path that is a name alone, other than ``self``, ``cls``, ``args`` and ``kwargs``:
        that name (first looked up as an attribute of the instance). Otherwise None.
    names : tuple of str
        The names along the path: the root (unless ``args``, ``kwargs``, ``self``, ``cls`` or
        ``result``), attribute names and string keys, for the secrecy policy.
    """

    text: str
    root: str = field(compare=False)
    steps: tuple[Step, ...] = field(compare=False)
    arg_name: Union[str, int, None] = field(init=False, compare=False)
    attribute: Union[str, None] = field(init=False, compare=False)
    names: tuple[str, ...] = field(init=False, compare=False)
    _full_steps: tuple[Step, ...] = field(init=False, repr=False, compare=False)
    _arg_steps: tuple[Step, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        arg_name: Union[str, int, None] = None
        if self.root in _ARGUMENT_ROOTS and self.steps:
            first = self.steps[0]
            if isinstance(first, AttributeStep):
                arg_name = first.name
            elif isinstance(first, IndexStep):
                if isinstance(first.key, str) or self.root == "args":
                    arg_name = first.key
        object.__setattr__(self, "arg_name", arg_name)
        bare = not self.steps and self.root not in _ARGUMENT_ROOTS and self.root not in ("self", "cls")
        object.__setattr__(self, "attribute", self.root if bare else None)
        object.__setattr__(self, "_full_steps", (AttributeStep(self.root), *self.steps))
        object.__setattr__(self, "_arg_steps", self.steps[1:] if arg_name is not None else ())
        names = [] if self.root in _SCOPE_ROOTS else [self.root]
        for step in self.steps:
            if isinstance(step, AttributeStep):
                names.append(step.name)
            elif isinstance(step, IndexStep) and isinstance(step.key, str):
                names.append(step.key)
        object.__setattr__(self, "names", tuple(names))

    def __reduce__(self) -> tuple:
        return compile_path, (self.text,)

    def __str__(self) -> str:
        return self.text

    def resolve(self, scope: Any) -> Any:
        """Resolve the whole path, looking the root up in ``scope`` like an attribute step.

        Raises
        ------
        ValuePathLookupError
            When a step fails.
        """
        return self._walk(scope, self._full_steps)

    def resolve_from(self, obj: Any) -> Any:
        """Apply `steps` to ``obj``, the value of the root.

        Raises
        ------
        ValuePathLookupError
            When a step fails.
        """
        return self._walk(obj, self.steps)

    def resolve_argument(self, value: Any) -> Any:
        """Apply the steps after the argument selector to ``value``, the selected argument.

        For ``args.model.name`` and a bound argument ``model``, this returns ``model.name``.

        Raises
        ------
        ValuePathLookupError
            When a step fails.
        """
        return self._walk(value, self._arg_steps)

    def refusal(self, step: str, value: Any) -> ValuePathRefusedError:
        """Return the error for ``value``, not `reachable`, found at ``step`` of this path."""
        return ValuePathRefusedError(self.text, step, value)

    def _walk(self, obj: Any, steps: tuple[Step, ...]) -> Any:
        if not reachable(obj):
            raise self.refusal(self.root, obj)
        step = None
        try:
            for step in steps:
                obj = step.apply(obj)
                if not reachable(obj):
                    break
        except Exception as exc:
            shown = self.root if step is self._full_steps[0] else str(step)
            raise ValuePathLookupError(self.text, shown, exc) from exc
        if not reachable(obj):
            raise self.refusal(self.root if step is self._full_steps[0] else str(step), obj)
        return obj


def _reject(text: str, node: ast.AST, what: str | None = None) -> ValuePathError:
    what = what or _NODE_WORDS.get(type(node), f"a {type(node).__name__} expression")
    fragment = ast.get_source_segment(text, node) or ast.unparse(node)
    hint = ""
    if isinstance(node, (ast.BinOp, ast.UnaryOp)):
        hint = "; write keys that are not Python names as ['key']"
    return ValuePathError(
        f"invalid value path {text!r}: {what} ({fragment!r}) is not allowed; a value path is "
        f"a name followed by .attributes, [literal] indexes and calls with literal arguments{hint}"
    )


def _check_name(text: str, name: str, node: ast.AST) -> str:
    if name.startswith("__"):
        raise ValuePathError(
            f"invalid value path {text!r}: the dunder name {name!r} is not allowed"
        )
    if name.startswith("_"):
        raise ValuePathError(
            f"invalid value path {text!r}: the private name {name!r} is not allowed"
        )
    return name


def _check_root(text: str, root: str, steps: list[Step]) -> None:
    if root in _SYSTEM_MODULES:
        raise ValuePathError(
            f"invalid value path {text!r}: {root!r} names a system module; value paths never read modules"
        )
    if root in _BUILTIN_CALLS and steps and isinstance(steps[0], CallStep):
        raise ValuePathError(
            f"invalid value path {text!r}: calling the built-in function {root!r} is not allowed; "
            "value paths only call methods of objects"
        )


def _literal(text: str, node: ast.AST) -> Any:
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        raise _reject(text, node, "a call argument that is not a literal") from None


def _build(text: str, node: ast.AST, steps: list[Step]) -> str:
    if isinstance(node, ast.Name):
        return _check_name(text, node.id, node)
    if isinstance(node, ast.Attribute):
        root = _build(text, node.value, steps)
        steps.append(AttributeStep(_check_name(text, node.attr, node)))
        return root
    if isinstance(node, ast.Subscript):
        root = _build(text, node.value, steps)
        if isinstance(node.slice, ast.Slice):
            raise _reject(text, node.slice)
        try:
            key = ast.literal_eval(node.slice)
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            raise _reject(text, node.slice, "an index that is not a literal") from None
        if isinstance(key, bool) or not isinstance(key, (int, str)):
            raise _reject(text, node.slice, "an index that is not an int or str literal")
        if isinstance(key, str) and key.startswith("__"):
            raise ValuePathError(f"invalid value path {text!r}: the dunder key {key!r} is not allowed")
        steps.append(IndexStep(key))
        return root
    if isinstance(node, ast.Call):
        root = _build(text, node.func, steps)
        args = []
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                raise _reject(text, arg)
            args.append(_literal(text, arg))
        kwargs = []
        for keyword in node.keywords:
            if keyword.arg is None:
                raise _reject(text, keyword.value, "a **mapping argument")
            kwargs.append((_check_name(text, keyword.arg, keyword), _literal(text, keyword.value)))
        steps.append(CallStep(tuple(args), tuple(kwargs)))
        return root
    raise _reject(text, node)


def compile_path(text: str) -> ValuePath:
    """Parse and check a value path.

    Parameters
    ----------
    text : str
        The path, e.g. ``settings.observations.datastore`` or ``observations.list[0].obs_id``.

    Returns
    -------
    ValuePath
        The compiled path (cached: the same text gives the same object).

    Raises
    ------
    ValuePathError
        When ``text`` is not a string, is empty, is not valid syntax, uses anything other
        than names, attributes, literal indexes and calls with literal arguments, names a
        private or dunder attribute or a dunder key, starts at a system module's name
        (``os``, ``sys``, ``subprocess``, ...) or calls a built-in function (``open(...)``).
    """
    if not isinstance(text, str):
        raise ValuePathError(f"a value path must be a string, not {type(text).__name__}")
    return _compile(text)


@functools.lru_cache(maxsize=4096)
def _compile(text: str) -> ValuePath:
    stripped = text.strip()
    if not stripped:
        raise ValuePathError("a value path must not be empty")
    try:
        tree = ast.parse(stripped, mode="eval")
    except SyntaxError as exc:
        raise ValuePathError(f"invalid value path {text!r}: syntax error ({exc.msg})") from None
    steps: list[Step] = []
    root = _build(stripped, tree.body, steps)
    _check_root(stripped, root, steps)
    return ValuePath(stripped, root, tuple(steps))
