"""Where the names of value paths are looked up during a traced call."""

from __future__ import annotations

import sys
from typing import Any

from .plans import ActivityPlan
from ..settings.valuepath import PLAIN_TYPES, ValuePath, reachable

__all__ = ["CallScope", "NOT_FOUND"]


class _NotFound:
    __slots__ = ()

    def __repr__(self) -> str:
        return "NOT_FOUND"


NOT_FOUND = _NotFound()
_NO_NAMES: frozenset = frozenset()


class CallScope:
    """Resolve value paths for one call: instance first, then arguments, then the module.

    Parameters
    ----------
    plan : ActivityPlan
        The traced function's plan.
    args, kwargs
        The call's arguments (``args[0]`` is the instance or class for methods).
    """

    __slots__ = ("plan", "instance", "args", "kwargs", "_bound", "_given", "result")

    def __init__(self, plan: ActivityPlan, args: tuple, kwargs: dict) -> None:
        self.plan = plan
        if plan.scope is not None and args:
            self.instance = args[0]
            self.args = args[1:]
        else:
            self.instance = None
            self.args = args
        self.kwargs = kwargs
        self._bound: dict | None = None
        self._given: frozenset | set = _NO_NAMES
        self.result: Any = NOT_FOUND

    def bound(self) -> dict:
        """Return every argument by name, defaults included."""
        if self._bound is None:
            self._bound, self._given = self.plan.layout.bind(self.args, self.kwargs)
        return self._bound

    def given_by_position(self, name: str) -> bool:
        """Return True when argument ``name`` was passed positionally."""
        self.bound()
        return name in self._given

    def root(self, name: str) -> tuple[Any, Any]:
        """Return ``(value, owner)`` of a root name; owner identifies where it lives, or None.

        Returns `NOT_FOUND` as the value when the name is nowhere.
        """
        instance = self.instance
        if instance is not None:
            if name == "self" or name == "cls":
                return instance, None
            try:
                return getattr(instance, name), instance
            except AttributeError:
                pass
        return self._outside_instance(name)

    def _outside_instance(self, name: str) -> tuple[Any, Any]:
        """Return ``(value, owner)`` of a root name that is not an attribute of the instance."""
        bound = self.bound()
        if name in bound:
            return bound[name], None
        if name == "result" and self.result is not NOT_FOUND:
            return self.result, None
        namespace = self.plan.globals
        if name in namespace:
            return namespace[name], self.plan.module
        return NOT_FOUND, None

    def resolve(self, path: ValuePath) -> tuple[Any, Any]:
        """Return ``(value, owner)`` of a value path.

        Raises
        ------
        LookupError
            When the root name is unknown or a step fails; `ValuePathRefusedError` when the
            path reaches a module, ``os.environ`` or ``sys.modules``.
        """
        instance = self.instance
        name = path.attribute
        if name is not None and instance is not None:
            try:
                value = getattr(instance, name)
            except AttributeError:
                value, owner = self._outside_instance(name)
            else:
                if (type(value) in PLAIN_TYPES and value is not sys.modules) or reachable(value):
                    return value, instance
                raise path.refusal(name, value)
        else:
            argument = path.arg_name
            if argument is not None:
                return self._argument(path, argument), None
            root = path.root
            if instance is not None and root != "self" and root != "cls":
                try:
                    value, owner = getattr(instance, root), instance
                except AttributeError:
                    value, owner = self._outside_instance(root)
            else:
                value, owner = self.root(root)
        if value is NOT_FOUND:
            raise LookupError(
                f"value path {path.text!r}: {path.root!r} is neither an attribute of the instance, "
                f"an argument, nor a name of module {self.plan.module!r}"
            )
        if path.steps:
            return path.resolve_from(value), owner
        if (type(value) in PLAIN_TYPES and value is not sys.modules) or reachable(value):
            return value, owner
        raise path.refusal(path.root, value)

    def _argument(self, path: ValuePath, name: str | int) -> Any:
        """Return the value of a path selecting argument ``name`` (`ValuePath.arg_name`)."""
        value = self.kwargs.get(name, NOT_FOUND)
        if value is NOT_FOUND:
            if type(name) is int:
                try:
                    value = self.args[name]
                except IndexError:
                    raise LookupError(f"value path {path.text!r}: the call has no argument {name}") from None
            else:
                bound = self._bound if self._bound is not None else self.bound()
                if name not in bound:
                    raise LookupError(f"value path {path.text!r}: the call has no argument {name!r}")
                value = bound[name]
        if len(path.steps) > 1:
            return path.resolve_argument(value)
        if (type(value) in PLAIN_TYPES and value is not sys.modules) or reachable(value):
            return value
        raise path.refusal(str(path.steps[0]) if path.steps else path.root, value)
