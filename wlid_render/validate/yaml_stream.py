"""A YAML stream of a rendered tree -> its documents as Python values, within the spec loader's limits.

`wlid validate` reads files that anything may have written, so it loads them the way the spec loader
does: from libyaml's event stream, iteratively (no recursion, whatever the nesting), refusing nesting
deeper than YAML_MAX_DEPTH, more than YAML_ALIAS_BUDGET aliases, aliases that expand to more than
YAML_EXPANSION_BUDGET values (input_limits) or refer to themselves, and more than EVENT_BUDGET events per file, before
anything large is built. Values are those of `yaml.load_all(..., SafeLoader)`; merge keys (`<<`),
sets, ordered maps and custom tags are refused (wlid never writes them).
"""

from __future__ import annotations

from typing import Any

import yaml

from wlid_render.input_limits import YAML_ALIAS_BUDGET, YAML_EXPANSION_BUDGET, YAML_MAX_DEPTH

try:  # pragma: no cover - depends on how PyYAML was built
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

# Events of one file, at most: the largest file of the 10,000-workload tree has 31,602.
EVENT_BUDGET = 4_000_000

_STR = "tag:yaml.org,2002:str"
_MERGE = "tag:yaml.org,2002:merge"
_COLLECTION_TAGS = {"tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"}


class YamlLimitError(ValueError):
    """The stream exceeds a limit or holds a form wlid does not read; the message says which and where."""


def _where(event: Any) -> str:
    mark = event.start_mark
    return f"line {mark.line + 1}, column {mark.column + 1}"


def load_documents(text: str) -> list[Any]:
    """The documents of a YAML stream, empty ones included (as None).

    Raises yaml.YAMLError for text that is not YAML and YamlLimitError for a limit or refused form.
    """
    loader = _Loader(text)
    try:
        return _documents(loader.get_event)
    finally:
        loader.dispose()


class _Open:
    __slots__ = ("anchor", "key", "value", "weight")

    def __init__(self, value: dict[Any, Any] | list[Any], anchor: str | None) -> None:
        self.value = value
        self.anchor = anchor
        self.key: Any = _NONE  # a mapping's key waiting for its value
        self.weight = 1  # values inside, aliases expanded


_NONE = object()


def _documents(get_event: Any) -> list[Any]:
    resolver = yaml.resolver.Resolver()
    resolve = resolver.resolve
    first_characters = resolver.yaml_implicit_resolvers
    plain_strings = not resolver.yaml_path_resolvers and None not in first_characters
    constructor = yaml.constructor.SafeConstructor()
    constructed: dict[tuple[str, str], Any] = {}
    scalar, mapping_start, sequence_start = yaml.ScalarEvent, yaml.MappingStartEvent, yaml.SequenceStartEvent
    ends = (yaml.MappingEndEvent, yaml.SequenceEndEvent)
    alias = yaml.AliasEvent
    documents: list[Any] = []
    stack: list[_Open] = []
    anchors: dict[str, Any] = {}
    weights: dict[str, int] = {}
    events = aliases = expanded = 0
    while True:
        event = get_event()
        if event is None:
            break
        events += 1
        if events > EVENT_BUDGET:
            raise YamlLimitError(f"more than {EVENT_BUDGET:,} YAML nodes (at {_where(event)})")
        kind = event.__class__
        weight = 1
        if kind is scalar:
            text, tag = event.value, event.tag
            if tag is None or tag == "!":
                if not event.implicit[0] or (plain_strings and (text[:1] not in first_characters)):
                    tag = _STR
                else:
                    tag = resolve(yaml.ScalarNode, text, event.implicit)
            if tag == _MERGE:
                raise YamlLimitError(f"YAML merge keys (<<) are not supported (at {_where(event)})")
            if tag == _STR:
                value: Any = text
            elif (tag, text) in constructed:
                value = constructed[tag, text]
            else:
                node = yaml.ScalarNode(tag, text, event.start_mark, event.end_mark, event.style)
                value = constructor.construct_object(node)  # ConstructorError for a custom tag
                if isinstance(value, (int, float, bool, type(None), str)):
                    constructed[tag, text] = value
            anchor = event.anchor
        elif kind is mapping_start or kind is sequence_start:
            if len(stack) >= YAML_MAX_DEPTH:
                raise YamlLimitError(f"the YAML nests deeper than {YAML_MAX_DEPTH} levels (at {_where(event)})")
            if event.tag not in (None, "!") and event.tag not in _COLLECTION_TAGS:
                raise YamlLimitError(f"unsupported YAML tag {event.tag} (at {_where(event)})")
            stack.append(_Open({} if kind is mapping_start else [], event.anchor))
            if event.anchor:
                anchors[event.anchor] = stack[-1].value
                weights[event.anchor] = 1
            continue
        elif kind in ends:
            done = stack.pop()
            value, anchor, weight = done.value, done.anchor, done.weight
        elif kind is alias:
            aliases += 1
            if aliases > YAML_ALIAS_BUDGET:
                raise YamlLimitError(f"more than {YAML_ALIAS_BUDGET} YAML aliases (at {_where(event)})")
            name = event.anchor
            if name not in anchors:
                raise YamlLimitError(f"unknown YAML alias *{name} (at {_where(event)})")
            value = anchors[name]
            if any(open_.value is value for open_ in stack):
                raise YamlLimitError(f"the YAML alias *{name} refers to itself (at {_where(event)})")
            weight = weights[name]
            expanded += weight
            if expanded > YAML_EXPANSION_BUDGET:
                raise YamlLimitError(
                    f"YAML aliases expand to more than {YAML_EXPANSION_BUDGET:,} values (at {_where(event)})"
                )
            anchor = None
        else:  # stream and document boundaries
            continue
        if anchor:
            anchors[anchor] = value
            weights[anchor] = weight
        if not stack:
            documents.append(value)
            continue
        top = stack[-1]
        top.weight += weight
        if type(top.value) is list:
            top.value.append(value)
        elif top.key is _NONE:
            if isinstance(value, (dict, list)):
                raise YamlLimitError(f"a mapping key is a collection (at {_where(event)})")
            top.key = value
        else:
            top.value[top.key] = value  # the last of duplicate keys wins, as in yaml.load
            top.key = _NONE
    return documents
