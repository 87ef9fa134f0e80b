"""YAML text -> plain Python values plus a map from spec paths to source marks.

Reads libyaml's event stream when present and composes values iteratively. Duplicate keys are
errors (never last-one-wins), aliases have a small budget (no billion-laughs expansion), nesting is
limited, tags other than the plain YAML types are refused, and only one document is accepted.
This module imports nothing of ours but `errors`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from wlid_render.errors import Mark, Path, Problem, SpecError

try:  # pragma: no cover - depends on how PyYAML was built
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

ALIAS_BUDGET = 100
NODE_BUDGET = 500_000
EXPANSION_BUDGET = 10_000  # values that aliases may stand for, all aliases together


@dataclass(frozen=True)
class Source:
    """A loaded spec: the values, and where each value and each mapping key came from."""

    file: str
    data: Any
    marks: dict[Path, Mark] = field(default_factory=dict)
    key_marks: dict[Path, Mark] = field(default_factory=dict)


MAX_DEPTH = 64  # nesting levels; a spec needs about ten
SAFE_TAGS = frozenset(
    f"tag:yaml.org,2002:{t}" for t in ("str", "int", "float", "bool", "null", "map", "seq")
)  # timestamps, binary, sets, ... and every custom tag are refused: a spec holds none of them
MAX_SCALAR_DIGITS = 100


def _mark(event: Any) -> Mark:
    return Mark(event.start_mark.line + 1, event.start_mark.column + 1)


@dataclass
class _Frame:
    value: dict[str, Any] | list[Any]
    path: Path
    key: Any = None  # the mapping key waiting for its value (None: a key comes next)
    key_mark: Mark | None = None
    as_key: bool = False  # this collection is itself a mapping key (refused)
    anchor: str | None = None
    weight: int = 1  # values inside, aliases expanded


_NO_KEY = object()


class _Composer:
    """Events -> values, iteratively (no recursion, whatever the nesting) with marks for every path.

    Reading the event stream instead of composing a node graph keeps deep nesting from exhausting
    Python's or libyaml's stack, lets an alias be located where it is used, and refuses tags and
    scalar forms a spec has no use for before anything constructs them.
    """

    def __init__(self, file: str) -> None:
        self.file = file
        self.marks: dict[Path, Mark] = {}
        self.key_marks: dict[Path, Mark] = {}
        self.problems: list[Problem] = []
        self.stack: list[_Frame] = []
        self.anchors: dict[str, Any] = {}
        self.weights: dict[str, int] = {}  # anchor -> values it stands for once expanded
        self.expanded = 0
        self.aliases = 0
        self.events = 0
        self.documents = 0
        self.root: Any = _NO_KEY
        self.root_mark: Mark | None = None
        self.resolver = yaml.resolver.Resolver()
        self.constructor = yaml.constructor.SafeConstructor()

    def fail(self, message: str, mark: Mark | None, path: Path = (), hint: str = "") -> SpecError:
        return SpecError([Problem(message, path, hint=hint, file=self.file, mark=mark)])

    # -- values ---------------------------------------------------------------------------------
    def scalar(self, event: yaml.ScalarEvent) -> Any:
        tag = event.tag
        if tag is None or tag == "!":
            tag = self.resolver.resolve(yaml.ScalarNode, event.value, event.implicit)
        if tag not in SAFE_TAGS:
            short = tag.replace("tag:yaml.org,2002:", "!!")
            raise self.fail(
                f"unsupported YAML tag or value form {short} ({_shown(event.value)})",
                _mark(event),
                self.path(),
                hint="write it as a plain string (quote it)",
            )
        if (
            tag in ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float")
            and len(event.value) > MAX_SCALAR_DIGITS
        ):
            raise self.fail("a number with too many digits", _mark(event), self.path(), hint="quote it")
        node = yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark, event.style)
        try:
            return self.constructor.construct_object(node)
        except (yaml.YAMLError, ValueError, KeyError) as exc:
            raise self.fail(
                f"cannot read the value {_shown(event.value)}: {exc}", _mark(event), self.path()
            ) from None

    def path(self) -> Path:
        if not self.stack:
            return ()
        frame = self.stack[-1]
        if isinstance(frame.value, list):
            return (*frame.path, len(frame.value))
        return (*frame.path, frame.key) if frame.key not in (None, _NO_KEY) else frame.path

    def attach(self, value: Any, mark: Mark, anchor: str | None, weight: int = 1) -> None:
        if anchor:
            self.anchors[anchor] = value
            self.weights[anchor] = weight
        if self.stack:
            self.stack[-1].weight += weight
        if not self.stack:
            self.root, self.root_mark = value, mark
            self.marks[()] = mark
            return
        frame = self.stack[-1]
        if isinstance(frame.value, list):
            self.marks[(*frame.path, len(frame.value))] = mark
            frame.value.append(value)
            return
        if frame.key is None:  # this value is a key
            self.key(frame, value, mark)
            return
        if frame.key is not _NO_KEY:
            path = (*frame.path, frame.key)
            self.marks[path] = mark
            frame.value[frame.key] = value
        frame.key = None

    def key(self, frame: _Frame, value: Any, mark: Mark) -> None:
        if not isinstance(value, str):
            self.problems.append(
                Problem("mapping keys must be strings", frame.path, file=self.file, mark=mark)
            )
            frame.key = _NO_KEY
            return
        if value in frame.value:
            first = self.key_marks[(*frame.path, value)]
            self.problems.append(
                Problem(
                    f"duplicate key {value!r} (first defined at line {first.line})",
                    (*frame.path, value),
                    hint="each key may appear once in a mapping",
                    file=self.file,
                    mark=mark,
                )
            )
            frame.key = _NO_KEY
            return
        self.key_marks[(*frame.path, value)] = mark
        frame.key = value

    # -- events ---------------------------------------------------------------------------------
    def feed(self, event: yaml.Event) -> None:
        self.events += 1
        if self.events > NODE_BUDGET:
            raise self.fail("the document is too large", _mark(event))
        if isinstance(event, yaml.DocumentStartEvent):
            self.documents += 1
            if self.documents > 1:
                raise self.fail(
                    "the file holds more than one YAML document", _mark(event), hint="put one spec per file"
                )
        elif isinstance(event, yaml.ScalarEvent):
            self.scalar_event(event)
        elif isinstance(event, yaml.SequenceStartEvent | yaml.MappingStartEvent):
            self.start(event)
        elif isinstance(event, yaml.SequenceEndEvent | yaml.MappingEndEvent):
            frame = self.stack.pop()
            if frame.as_key:
                self.problems.append(
                    Problem("mapping keys must be strings", frame.path, file=self.file, mark=frame.key_mark)
                )
                self.stack[-1].key = _NO_KEY
            else:
                mark = self.marks.get(frame.path, frame.key_mark or Mark(1, 1))
                self.attach(frame.value, mark, frame.anchor, frame.weight)
        elif isinstance(event, yaml.AliasEvent):
            self.alias(event)

    def scalar_event(self, event: yaml.ScalarEvent) -> None:
        frame = self.stack[-1] if self.stack else None
        if (
            frame is not None
            and isinstance(frame.value, dict)
            and frame.key is None
            and event.tag is None
            and event.value == "<<"
            and event.implicit[0]
        ):
            self.problems.append(
                Problem(
                    "YAML merge keys (<<) are not supported", frame.path, file=self.file, mark=_mark(event)
                )
            )
            frame.key = _NO_KEY
            return
        self.attach(self.scalar(event), _mark(event), event.anchor)

    def start(self, event: yaml.CollectionStartEvent) -> None:
        if len(self.stack) >= MAX_DEPTH:
            raise self.fail(
                f"the spec nests deeper than {MAX_DEPTH} levels",
                _mark(event),
                self.path(),
                hint="a spec needs about ten",
            )
        tag = event.tag
        if tag is not None and tag != "!" and tag not in SAFE_TAGS:
            raise self.fail(f"unsupported YAML tag {tag}", _mark(event), self.path(), hint="remove the tag")
        parent = self.stack[-1] if self.stack else None
        as_key = parent is not None and isinstance(parent.value, dict) and parent.key is None
        path = self.path() if not as_key else (parent.path if parent else ())
        value: dict[str, Any] | list[Any] = {} if isinstance(event, yaml.MappingStartEvent) else []
        if event.anchor:
            self.anchors[event.anchor] = value
            self.weights[event.anchor] = 1
        if not as_key:
            self.marks[path] = _mark(event)
        self.stack.append(_Frame(value, path, key_mark=_mark(event), as_key=as_key, anchor=event.anchor))

    def alias(self, event: yaml.AliasEvent) -> None:
        self.aliases += 1
        if self.aliases > ALIAS_BUDGET:
            raise self.fail(
                f"too many YAML aliases (more than {ALIAS_BUDGET})",
                _mark(event),
                self.path(),
                hint="write the values out; aliases are limited to keep expansion bounded",
            )
        if event.anchor not in self.anchors:
            raise self.fail(f"unknown YAML alias *{event.anchor}", _mark(event), self.path())
        value = self.anchors[event.anchor]
        if any(frame.value is value for frame in self.stack):
            raise self.fail(f"the YAML alias *{event.anchor} refers to itself", _mark(event), self.path())
        weight = self.weights.get(event.anchor, 1)
        self.expanded += weight
        if self.expanded > EXPANSION_BUDGET:
            raise self.fail(
                f"YAML aliases expand to more than {EXPANSION_BUDGET} values",
                _mark(event),
                self.path(),
                hint="write the values out; aliases are limited to keep expansion bounded",
            )
        self.attach(value, _mark(event), None, weight)


def _shown(value: str, limit: int = 60) -> str:
    """A value for a message: escaped, and cut when long (a spec may hold megabytes of it)."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[: limit - 5]}...' ({len(value)} characters)"


def load_text(text: str, file: str) -> Source:
    """Parse one YAML document. Raises SpecError with every problem found."""
    if text.startswith("\ufeff"):
        text = text[1:]
    composer = _Composer(file)
    try:
        for event in yaml.parse(text, Loader=_Loader):
            composer.feed(event)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = Mark(mark.line + 1, mark.column + 1) if mark else None
        message = f"not valid YAML: {exc.problem or exc.context}"
        raise SpecError([Problem(message, file=file, mark=where)]) from None
    except yaml.reader.ReaderError as exc:
        before = text[: exc.position]
        where = Mark(before.count("\n") + 1, exc.position - (before.rfind("\n") + 1) + 1)
        raise SpecError(
            [Problem(f"not valid YAML: {exc.reason} (character {exc.character!r})", file=file, mark=where)]
        ) from None
    except yaml.YAMLError as exc:
        raise SpecError([Problem(f"not valid YAML: {exc}", file=file)]) from None
    if composer.problems:
        raise SpecError(composer.problems)
    if composer.root is _NO_KEY:
        raise SpecError([Problem("the file is empty", file=file, mark=Mark(1, 1))])
    if not isinstance(composer.root, dict):
        raise SpecError(
            [Problem("the spec must be a YAML mapping (key: value)", file=file, mark=composer.root_mark)]
        )
    return Source(file=file, data=composer.root, marks=composer.marks, key_marks=composer.key_marks)


def load_file(path: str) -> Source:
    """Read and parse a spec file. Raises SpecError (never OSError or UnicodeError)."""
    try:
        raw = open(path, "rb").read()  # noqa: SIM115 - read in one go
    except OSError as exc:
        raise SpecError([Problem(f"cannot read the spec: {exc.strerror}", file=path)]) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise SpecError(
            [
                Problem(
                    "the file is not UTF-8 text", hint="save it as UTF-8", file=path, mark=Mark(line, column)
                )
            ]
        ) from None
    return load_text(text, path)
