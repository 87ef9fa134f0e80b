"""libyaml's events -> plain Python values, with the source mark of every path.

Reading the event stream instead of composing a node graph keeps deep nesting from exhausting
Python's or libyaml's stack (no recursion, whatever the nesting), lets an alias be located where it
is used, and refuses tags and scalar forms a spec has no use for before anything constructs them.
Duplicate keys are errors (never last-one-wins), aliases have a budget (no billion-laughs
expansion), nesting is limited, tags other than the plain YAML types are refused, and only one
document is accepted.

`_Composer` has one handler per kind of event; each finished value (a scalar, an alias, a closed
collection) goes to `place`, which puts it into the open collection or makes it the root. A spec of
a thousand workloads is some 30,000 events: the handlers keep the common case (a plain scalar in a
mapping) short.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import yaml

from wlid_render.errors import Mark, Path, Problem, SpecError
from wlid_render.input_limits import YAML_ALIAS_BUDGET, YAML_EXPANSION_BUDGET, YAML_MAX_DEPTH
from wlid_render.spec.composed import NO_KEY, SHALLOW, At, Composed, Frame, Retrack

NODE_BUDGET = 500_000
SAFE_TAGS = frozenset(
    f"tag:yaml.org,2002:{t}" for t in ("str", "int", "float", "bool", "null", "map", "seq")
)  # timestamps, binary, sets, ... and every custom tag are refused: a spec holds none of them
MAX_SCALAR_DIGITS = 100
NOT_A_SECRET = "!wlid/not-a-secret"  # on a string value: not a credential (see plan/secrets/)

_STR = "tag:yaml.org,2002:str"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"
_NUMBER_TAGS = ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float")
_REUSED_TAGS = frozenset(f"tag:yaml.org,2002:{t}" for t in ("int", "bool", "null"))  # immutable values
_MERGE_PROBLEM = "YAML merge keys (<<) are not supported"
_KEY_PROBLEM = "mapping keys must be strings"
_DUPLICATE_HINT = "each key may appear once in a mapping"
_ALIAS_HINT = "write the values out; aliases are limited to keep expansion bounded"
_MAPPING_START = yaml.MappingStartEvent


def compose(get_event: Callable[[], Any], file: str, out: Composed, track: bool) -> None:
    """Events -> values in `out`, with marks for every path.

    Without `track`, only the marks of paths up to SHALLOW steps long are recorded (what warnings
    point at), and the first problem raises Retrack (or SpecError, maybe not located): the caller
    composes again with `track` to report it.
    """
    _Composer(file, out, track).run(get_event)


def _at(event: Any) -> At:
    mark = event.start_mark
    return (mark.line + 1, mark.column + 1)


def _shown(value: str, limit: int = 60) -> str:
    """A value for a message: escaped, and cut when long (a spec may hold megabytes of it)."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[: limit - 5]}...' ({len(value)} characters)"


class _Composer:
    """The state of one composition and a handler per kind of event."""

    __slots__ = (
        "aliases",
        "anchors",
        "constructed",
        "constructor",
        "documents",
        "expanded",
        "file",
        "implicit_resolvers",
        "key_marks",
        "marks",
        "not_secret_anchors",
        "out",
        "plain_str_shortcut",
        "resolve",
        "resolved",
        "stack",
        "top",
        "track",
        "weights",
    )

    def __init__(self, file: str, out: Composed, track: bool) -> None:
        self.file = file
        self.out = out
        self.track = track
        self.marks = out.marks
        self.key_marks = out.key_marks
        self.stack = out.stack
        self.top: Frame | None = None  # stack[-1]
        self.anchors: dict[str, Any] = {}
        self.weights: dict[str, int] = {}  # anchor -> values it stands for once expanded
        # Anchors of values tagged NOT_A_SECRET: so are their aliases.
        self.not_secret_anchors: set[str] = set()
        self.aliases = 0
        self.expanded = 0  # values that aliases stand for, all aliases together
        self.documents = 0
        resolver = yaml.resolver.Resolver()
        self.resolve = resolver.resolve
        self.implicit_resolvers = resolver.yaml_implicit_resolvers
        # A plain scalar whose first character no implicit resolver watches is a string, as is every
        # quoted one, unless resolvers by path or for any first character were added to PyYAML.
        self.plain_str_shortcut = not resolver.yaml_path_resolvers and None not in self.implicit_resolvers
        self.resolved: dict[str, str] = {}  # plain scalar text -> tag
        self.constructed: dict[tuple[str, str], Any] = {}  # (tag, text) -> int, bool or None
        self.constructor: yaml.constructor.SafeConstructor | None = None

    def run(self, get_event: Callable[[], Any]) -> None:
        """Every event to its handler, within the budget of events."""
        handlers: dict[type, Callable[[Any], None]] = {  # every kind of event PyYAML has
            yaml.ScalarEvent: self.scalar,
            yaml.MappingStartEvent: self.start,
            yaml.SequenceStartEvent: self.start,
            yaml.MappingEndEvent: self.end,
            yaml.SequenceEndEvent: self.end,
            yaml.AliasEvent: self.alias,
            yaml.DocumentStartEvent: self.document,
            yaml.DocumentEndEvent: self.ignore,
            yaml.StreamStartEvent: self.ignore,
            yaml.StreamEndEvent: self.ignore,
        }
        events = 0
        while True:
            event = get_event()
            if event is None:
                return
            events += 1
            if events > NODE_BUDGET:
                raise self.fail("the document is too large", _at(event))
            handlers[event.__class__](event)

    def fail(self, message: str, at: At | None, path: Path = (), hint: str = "") -> SpecError:
        mark = None if at is None else Mark(*at)
        return SpecError([Problem(message, path, hint=hint, file=self.file, mark=mark)])

    def problem(self, message: str, path: Path, at: At) -> None:
        """A problem that does not stop composing (reported with the others); without marks, compose
        again with them first."""
        if not self.track:
            raise Retrack
        self.out.problems.append(Problem(message, path, file=self.file, mark=Mark(*at)))

    def current_path(self) -> Path:
        """The path of the node an event at this point stands for."""
        frame = self.top
        if frame is None:
            return ()
        if frame.is_list:
            return (*frame.path, len(frame.value))
        key = frame.key
        return (*frame.path, key) if key is not None and key is not NO_KEY else frame.path

    def awaits_key(self) -> bool:
        """Whether the next value is a key of the open mapping."""
        top = self.top
        return top is not None and not top.is_list and top.key is None

    # -- the handlers -------------------------------------------------------------------------------
    def scalar(self, event: Any) -> None:
        """A scalar: a string, or the number, boolean or null PyYAML's safe rules make of it."""
        mark = event.start_mark
        at = (mark.line + 1, mark.column + 1)
        text = event.value
        tag = event.tag
        if tag == NOT_A_SECRET:
            self.not_a_secret(event, at)
            tag = _STR
        if tag is None or tag == "!":
            implicit = event.implicit
            if text == "<<" and tag is None and implicit[0] and self.awaits_key():
                self.problem(_MERGE_PROBLEM, self.top.path, at)  # type: ignore[union-attr]
                self.top.key = NO_KEY  # type: ignore[union-attr]
                return
            if not implicit[0]:
                tag = _STR if self.plain_str_shortcut else self.resolve(yaml.ScalarNode, text, implicit)
            elif self.plain_str_shortcut and (text[0] if text else "") not in self.implicit_resolvers:
                tag = _STR
            else:  # with implicit[0] set, what a plain scalar resolves to depends on its text only
                tag = self.resolved.get(text)
                if tag is None:
                    tag = self.resolved[text] = self.resolve(yaml.ScalarNode, text, implicit)
        if tag == _STR:
            self.place(text, at, event.anchor, 1)
        else:
            self.place(self.constructed_value(event, tag, at), at, event.anchor, 1)

    def not_a_secret(self, event: Any, at: At) -> None:
        """A scalar tagged NOT_A_SECRET: its path (and its anchor's aliases) are let through."""
        if self.awaits_key():
            raise self.fail(f"{NOT_A_SECRET} tags a value, not a key", at, self.top.path)  # type: ignore[union-attr]
        self.out.not_secrets.add(self.current_path())
        if event.anchor:
            self.not_secret_anchors.add(event.anchor)

    def constructed_value(self, event: Any, tag: str, at: At) -> Any:
        """The value of a scalar that is not a string (a number, a boolean, null), or SpecError."""
        text = event.value
        found = self.constructed.get((tag, text), NO_KEY)
        if found is not NO_KEY:
            return found
        if tag not in SAFE_TAGS or tag in (_MAP, _SEQ):
            short = tag.replace("tag:yaml.org,2002:", "!!")
            raise self.fail(
                f"unsupported YAML tag or value form {short} ({_shown(text)})",
                at,
                self.current_path(),
                hint="write it as a plain string (quote it)",
            )
        if tag in _NUMBER_TAGS and len(text) > MAX_SCALAR_DIGITS:
            raise self.fail("a number with too many digits", at, self.current_path(), hint="quote it")
        if self.constructor is None:
            self.constructor = yaml.constructor.SafeConstructor()
        node = yaml.ScalarNode(tag, text, event.start_mark, event.end_mark, event.style)
        try:
            value = self.constructor.construct_object(node)
        except (yaml.YAMLError, ValueError, KeyError) as exc:
            raise self.fail(f"cannot read the value {_shown(text)}: {exc}", at, self.current_path()) from None
        if tag in _REUSED_TAGS:
            self.constructed[tag, text] = value
        return value

    def start(self, event: Any) -> None:
        """A mapping or a sequence opens."""
        at = _at(event)
        if len(self.stack) >= YAML_MAX_DEPTH:
            raise self.fail(
                f"the spec nests deeper than {YAML_MAX_DEPTH} levels",
                at,
                self.current_path(),
                hint="a spec needs about ten",
            )
        is_mapping = event.__class__ is _MAPPING_START
        if event.tag is not None:
            self.check_collection_tag(event.tag, is_mapping, at)
        top = self.top
        as_key = top is not None and not top.is_list and top.key is None  # a collection as a key: refused
        path = top.path if as_key else self.current_path()  # type: ignore[union-attr]
        collection: dict[str, Any] | list[Any] = {} if is_mapping else []
        anchor = event.anchor
        if anchor:
            self.anchors[anchor] = collection
            self.weights[anchor] = 1
        if not as_key and (self.track or len(path) <= SHALLOW):
            self.marks.setdefault(path, at)  # the value of a duplicate key does not move the first's
        self.top = Frame(collection, path, at, as_key, anchor, self.track, bool(event.flow_style))
        self.stack.append(self.top)

    def check_collection_tag(self, tag: str, is_mapping: bool, at: At) -> None:
        """Only `!` and the tag of the collection's own kind are accepted."""
        if tag == NOT_A_SECRET:
            raise self.fail(
                f"{NOT_A_SECRET} tags a string value, not a mapping or a list",
                at,
                self.current_path(),
                hint="tag each string that is not a secret",
            )
        if tag is not None and tag != "!" and tag not in SAFE_TAGS:
            raise self.fail(f"unsupported YAML tag {tag}", at, self.current_path(), hint="remove the tag")
        if tag in SAFE_TAGS and tag != (_MAP if is_mapping else _SEQ):
            what = "mapping" if is_mapping else "sequence"
            short = tag.replace("tag:yaml.org,2002:", "!!")
            raise self.fail(
                f"the tag {short} does not fit a {what}", at, self.current_path(), hint="remove the tag"
            )

    def end(self, event: Any) -> None:
        """A mapping or a sequence closes: it is a finished value."""
        frame = self.stack.pop()
        self.top = self.stack[-1] if self.stack else None
        if frame.as_key:
            self.problem(_KEY_PROBLEM, frame.path, frame.at)
            self.top.key = NO_KEY  # type: ignore[union-attr]
            return
        self.place(frame.value, self.marks.get(frame.path, frame.at), frame.anchor, frame.weight)

    def alias(self, event: Any) -> None:
        """An alias stands for its anchor's value, within the budgets."""
        at = _at(event)
        self.aliases += 1
        name = event.anchor
        if self.aliases > YAML_ALIAS_BUDGET:
            raise self.fail(
                f"too many YAML aliases (more than {YAML_ALIAS_BUDGET})",
                at,
                self.current_path(),
                hint=_ALIAS_HINT,
            )
        if name not in self.anchors:
            raise self.fail(f"unknown YAML alias *{name}", at, self.current_path())
        value = self.anchors[name]
        if any(frame.value is value for frame in self.stack):
            raise self.fail(f"the YAML alias *{name} refers to itself", at, self.current_path())
        if name in self.not_secret_anchors and not self.awaits_key():
            self.out.not_secrets.add(self.current_path())
        weight = self.weights.get(name, 1)
        self.expanded += weight
        if self.expanded > YAML_EXPANSION_BUDGET:
            raise self.fail(
                f"YAML aliases expand to more than {YAML_EXPANSION_BUDGET} values",
                at,
                self.current_path(),
                hint=_ALIAS_HINT,
            )
        self.place(value, at, None, weight)

    def document(self, event: Any) -> None:
        """A document starts: the first and only one."""
        self.documents += 1
        if self.documents > 1:
            raise self.fail(
                "the file holds more than one YAML document", _at(event), hint="put one spec per file"
            )

    def ignore(self, event: Any) -> None:
        pass

    # -- a finished value ---------------------------------------------------------------------------
    def place(self, value: Any, at: At, anchor: str | None, weight: int) -> None:
        """Put a finished value into the open collection (as an item, a key or a key's value), or make
        it the root."""
        if anchor:
            self.anchors[anchor] = value
            self.weights[anchor] = weight
        top = self.top
        if top is None:
            self.out.root, self.out.root_at = value, at
            self.marks[()] = at
            return
        top.weight += weight
        if top.is_list:
            items = top.value
            if top.marked:
                self.marks[(*top.path, len(items))] = at
            items.append(value)  # type: ignore[union-attr]
            return
        key = top.key
        if key is None:  # this value is a key
            if isinstance(value, str) and value not in top.value:
                if top.marked:
                    self.key_marks.setdefault((*top.path, value), at)  # the first definition wins
                top.key = value
            else:
                self.refuse_key(top, value, at)
            return
        if key is not NO_KEY:
            if top.marked:
                self.marks[(*top.path, key)] = at
            top.value[key] = value  # type: ignore[call-overload]
        top.key = None

    def refuse_key(self, top: Frame, value: Any, at: At) -> None:
        """A key of the open mapping that is not a string, or that the mapping has already."""
        if not isinstance(value, str):
            self.problem(_KEY_PROBLEM, top.path, at)
        else:
            if not self.track:
                raise Retrack
            path = (*top.path, value)
            first = self.key_marks[path]
            self.out.problems.append(
                Problem(
                    f"duplicate key {value!r} (first defined at line {first[0]})",
                    path,
                    hint=_DUPLICATE_HINT,
                    file=self.file,
                    mark=Mark(*at),
                )
            )
        top.key = NO_KEY
