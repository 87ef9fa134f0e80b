"""What the steps of one environment share: its spec, its name, the problems found, the parts made once.

parse_environments resolves `${env}` and `${vars.*}` for each environment, so the specs of two
environments differ only in the parts that use them (their other parts are the very same objects).
A check or a plan of one part of the spec (the names in a section, or one entry) depends on that
part alone: it is made for the first environment that has the part, and not again for an
environment whose part equals that one (`Shared`). A part that an environment resolves differently
is made again for it; build_plan drops the problems found there a second time.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import TypeVar

from wlid_render.errors import Path, Problem
from wlid_render.plan.spec_checks import unknown_environments
from wlid_render.spec.models import Spec

T = TypeVar("T")


class Shared:
    """Parts of the spec already checked or planned, by key: the part the first environment that had
    one there had, and what was made of it."""

    def __init__(self) -> None:
        self._first: dict[Hashable, tuple[object, object]] = {}

    def seen(self, key: Hashable, part: object) -> bool:
        """Whether the first environment with a part at `key` had it equal to `part` (the steps ran on
        it then)."""
        first = self._first.get(key)
        if first is None:
            self._first[key] = (part, None)
            return False
        return first[0] is part or first[0] == part

    def made(self, key: Hashable, part: object, make: Callable[[], T]) -> T:
        """`make()`, or what it made for the first environment when `part` equals the part it had."""
        first = self._first.get(key)
        if first is not None and (first[0] is part or first[0] == part):
            return first[1]  # type: ignore[return-value]
        result = make()
        self._first.setdefault(key, (part, result))
        return result


class Scope:
    """One environment being planned. Its spec is already interpolated for it."""

    def __init__(self, spec: Spec, env: str, declared: frozenset[str], shared: Shared) -> None:
        self.spec = spec
        self.env = env
        # The environments the spec declares: the same for every environment, so given once by
        # build_plan rather than made again for each (which grows with the square of them).
        self.declared = declared
        self.shared = shared
        self.errors: list[Problem] = []
        self.warnings: list[Problem] = []

    def error(self, path: Path, message: str, hint: str = "") -> None:
        self.errors.append(Problem(message, path, hint=hint))

    def warn(self, code: str, path: Path, message: str, hint: str = "", at_key: bool = False) -> None:
        """A warning with its code (see warning_codes.WARNINGS), about the spec at `path`."""
        self.warnings.append(Problem(message, path, hint=hint, severity="warning", code=code, at_key=at_key))

    def check_once(self, key: Hashable, part: T, check: Callable[[T], list[Problem]]) -> None:
        """The errors `check` finds in `part` (what it depends on), unless an earlier environment had
        that part equal: they were found there."""
        if not self.shared.seen(key, part):
            self.errors += check(part)

    def deployed(self, only: list[str] | None, path: Path) -> bool:
        """Whether an entity limited to `only` environments exists in this one. Names of environments
        the spec does not declare are errors."""
        if only is None:
            return True
        self.check_once(
            ("environments", *path), only, lambda names: unknown_environments(names, path, self.declared)
        )
        return self.env in only
