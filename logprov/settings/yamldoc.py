"""YAML documents that remember the line of every key, and errors that point at them."""

from __future__ import annotations

import datetime
import difflib
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Union

import yaml

from ..errors import DefinitionError

__all__ = [
    "DEFAULT_MAX_DOCUMENT_BYTES", "KeyPath", "Document", "load_document", "format_key_path", "first_error", "suggest",
]

#: Largest definitions or configuration file read (1 MB); larger ones are refused unread.
DEFAULT_MAX_DOCUMENT_BYTES = 1_000_000

KeyPath = tuple[Union[str, int], ...]
_STR_TAG = "tag:yaml.org,2002:str"
_MERGE_TAG = "tag:yaml.org,2002:merge"
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass
class Document:
    """Plain data read from YAML or a mapping, with the line of every key path."""

    data: Any
    source: str | None
    lines: dict[KeyPath, int] = field(default_factory=dict)

    def line(self, path: KeyPath) -> int | None:
        """Return the line of ``path`` or of its nearest ancestor with a known line."""
        for end in range(len(path), -1, -1):
            line = self.lines.get(path[:end])
            if line is not None:
                return line
        return None

    def error(self, cls: type[DefinitionError], message: str, path: KeyPath) -> DefinitionError:
        """Build an error of class ``cls`` located at ``path``."""
        return cls(message, self.source, format_key_path(path) or None, self.line(path))


def format_key_path(path: KeyPath) -> str:
    """Format a key path as ``activities.get_observations.usage[0]``."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        elif _IDENTIFIER.match(part):
            text += f".{part}" if text else part
        else:
            text += f"[{json.dumps(part)}]"
    return text


def load_document(source: Any, cls: type[DefinitionError], what: str,
                  max_bytes: int = DEFAULT_MAX_DOCUMENT_BYTES) -> Document:
    """Read a YAML file (at most ``max_bytes`` long) or copy a mapping, remembering key lines.

    Raises
    ------
    DefinitionError (``cls``)
        For a missing, unreadable, too large or malformed file, naming the file and the line.
    """
    if isinstance(source, Mapping):
        return Document(_plain(source, (), None, cls), None)
    if not isinstance(source, (str, os.PathLike)):
        raise cls(f"{what} must be a file name, a mapping or None, not {type(source).__name__}")
    name = os.fspath(source)
    text = _read_text(name, cls, what, max_bytes)
    loader = None
    try:
        loader = yaml.SafeLoader(text)
        node = loader.get_single_node()
        lines: dict[KeyPath, int] = {}
        if node is None:
            return Document(None, name, lines)
        _check_size(node, name, cls)
        _index_node(node, (), lines, set(), set(), name, cls)
        data = loader.construct_document(node)
        document = Document(None, name, lines)
        document.data = _plain(data, (), document, cls)
    except yaml.MarkedYAMLError as exc:
        line = _yaml_line(exc.problem_mark, text)
        raise cls(_yaml_problem(exc, text), name, None, line) from None
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        raise cls(f"invalid YAML: {exc.reason} (character {exc.character!r})", name, None, line) from None
    except yaml.YAMLError as exc:
        raise cls(f"invalid YAML: {exc}", name, None, 1) from None
    except RecursionError:
        raise cls("nested too deeply", name, None, _deepest_line(text)) from None
    finally:
        if loader is not None:
            loader.dispose()
    return document


def _read_text(name: str, cls: type[DefinitionError], what: str, max_bytes: int) -> str:
    """Return the text of file ``name``, refusing it unread when it holds more than ``max_bytes``."""
    try:
        with open(name, "rb") as stream:
            size = os.fstat(stream.fileno()).st_size
            if size <= max_bytes:
                data = stream.read(max_bytes + 1)
                size = len(data)
            if size > max_bytes:
                hint = " (configuration option max_definition_bytes)" if what == "definitions" else ""
                raise cls(f"{what} file too large: {size:,} bytes, more than the limit of {max_bytes:,}{hint}", name)
        return data.decode("utf-8")
    except FileNotFoundError:
        raise cls(f"{what} file not found", name) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise cls(f"cannot read {what} file: {exc}", name) from None


_MAX_NODES = 1_000_000


def _check_size(root: yaml.Node, source: str, cls: type[DefinitionError]) -> None:
    """Refuse documents whose aliases expand to a huge or infinite structure."""
    sizes: dict[int, int] = {}
    active: set[int] = set()

    def size(node: yaml.Node) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in active:
            raise cls("an alias refers to the mapping or list that contains it", source, None,
                      node.start_mark.line + 1)
        active.add(key)
        total = 1
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                total += size(key_node) + size(value_node)
        elif isinstance(node, yaml.SequenceNode):
            for item in node.value:
                total += size(item)
        active.discard(key)
        if total > _MAX_NODES:
            raise cls(f"more than {_MAX_NODES} values once aliases are expanded", source, None,
                      node.start_mark.line + 1)
        sizes[key] = total
        return total

    size(root)


def _deepest_line(text: str) -> int:
    depth = 0
    for number, line in enumerate(text.splitlines(), start=1):
        for char in line:
            if char in "[{":
                depth += 1
                if depth > 100:
                    return number
            elif char in "]}":
                depth -= 1
    return 1


def _yaml_line(mark: yaml.Mark | None, text: str) -> int | None:
    if mark is None:
        return None
    return min(mark.line + 1, max(1, len(text.splitlines())))


def _yaml_problem(exc: yaml.MarkedYAMLError, text: str) -> str:
    message = f"invalid YAML: {exc.problem or exc.context}"
    if exc.problem and exc.context:
        message += f" ({exc.context}"
        context_line = _yaml_line(exc.context_mark, text)
        message += f" started on line {context_line})" if context_line else ")"
    if "block" in message:
        message += "; check the indentation"
    return message


def _index_node(
    node: yaml.Node,
    path: KeyPath,
    lines: dict[KeyPath, int],
    active: set[int],
    done: set[int],
    source: str,
    cls: type[DefinitionError],
) -> None:
    lines.setdefault(path, node.start_mark.line + 1)
    if id(node) in active or id(node) in done:
        return
    active.add(id(node))
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            line = key_node.start_mark.line + 1
            if key_node.tag == _MERGE_TAG:
                continue
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag != _STR_TAG:
                shown = format_key_path(path) or None
                raise cls(
                    f"key {_node_text(key_node)!r} is not a string; quote it", source, shown, line
                )
            key = key_node.value
            if key in seen:
                raise cls(
                    f"duplicate key {key!r} (first given on line {seen[key]}); "
                    "YAML would silently keep only the last one",
                    source,
                    format_key_path(path + (key,)),
                    line,
                )
            seen[key] = line
            child = path + (key,)
            lines[child] = line
            _index_node(value_node, child, lines, active, done, source, cls)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _index_node(item, path + (index,), lines, active, done, source, cls)
    active.discard(id(node))
    done.add(id(node))


def _node_text(node: yaml.Node) -> str:
    if isinstance(node, yaml.ScalarNode):
        return node.value
    return "[...]" if isinstance(node, yaml.SequenceNode) else "{...}"


def _plain(
    value: Any, path: KeyPath, document: Document | None, cls: type[DefinitionError]
) -> Any:
    """Copy ``value`` into JSON-compatible dicts, lists and scalars."""
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, Mapping):
        plain = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise _located(document, cls, f"key {key!r} is not a string", path)
            plain[key] = _plain(item, path + (key,), document, cls)
        return plain
    if isinstance(value, (list, tuple)):
        return [_plain(item, path + (i,), document, cls) for i, item in enumerate(value)]
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    message = (
        f"values of type {type(value).__name__} are not allowed "
        "(use strings, numbers, lists, mappings)"
    )
    raise _located(document, cls, message, path)


def _located(
    document: Document | None, cls: type[DefinitionError], message: str, path: KeyPath
) -> DefinitionError:
    if document is not None:
        return document.error(cls, message, path)
    return cls(message, None, format_key_path(path) or None)


def first_error(
    document: Document, problems: list[tuple[KeyPath, str]], cls: type[DefinitionError]
) -> DefinitionError:
    errors = [document.error(cls, message, path) for path, message in problems]
    errors.sort(key=lambda e: (e.line if e.line is not None else float("inf")))
    first = errors[0]
    if len(errors) > 1:
        more = len(errors) - 1
        first = cls(
            f"{first.message} (and {more} more problem{'s' if more > 1 else ''})",
            first.source,
            first.path,
            first.line,
        )
    first.errors = errors
    return first


def suggest(word: str, choices: Any) -> str:
    """Return `` (did you mean 'x'?)`` for the closest of ``choices``, or an empty string."""
    lowered = {choice.lower(): choice for choice in choices}
    match = difflib.get_close_matches(word.lower(), list(lowered), n=1, cutoff=0.6)
    return f" (did you mean {lowered[match[0]]!r}?)" if match else ""
