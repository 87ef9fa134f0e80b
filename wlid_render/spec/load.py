"""YAML text -> plain Python values plus a map from spec paths to source marks.

Reads libyaml's event stream when present and composes values iteratively. Duplicate keys are
errors (never last-one-wins), aliases have a small budget (no billion-laughs expansion), nesting is
limited, tags other than the plain YAML types are refused, and only one document is accepted.
This module imports nothing of ours but the leaves `errors` and `input_limits`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from functools import cache
from typing import Any, NamedTuple

import yaml

from wlid_render.errors import Mark, Path, Problem, SpecError
from wlid_render.input_limits import YAML_ALIAS_BUDGET as ALIAS_BUDGET
from wlid_render.input_limits import YAML_EXPANSION_BUDGET as EXPANSION_BUDGET
from wlid_render.input_limits import YAML_MAX_DEPTH as MAX_DEPTH

try:  # pragma: no cover - depends on how PyYAML was built
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

NODE_BUDGET = 500_000

_At = tuple[int, int]  # a 1-based (line, column) while composing; a Mark once it leaves this module


class Marks(Mapping[Path, Mark]):
    """Spec paths -> source marks. Kept as (line, column) pairs; a Mark is made when one is looked up.

    With `compute`, `at` holds only the paths up to SHALLOW steps long and `compute` finds all of
    them on the first look-up of a longer path: a spec that loads, validates and renders without a
    problem needs a few shallow marks at most (its warnings), so the loader records no more up front.
    """

    __slots__ = ("_at", "_compute")

    def __init__(
        self, at: dict[Path, _At] | None = None, compute: Callable[[], dict[Path, _At]] | None = None
    ) -> None:
        self._at: dict[Path, _At] = {} if at is None else at
        self._compute = compute

    @property
    def pairs(self) -> dict[Path, _At]:
        if self._compute is not None:
            self._at, self._compute = self._compute(), None
        return self._at

    def _pairs_for(self, path: object) -> dict[Path, _At]:
        return self._at if isinstance(path, tuple) and len(path) <= SHALLOW else self.pairs

    def __getitem__(self, path: Path) -> Mark:
        line, column = self._pairs_for(path)[path]
        return Mark(line, column)

    def get(self, path: Path, default: Any = None) -> Any:  # type: ignore[override]
        at = self._pairs_for(path).get(path)
        return default if at is None else Mark(*at)

    def __contains__(self, path: object) -> bool:
        return path in self._pairs_for(path)

    def __iter__(self) -> Iterator[Path]:
        return iter(self.pairs)

    def __len__(self) -> int:
        return len(self.pairs)

    def __repr__(self) -> str:
        return f"Marks({dict(self.items())!r})"


class Source(NamedTuple):
    """A loaded spec: the values, and where each value and each mapping key came from."""

    file: str
    data: Any
    marks: Mapping[Path, Mark] = Marks()  # read-only: one empty instance serves every Source
    key_marks: Mapping[Path, Mark] = Marks()
    not_secrets: frozenset[Path] = frozenset()  # string values tagged NOT_A_SECRET (plan/secrets.py)


SHALLOW = 2  # marks of paths this long or shorter are always recorded (see Marks)
SAFE_TAGS = frozenset(
    f"tag:yaml.org,2002:{t}" for t in ("str", "int", "float", "bool", "null", "map", "seq")
)  # timestamps, binary, sets, ... and every custom tag are refused: a spec holds none of them
MAX_SCALAR_DIGITS = 100
NOT_A_SECRET = "!wlid/not-a-secret"  # on a string value: not a credential (see plan/secrets.py)

_STR = "tag:yaml.org,2002:str"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"
_NUMBER_TAGS = ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float")
_REUSED_TAGS = frozenset(f"tag:yaml.org,2002:{t}" for t in ("int", "bool", "null"))  # immutable values
_MERGE_PROBLEM = "YAML merge keys (<<) are not supported"
_KEY_PROBLEM = "mapping keys must be strings"
_DUPLICATE_HINT = "each key may appear once in a mapping"
_ALIAS_HINT = "write the values out; aliases are limited to keep expansion bounded"


class _Frame:
    """An open collection: its value so far, its path, and what comes next in it."""

    __slots__ = ("anchor", "as_key", "at", "flow", "is_list", "key", "marked", "path", "value", "weight")

    def __init__(
        self,
        value: dict[str, Any] | list[Any],
        path: Path,
        at: _At,
        as_key: bool,
        anchor: str | None,
        track: bool,
        flow: bool,
    ) -> None:
        self.value = value
        self.flow = flow  # written with [ ] or { }
        self.is_list = type(value) is list
        self.path = path
        self.marked = track or len(path) < SHALLOW  # the marks of what it holds are recorded
        self.key: Any = None  # the mapping key waiting for its value (None: a key comes next)
        self.at = at  # where the collection starts
        self.as_key = as_key  # this collection is itself a mapping key (refused)
        self.anchor = anchor
        self.weight = 1  # values inside, aliases expanded


_NO_KEY = object()


def _at(event: Any) -> _At:
    mark = event.start_mark
    return (mark.line + 1, mark.column + 1)


def _current_path(stack: list[_Frame]) -> Path:
    """The path of the node an event at this point stands for."""
    if not stack:
        return ()
    frame = stack[-1]
    if frame.is_list:
        return (*frame.path, len(frame.value))
    return (*frame.path, frame.key) if frame.key is not None and frame.key is not _NO_KEY else frame.path


class _Composed:
    """What composing found: the root value and its mark, marks by path, and the problems.

    `stack` holds the collections still open (after a YAML error: those open where it stopped).
    """

    __slots__ = ("key_marks", "marks", "not_secrets", "problems", "root", "root_at", "stack")

    def __init__(self) -> None:
        self.marks: dict[Path, _At] = {}
        self.key_marks: dict[Path, _At] = {}
        self.not_secrets: set[Path] = set()  # paths of values tagged NOT_A_SECRET
        self.problems: list[Problem] = []
        self.root: Any = _NO_KEY
        self.root_at: _At | None = None
        self.stack: list[_Frame] = []

    def open_flow(self) -> _Frame | None:
        """The innermost collection written with [ ] or { } that is still open."""
        return next((frame for frame in reversed(self.stack) if frame.flow), None)


class _Retrack(Exception):
    """A problem found while composing without marks: compose again with them to locate it."""


def _compose(get_event: Callable[[], Any], file: str, out: _Composed, track: bool) -> None:
    """Events -> values, iteratively (no recursion, whatever the nesting) with marks for every path.

    Without `track`, only the marks of paths up to SHALLOW steps long are recorded (what warnings
    point at), and the first problem raises _Retrack (or SpecError, maybe not located): the caller
    composes again with `track` to report it.

    Reading the event stream instead of composing a node graph keeps deep nesting from exhausting
    Python's or libyaml's stack, lets an alias be located where it is used, and refuses tags and
    scalar forms a spec has no use for before anything constructs them. One loop with the state in
    local variables: a spec of a thousand workloads is some 30,000 events.
    """

    def fail(message: str, at: _At | None, path: Path = (), hint: str = "") -> SpecError:
        mark = None if at is None else Mark(*at)
        return SpecError([Problem(message, path, hint=hint, file=file, mark=mark)])

    marks = out.marks
    key_marks = out.key_marks
    problems = out.problems
    stack = out.stack
    push = stack.append
    pop = stack.pop
    anchors: dict[str, Any] = {}
    weights: dict[str, int] = {}  # anchor -> values it stands for once expanded
    not_secret_anchors: set[str] = set()  # anchors of values tagged NOT_A_SECRET: so are their aliases
    expanded = aliases = events = documents = 0
    resolver = yaml.resolver.Resolver()
    resolve = resolver.resolve
    scalar_node = yaml.ScalarNode
    implicit_resolvers = resolver.yaml_implicit_resolvers
    # A plain scalar whose first character no implicit resolver watches is a string, as is every
    # quoted one, unless resolvers by path or for any first character were added to PyYAML.
    plain_str_shortcut = not resolver.yaml_path_resolvers and None not in implicit_resolvers
    constructor: yaml.constructor.SafeConstructor | None = None
    resolved: dict[str, str] = {}  # plain scalar text -> tag
    constructed: dict[tuple[str, str], Any] = {}  # (tag, text) -> int, bool or None
    scalar_event, mapping_start, sequence_start = (
        yaml.ScalarEvent,
        yaml.MappingStartEvent,
        yaml.SequenceStartEvent,
    )
    ends = (yaml.MappingEndEvent, yaml.SequenceEndEvent)
    alias_event, document_start = yaml.AliasEvent, yaml.DocumentStartEvent
    top: _Frame | None = None  # stack[-1]

    while True:
        event = get_event()
        if event is None:
            break
        events += 1
        if events > NODE_BUDGET:
            raise fail("the document is too large", _at(event))
        kind = event.__class__
        value: Any
        weight = 1
        anchor: str | None
        if kind is scalar_event:
            mark = event.start_mark
            at = (mark.line + 1, mark.column + 1)
            text = event.value
            tag = event.tag
            anchor = event.anchor
            if tag == NOT_A_SECRET:
                if top is not None and not top.is_list and top.key is None:
                    raise fail(f"{NOT_A_SECRET} tags a value, not a key", at, top.path)
                out.not_secrets.add(_current_path(stack))
                if anchor:
                    not_secret_anchors.add(anchor)
                tag = _STR
            if tag is None or tag == "!":
                implicit = event.implicit
                if (
                    text == "<<"
                    and tag is None
                    and top is not None
                    and top.key is None
                    and not top.is_list
                    and implicit[0]
                ):
                    if not track:
                        raise _Retrack
                    problems.append(Problem(_MERGE_PROBLEM, top.path, file=file, mark=Mark(*at)))
                    top.key = _NO_KEY
                    continue
                if not implicit[0]:
                    tag = _STR if plain_str_shortcut else resolve(scalar_node, text, implicit)
                elif plain_str_shortcut and (text[0] if text else "") not in implicit_resolvers:
                    tag = _STR
                else:  # with implicit[0] set, what a plain scalar resolves to depends on its text only
                    tag = resolved.get(text)
                    if tag is None:
                        tag = resolved[text] = resolve(scalar_node, text, implicit)
            if tag == _STR:
                value = text
            elif (tag, text) in constructed:
                value = constructed[tag, text]
            else:
                if tag not in SAFE_TAGS or tag in (_MAP, _SEQ):
                    short = tag.replace("tag:yaml.org,2002:", "!!")
                    raise fail(
                        f"unsupported YAML tag or value form {short} ({_shown(text)})",
                        at,
                        _current_path(stack),
                        hint="write it as a plain string (quote it)",
                    )
                if tag in _NUMBER_TAGS and len(text) > MAX_SCALAR_DIGITS:
                    raise fail("a number with too many digits", at, _current_path(stack), hint="quote it")
                if constructor is None:
                    constructor = yaml.constructor.SafeConstructor()
                node = scalar_node(tag, text, event.start_mark, event.end_mark, event.style)
                try:
                    value = constructor.construct_object(node)
                except (yaml.YAMLError, ValueError, KeyError) as exc:
                    raise fail(
                        f"cannot read the value {_shown(text)}: {exc}", at, _current_path(stack)
                    ) from None
                if tag in _REUSED_TAGS:
                    constructed[tag, text] = value
        elif kind is mapping_start or kind is sequence_start:
            at = _at(event)
            if len(stack) >= MAX_DEPTH:
                raise fail(
                    f"the spec nests deeper than {MAX_DEPTH} levels",
                    at,
                    _current_path(stack),
                    hint="a spec needs about ten",
                )
            tag = event.tag
            if tag == NOT_A_SECRET:
                raise fail(
                    f"{NOT_A_SECRET} tags a string value, not a mapping or a list",
                    at,
                    _current_path(stack),
                    hint="tag each string that is not a secret",
                )
            if tag is not None and tag != "!" and tag not in SAFE_TAGS:
                raise fail(f"unsupported YAML tag {tag}", at, _current_path(stack), hint="remove the tag")
            if tag in SAFE_TAGS and tag != (_MAP if kind is mapping_start else _SEQ):
                what = "mapping" if kind is mapping_start else "sequence"
                short = tag.replace("tag:yaml.org,2002:", "!!")
                raise fail(
                    f"the tag {short} does not fit a {what}", at, _current_path(stack), hint="remove the tag"
                )
            as_key = top is not None and not top.is_list and top.key is None
            path = top.path if as_key else _current_path(stack)  # type: ignore[union-attr]
            collection: dict[str, Any] | list[Any] = {} if kind is mapping_start else []
            anchor = event.anchor
            if anchor:
                anchors[anchor] = collection
                weights[anchor] = 1
            if not as_key and (track or len(path) <= SHALLOW):
                marks.setdefault(path, at)  # the value of a duplicate key does not move the first's
            top = _Frame(collection, path, at, as_key, anchor, track, bool(event.flow_style))
            push(top)
            continue
        elif kind in ends:
            frame = pop()
            top = stack[-1] if stack else None
            if frame.as_key:
                if not track:
                    raise _Retrack
                problems.append(Problem(_KEY_PROBLEM, frame.path, file=file, mark=Mark(*frame.at)))
                top.key = _NO_KEY  # type: ignore[union-attr]
                continue
            value = frame.value
            at = marks.get(frame.path, frame.at)
            anchor = frame.anchor
            weight = frame.weight
        elif kind is alias_event:
            at = _at(event)
            aliases += 1
            name = event.anchor
            if aliases > ALIAS_BUDGET:
                raise fail(
                    f"too many YAML aliases (more than {ALIAS_BUDGET})",
                    at,
                    _current_path(stack),
                    hint=_ALIAS_HINT,
                )
            if name not in anchors:
                raise fail(f"unknown YAML alias *{name}", at, _current_path(stack))
            value = anchors[name]
            if any(frame.value is value for frame in stack):
                raise fail(f"the YAML alias *{name} refers to itself", at, _current_path(stack))
            if name in not_secret_anchors and not (top is not None and not top.is_list and top.key is None):
                out.not_secrets.add(_current_path(stack))
            weight = weights.get(name, 1)
            expanded += weight
            if expanded > EXPANSION_BUDGET:
                raise fail(
                    f"YAML aliases expand to more than {EXPANSION_BUDGET} values",
                    at,
                    _current_path(stack),
                    hint=_ALIAS_HINT,
                )
            anchor = None
        else:
            if kind is document_start:
                documents += 1
                if documents > 1:
                    raise fail(
                        "the file holds more than one YAML document", _at(event), hint="put one spec per file"
                    )
            continue

        # Place the value: in the open collection (as an item, a key or a key's value), or as the root.
        if anchor:
            anchors[anchor] = value
            weights[anchor] = weight
        if top is None:
            out.root, out.root_at = value, at
            marks[()] = at
            continue
        top.weight += weight
        if top.is_list:
            items = top.value
            if top.marked:
                marks[(*top.path, len(items))] = at
            items.append(value)  # type: ignore[union-attr]
            continue
        key = top.key
        if key is None:  # this value is a key
            if not track and (not isinstance(value, str) or value in top.value):
                raise _Retrack
            if not isinstance(value, str):
                problems.append(Problem(_KEY_PROBLEM, top.path, file=file, mark=Mark(*at)))
                top.key = _NO_KEY
            elif value in top.value:
                path = (*top.path, value)
                first = key_marks[path]
                problems.append(
                    Problem(
                        f"duplicate key {value!r} (first defined at line {first[0]})",
                        path,
                        hint=_DUPLICATE_HINT,
                        file=file,
                        mark=Mark(*at),
                    )
                )
                top.key = _NO_KEY
            else:
                if top.marked:
                    key_marks.setdefault((*top.path, value), at)  # first definition wins (see above)
                top.key = value
            continue
        if key is not _NO_KEY:
            if top.marked:
                marks[(*top.path, key)] = at
            top.value[key] = value  # type: ignore[call-overload]
        top.key = None


def _shown(value: str, limit: int = 60) -> str:
    """A value for a message: escaped, and cut when long (a spec may hold megabytes of it)."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[: limit - 5]}...' ({len(value)} characters)"


def load_text(text: str, file: str) -> Source:
    """Parse one YAML document. Raises SpecError with every problem found."""
    if text.startswith("\ufeff"):
        text = text[1:]
    try:
        try:
            composed = _composed(text, file, track=False)
            if composed.problems or not isinstance(composed.root, dict):
                raise _Retrack
            complete = False
        except (_Retrack, SpecError):
            composed = _composed(text, file, track=True)
            complete = True
    except _Unreadable as exc:
        raise SpecError([_unreadable(text, file, exc)]) from None
    except yaml.reader.ReaderError as exc:
        before = text[: exc.position]
        where = Mark(before.count("\n") + 1, exc.position - (before.rfind("\n") + 1) + 1)
        raise SpecError(
            [Problem(f"not valid YAML: {exc.reason} (character {exc.character!r})", file=file, mark=where)]
        ) from None
    except yaml.YAMLError as exc:
        raise SpecError([Problem(f"not valid YAML: {exc}", file=file)]) from None
    if composed.problems:
        raise SpecError(composed.problems)
    if composed.root is _NO_KEY:
        raise SpecError([Problem("the file is empty", file=file, mark=Mark(1, 1))])
    if not isinstance(composed.root, dict):
        root_mark = None if composed.root_at is None else Mark(*composed.root_at)
        raise SpecError([Problem("the spec must be a YAML mapping (key: value)", file=file, mark=root_mark)])
    not_secrets = frozenset(composed.not_secrets)
    if complete:
        return Source(
            file=file,
            data=composed.root,
            marks=Marks(composed.marks),
            key_marks=Marks(composed.key_marks),
            not_secrets=not_secrets,
        )
    tracked = cache(lambda: _composed(text, file, track=True))  # the same text composes the same way
    return Source(
        file=file,
        data=composed.root,
        marks=Marks(composed.marks, compute=lambda: tracked().marks),
        key_marks=Marks(composed.key_marks, compute=lambda: tracked().key_marks),
        not_secrets=not_secrets,
    )


class _Unreadable(Exception):
    """PyYAML refused the text: its error, and the innermost [ ] or { } still open where it stopped."""

    def __init__(self, error: yaml.MarkedYAMLError, open_flow: _Frame | None) -> None:
        super().__init__(str(error))
        self.error = error
        self.open_flow = open_flow


def _composed(text: str, file: str, track: bool, loader: type | None = None) -> _Composed:
    composed = _Composed()
    parser = (loader or _Loader)(text)
    try:
        _compose(parser.get_event, file, composed, track)
    except yaml.MarkedYAMLError as exc:
        raise _Unreadable(exc, composed.open_flow()) from None
    finally:
        parser.dispose()
    return composed


_TAB_HINT = "replace the tab with spaces"


def _unreadable(text: str, file: str, exc: _Unreadable) -> Problem:
    """PyYAML's error in wlid's words, at the place to fix: where a tab is, where a [ or { was opened.

    Releases of PyYAML and libyaml word the same error differently and add limits of their own, so the
    kind of error is told from where it stopped and from what is open there, not from its message alone.
    """
    error = exc.error
    problem = error.problem or ""
    context = error.context or ""
    at = error.problem_mark or error.context_mark
    mark = Mark(at.line + 1, at.column + 1) if at else None
    if "nesting" in problem:
        return _too_deep(text, file, mark)
    char = text[at.index] if at is not None and 0 <= at.index < len(text) else ""
    if char == "\t":
        line_start = text.rfind("\n", 0, at.index) + 1  # type: ignore[union-attr]
        if not text[line_start : at.index].strip(" \t"):  # type: ignore[union-attr]
            return Problem(
                "not valid YAML: a tab is used for indentation (YAML indents with spaces only)",
                hint=_TAB_HINT,
                file=file,
                mark=mark,
            )
        return Problem(
            "not valid YAML: a tab where YAML expects a space",
            hint="replace the tab with a space",
            file=file,
            mark=mark,
        )
    opened = exc.open_flow
    if opened is not None and context.startswith("while parsing a flow"):
        bracket, closer = ("[", "]") if opened.is_list else ("{", "}")
        found = f"found {char!r}" if char else "found the end of the file"
        where = f"line {mark.line}, column {mark.column}" if mark else "the end"
        return Problem(
            f"not valid YAML: this {bracket!r} is never closed: at {where} YAML expected ',' or {closer!r} and {found}",
            hint=f"add the missing {closer!r}",
            file=file,
            mark=Mark(*opened.at),
        )
    if "quoted scalar" in context and "end of stream" in problem and error.context_mark is not None:
        opened_at = error.context_mark
        return Problem(
            "not valid YAML: this quoted string is never closed (the file ends inside it)",
            hint="end it with the same quote it starts with",
            file=file,
            mark=Mark(opened_at.line + 1, opened_at.column + 1),
        )
    return Problem(f"not valid YAML: {problem or context}", file=file, mark=mark)


def _too_deep(text: str, file: str, mark: Mark | None) -> Problem:
    """The nesting limit of wlid, reported where the spec passes it.

    libyaml 0.2.6 (in PyYAML 6.0.4's wheels) stops at 1,000 levels, and its scanner reads far enough
    ahead to stop there before wlid sees the 65th level. PyYAML's own parser has no such limit: parse
    with it to find the 65th level (a few tenths of a second at most, only for such a spec). Should a
    release add a limit there too, wlid still says it in its own words, where the library stopped.
    """
    if _Loader is not yaml.SafeLoader:
        try:
            _composed(text, file, track=True, loader=yaml.SafeLoader)  # raises SpecError at MAX_DEPTH
        except _Unreadable as exc:
            at = exc.error.problem_mark or exc.error.context_mark
            mark = Mark(at.line + 1, at.column + 1) if at else mark
    return Problem(
        f"the spec nests deeper than {MAX_DEPTH} levels", hint="a spec needs about ten", file=file, mark=mark
    )


def load_file(path: str) -> Source:
    """Read and parse a spec file. Raises SpecError (never OSError or UnicodeError)."""
    from wlid_render.input_limits import SPEC_MAX_BYTES, InputError, read_bounded

    try:
        raw = read_bounded(path, SPEC_MAX_BYTES, "the spec")
    except InputError as exc:
        raise SpecError([Problem(str(exc), file=path)]) from None
    return load_bytes(raw, path)


def load_bytes(raw: bytes, path: str) -> Source:
    """Parse a spec read elsewhere (e.g. standard input), named `path` in problems. Raises SpecError."""
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
