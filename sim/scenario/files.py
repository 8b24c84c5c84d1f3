"""Scenario files on disk, read bounded and without silent surprises.

Only a regular file of at most ``MAX_BYTES`` is opened (never a pipe or a
device), and a file may start from another with ``extends:``. Its YAML is
parsed by PyYAML's safe loader with a composer that refuses what would cost
without limit or change a value behind the user's back: deep nesting, alias
bombs, duplicate keys, YAML 1.1's base-60 and base-8 numbers and names read
as booleans. libyaml parses where installed. Every refusal is one line;
validating what was read is sim.scenario.config's.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.parser import Parser
from yaml.reader import Reader
from yaml.resolver import Resolver
from yaml.scanner import Scanner

MAX_DEPTH = 50  # YAML nesting (a scenario needs under 10 levels)
MAX_NODES = 1_000_000  # YAML values once aliases are expanded
_BOOL_TAG, _INT_TAG, _FLOAT_TAG, _TIMESTAMP_TAG, _STR_TAG = (
    f"tag:yaml.org,2002:{t}" for t in ("bool", "int", "float", "timestamp", "str"))


class YamlRefused(ValueError):
    """A scenario file's YAML that is refused; the message is one line, naming the file."""


class _Refused(yaml.YAMLError):
    """YAML refused while parsing; the message starts with the dotted path."""


class _Bounded(Composer):
    """PyYAML's composer, bounded and without silent surprises.

    It refuses nesting deeper than MAX_DEPTH (PyYAML would overflow the
    stack), aliases that expand past MAX_NODES values or contain themselves
    (the "billion laughs"), a key given twice in one mapping (PyYAML keeps the
    last), numbers YAML 1.1 reads in base 60 (``16:30`` → 990) or base 8
    (``010`` → 8), and names read as booleans (``no:``). Words read as
    booleans in value position are noted in ``surprises`` for the error text.
    """

    def __init__(self) -> None:
        super().__init__()
        self.path: list[str | int] = []
        self.depth = 0
        self.sizes: dict[int, int] = {}  # node id → values it expands to
        self.surprises: dict[str, str] = {}

    def where(self, key: str | None = None) -> str:
        parts = [*self.path, key] if key is not None else self.path
        path = ".".join(map(str, parts)) or "the top level"
        return path if len(path) <= 100 else path[:97] + "..."

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node:
        is_key = isinstance(parent, yaml.MappingNode) and index is None
        part = index.value if isinstance(index, yaml.ScalarNode) else index if isinstance(index, int) else None
        if part is None and isinstance(index, yaml.Node):
            part = "?"
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            target = self.anchors.get(event.anchor)
            if target is not None and id(target) not in self.sizes:
                line = event.start_mark.line + 1
                raise _Refused(f"{self.where(part)}: the alias *{event.anchor} at line {line} is inside its own anchor")
        if part is not None:
            self.path.append(part)
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                line = self.peek_event().start_mark.line + 1
                raise _Refused(f"{self.where()}: nested more than {MAX_DEPTH} levels deep at line {line}")
            node = super().compose_node(parent, index)
            self._count(node)
            if isinstance(node, yaml.ScalarNode) and not node.style:  # plain: None (Python parser) or '' (libyaml)
                self._check_plain(node, is_key)
        finally:
            self.depth -= 1
            if part is not None:
                self.path.pop()
        return node

    def _count(self, node: yaml.Node) -> None:
        if id(node) in self.sizes:  # an alias: counted where its anchor was
            size = self.sizes[id(node)]
        elif isinstance(node, yaml.MappingNode):
            size = 1 + sum(self.sizes[id(k)] + self.sizes[id(v)] for k, v in node.value)
        elif isinstance(node, yaml.SequenceNode):
            size = 1 + sum(self.sizes[id(item)] for item in node.value)
        else:
            size = 1
        self.sizes[id(node)] = size
        if size > MAX_NODES:
            raise _Refused(f"{self.where()}: expands to more than {MAX_NODES:,} values (through aliases?)")

    def _check_plain(self, node: yaml.ScalarNode, is_key: bool) -> None:
        text, what = node.value, "the name " if is_key else ""
        if node.tag == _BOOL_TAG and text.lower() not in ("true", "false"):
            if is_key:
                value = "true" if self.construct_yaml_bool(node) else "false"
                raise _Refused(f'{self.where()}: the name {text} was read as the boolean {value} (YAML 1.1); write it quoted: "{text}"')
            self.surprises[self.where()] = text
        elif node.tag in (_INT_TAG, _FLOAT_TAG) and ":" in text:
            number = self.construct_object(node)
            raise _Refused(
                f'{self.where()}: {what}{text} was read as the number {number:g} (YAML sexagesimal); write it quoted: "{text}"'
            )
        elif node.tag == _TIMESTAMP_TAG:
            try:
                self.construct_yaml_timestamp(node)
            except ValueError:  # shaped like a date but none (2024-02-30): kept as text, for its field's check to name
                node.tag = _STR_TAG
        elif node.tag == _INT_TAG and re.fullmatch(r"[-+]?0[0-7_]+", text):
            number = self.construct_object(node)
            raise _Refused(
                f"{self.where()}: {what}{text} was read as the octal number {number} (YAML 1.1); "
                f'write it without the leading zero, or quoted: "{text}"'
            )

    def compose_mapping_node(self, anchor: str | None) -> yaml.MappingNode:
        node = super().compose_mapping_node(anchor)
        seen: dict[tuple[str, str], yaml.Node] = {}
        for key, _ in node.value:
            if isinstance(key, yaml.ScalarNode) and key.tag != "tag:yaml.org,2002:merge":
                first = seen.setdefault((key.tag, key.value), key)
                if first is not key:
                    lines = f"lines {first.start_mark.line + 1} and {key.start_mark.line + 1}"
                    raise _Refused(f"{self.where(key.value)}: given twice ({lines}); each setting may appear once")
        return node


class _PurePython(Reader, Scanner, Parser):
    """PyYAML's own parser, where libyaml is not installed."""

    def __init__(self, text: str) -> None:
        Reader.__init__(self, text)
        Scanner.__init__(self)
        Parser.__init__(self)


_Parser: Any = yaml.cyaml.CParser if yaml.__with_libyaml__ else _PurePython


class _ScenarioLoader(_Bounded, _Parser, SafeConstructor, Resolver):
    """The safe loader with the bounded composer; libyaml parses where installed (4x faster).

    ``1e6`` is read as a number, as in YAML 1.2 (YAML 1.1 reads it as text).
    """

    def __init__(self, text: str) -> None:
        _Parser.__init__(self, text)
        _Bounded.__init__(self)
        SafeConstructor.__init__(self)
        Resolver.__init__(self)


_ScenarioLoader.add_implicit_resolver(
    _FLOAT_TAG, re.compile(r"^[-+]?(?:[0-9][0-9_]*)(?:\.[0-9_]*)?[eE][-+]?[0-9]+$"), list("-+0123456789")
)


def parse_yaml(text: str, source: Path, surprises: dict[str, str]) -> Any:
    """The data of a scenario file's text; words YAML 1.1 read as booleans are noted in ``surprises``."""
    loader = _ScenarioLoader(text)
    try:
        data = loader.get_single_data()
    except _Refused as exc:
        raise YamlRefused(f"{source}: {exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        if "nesting depth" in problem:  # PyYAML ≥ 6.0.4 stops deep nesting itself, before our composer sees it
            raise YamlRefused(f"{source}: nested more than {MAX_DEPTH} levels deep{where}") from None
        raise YamlRefused(f"{source}: not valid YAML{where}: {problem}") from None
    finally:
        loader.dispose()
    surprises.update(loader.surprises)
    return data


# ---------------------------------------------------------------- files

MAX_BYTES = 2_000_000  # a scenario file, and each file it extends


def _short(value: Any) -> str:
    shown = repr(value)
    return shown if len(shown) <= 60 else shown[:57] + "..."


_NOT_REGULAR = (
    (stat.S_ISDIR, "a directory"), (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
    (stat.S_ISFIFO, "a named pipe"), (stat.S_ISSOCK, "a socket"),
)


# What a refusal says a file must be: a scenario file, or a CSV file a scenario names (sim.scenario.state_files).
_KINDS = {"scenario": ("a scenario is a YAML file", "a scenario is UTF-8 YAML", "utf-8", "a scenario"),
          "csv": ("give the path of a CSV file", "a UTF-8 CSV is expected", "utf-8-sig", "a CSV file")}


def _regular(p: Path, mode: int, size: int, kind: str) -> None:
    what = next((name for test, name in _NOT_REGULAR if test(mode)), None if stat.S_ISREG(mode) else "not a plain file")
    if what is not None:
        raise YamlRefused(f"{p}: is {what}, not a regular file; {_KINDS[kind][0]}")
    if size > MAX_BYTES:
        raise YamlRefused(f"{p}: the file is {size:,} bytes; {_KINDS[kind][3]} must be at most {MAX_BYTES:,} bytes")


def read_text(p: Path, kind: str = "scenario") -> str:
    """A file's text: a regular file, refused unread above MAX_BYTES (a scenario, or a CSV file it names).

    The path is checked before it is opened (opening a pipe would wait for a
    writer, reading a device would never end) and the open file again, and
    no more than MAX_BYTES + 1 bytes are ever read. Raises YamlRefused, one line.
    """
    try:
        info = os.stat(p)
        _regular(p, info.st_mode, info.st_size, kind)
        fd = os.open(p, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
        with os.fdopen(fd, "rb") as f:
            info = os.fstat(f.fileno())
            _regular(p, info.st_mode, info.st_size, kind)
            raw = f.read(MAX_BYTES + 1)
    except OSError as exc:
        raise YamlRefused(f"{p}: cannot read the file ({exc.strerror or exc})") from None
    if len(raw) > MAX_BYTES:
        raise YamlRefused(f"{p}: the file is over {MAX_BYTES:,} bytes; {_KINDS[kind][3]} must be at most {MAX_BYTES:,} bytes")
    try:
        text = raw.decode(_KINDS[kind][2])
    except UnicodeDecodeError:
        raise YamlRefused(f"{p}: not a text file ({_KINDS[kind][1]})") from None
    if "\x00" in text:
        raise YamlRefused(f"{p}: not a text file ({_KINDS[kind][1]})")
    return text


def read_scenario_file(
    p: Path, surprises: dict[str, str], depth: int = 0, extends: Callable[[str], Path] | None = None,
    files: Callable[[str], Path] | None = None,
) -> Any:
    """The parsed YAML of one scenario file, with any ``extends`` resolved (not yet validated).

    ``surprises`` collects YAML 1.1 readings (``no`` as false, ``16:30`` as a
    number) for the validation's error text. ``extends``, when given, maps
    this file's ``extends:`` value to the file it may name (or raises
    YamlRefused): the what-if page lets an upload name only the scenarios it
    offers. ``files`` likewise maps each starting-state file this file names
    (``state.open_charts``, ``coders.leave``, ``arrivals.volume_forecast``) to
    the file it may read, or raises YamlRefused: the page's uploads may name
    only the files the page itself wrote beside them. Raises YamlRefused, one line.
    """
    data = parse_yaml(read_text(p), p, surprises)
    from sim.scenario.state import anchor

    try:
        anchor(data, p.parent, files)  # the CSV files it names are relative to it
    except YamlRefused as exc:
        raise YamlRefused(f"{p}: {exc}") from None
    if isinstance(data, dict) and "extends" in data:
        data = _extend(p, data, surprises, depth, extends)
    return data


def _extend(
    path: Path, data: dict[str, Any], surprises: dict[str, str], depth: int,
    extends: Callable[[str], Path] | None = None,
) -> dict[str, Any]:
    """A what-if file names the scenario it changes; its settings are merged over that one's."""
    parent = data.pop("extends")
    if not isinstance(parent, str):
        raise YamlRefused(f"{path}: extends: must be the path of another scenario file (got {_short(parent)})")
    if depth >= 5:
        raise YamlRefused(f"{path}: extends: more than 5 levels deep (a cycle?)")
    try:
        target = extends(parent) if extends is not None else path.parent / parent
    except YamlRefused as exc:
        raise YamlRefused(f"{path}: extends: {exc}") from None
    try:
        base = read_scenario_file(target, surprises, depth + 1)
    except YamlRefused as exc:
        raise YamlRefused(f"{path}: extends: {exc}") from None
    if not isinstance(base, dict):
        raise YamlRefused(f"{path}: extends: {parent} does not hold a scenario")
    return _merge(base, data)


def _merge(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict) and "dist" not in value:
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out
