"""Line-aware YAML and JSON loading: PyYAML nodes become plain values that remember their line."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import yaml

from scanner.errors import RegistryError

_YAML = "tag:yaml.org,2002:"
_SCALAR_TAGS = frozenset(_YAML + t for t in ("str", "int", "float", "bool", "null", "timestamp"))
_SIMPLE_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_-]{0,63}")
_SURROGATE = re.compile("[\ud800-\udfff]")


class Invalid:
    """Stands in for a value whose error was already reported, so checks never report it twice."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "INVALID"


INVALID = Invalid()


@dataclass(frozen=True, slots=True)
class Located:
    """A loaded value and its 1-based line (a mapping entry's is its key's); containers hold Located values."""

    value: object
    line: int


def child_path(path: str, key: str) -> str:
    """The path of a mapping entry, quoting keys that would not read as one token on one line."""
    if not _SIMPLE_KEY.fullmatch(key):
        key = f"[{show(key)}]"
        return f"{path}{key}" if path else key
    return f"{path}.{key}" if path else key


def show(value: object) -> str:
    """A short, one-line rendering of a value from the file, safe to print in a CI log."""
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def load_text(text: str, *, file: str, errors: list[RegistryError]) -> Located | None:
    """Parse one YAML or JSON document into Located values; every problem is appended to errors."""
    if not text.strip():
        errors.append(RegistryError("empty registry file", file=file))
        return None
    if file.lower().endswith(".json"):
        # PyYAML accepts what JSON forbids (trailing commas, comments), so JSON's own parser judges syntax.
        if (error := _json_syntax_error(text, file)) is not None:
            errors.append(error)
            return None
        text = text.replace("\t", " ")  # valid JSON has tabs only between tokens, where PyYAML refuses them
    try:
        node = yaml.compose(text, Loader=_Loader)
        if node is None:
            errors.append(RegistryError("empty registry file (only comments)", file=file))
            return None
        return _Converter(file, errors).convert(node, "", node.start_mark.line + 1)
    except yaml.MarkedYAMLError as exc:
        errors.append(_syntax_error(exc, file))
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        errors.append(
            RegistryError(f"invalid YAML: character U+{exc.character:04X} is not allowed", file=file, line=line)
        )
    except RecursionError:
        errors.append(RegistryError("invalid YAML: nested too deeply", file=file))
    return None


def _json_syntax_error(text: str, file: str) -> RegistryError | None:
    """The JSON parser's verdict on the text, with its line, or None when the text is valid JSON."""
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        return RegistryError(f"invalid JSON: {exc.msg} (column {exc.colno})", file=file, line=exc.lineno)
    except RecursionError:
        return RegistryError("invalid JSON: nested too deeply", file=file)
    return None


def _syntax_error(exc: yaml.MarkedYAMLError, file: str) -> RegistryError:
    """PyYAML's problem at its line, after its context (such as the block it was parsing) and that context's line."""
    message, mark = exc.problem or "", exc.problem_mark or exc.context_mark
    if exc.context:
        where = f" (line {exc.context_mark.line + 1})" if exc.context_mark is not None else ""
        message = f"{exc.context}{where}: {message}" if message else exc.context
    return RegistryError(f"invalid YAML: {message}", file=file, line=mark.line + 1 if mark is not None else None)


class _Loader(yaml.SafeLoader):
    """SafeLoader that refuses aliases of lists and mappings, ruling out "billion laughs" and recursive documents."""

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        """Compose as PyYAML does, except that an alias must name a scalar."""
        mark = self.current_event.start_mark if self.check_event(yaml.AliasEvent) else None
        node = super().compose_node(parent, index)
        if mark is not None and not isinstance(node, yaml.ScalarNode):
            raise yaml.composer.ComposerError(None, None, "aliases of lists and mappings are not supported", mark)
        return node


class _Converter:
    """Walks a composed node tree once, keeping lines and refusing what a registry never needs."""

    def __init__(self, file: str, errors: list[RegistryError]) -> None:
        self.file = file
        self.errors = errors
        self.constructor = yaml.constructor.SafeConstructor()

    def error(self, path: str, line: int, message: str) -> Invalid:
        """Record a problem and return the INVALID placeholder for the value."""
        self.errors.append(RegistryError(message, file=self.file, line=line, field=path or "(top level)"))
        return INVALID

    def convert(self, node: yaml.Node, path: str, line: int) -> Located:
        """Convert one node; line is where its field starts, which for a mapping entry is its key."""
        if isinstance(node, yaml.ScalarNode):
            return Located(self._scalar(node, path), line)
        if isinstance(node, yaml.SequenceNode) and node.tag == _YAML + "seq":
            items = [self.convert(item, f"{path}[{i}]", item.start_mark.line + 1) for i, item in enumerate(node.value)]
            return Located(items, line)
        if isinstance(node, yaml.MappingNode) and node.tag == _YAML + "map":
            return Located(self._mapping(node, path), line)
        return Located(self.error(path, node.start_mark.line + 1, f"unsupported YAML tag {_short(node.tag)}"), line)

    def _mapping(self, node: yaml.MappingNode, path: str) -> dict[str, Located]:
        """Mapping entries by key; PyYAML would silently keep the last of two equal keys, so they are errors."""
        out: dict[str, Located] = {}
        for key_node, value_node in node.value:
            line = key_node.start_mark.line + 1
            key = self._scalar(key_node, path) if isinstance(key_node, yaml.ScalarNode) else None
            if isinstance(key, Invalid):
                continue
            if not isinstance(key, str):
                self.error(path, line, "mapping keys must be strings")
                continue
            child = child_path(path, key)
            if key in out:
                self.error(child, line, f"duplicate key {show(key)} (first on line {out[key].line})")
                continue
            out[key] = self.convert(value_node, child, line)
        return out

    def _scalar(self, node: yaml.ScalarNode, path: str) -> object:
        """The Python value of a scalar, limited to the plain YAML types."""
        line = node.start_mark.line + 1
        if node.tag == _YAML + "str":
            return self._text(node.value, path, line)
        if node.tag not in _SCALAR_TAGS:
            return self.error(path, line, f"unsupported YAML tag {_short(node.tag)}")
        try:
            return self.constructor.construct_object(node)
        except (yaml.YAMLError, ValueError, KeyError, AttributeError) as exc:
            # PyYAML raises these for impossible dates (2027-02-30) and explicit tags on malformed text (!!int x).
            return self.error(path, line, f"cannot read {show(node.value)}: {exc}")

    def _text(self, value: str, path: str, line: int) -> object:
        """A string, with escaped UTF-16 surrogate pairs (legal in JSON) joined into one character."""
        if not _SURROGATE.search(value):
            return value
        try:
            return value.encode("utf-16", "surrogatepass").decode("utf-16")
        except UnicodeDecodeError:
            return self.error(path, line, f"unpaired surrogate escape in {show(value)}")


def _short(tag: str) -> str:
    """A tag as it is written in YAML."""
    return "!!" + tag.removeprefix(_YAML) if tag.startswith(_YAML) else tag
