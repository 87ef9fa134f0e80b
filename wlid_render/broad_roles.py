"""The built-in Azure roles that are broad, from the bundled table data/privileged_roles.json.

One table for both stages: `wlid render` warns about a grant of such a role at the spec's line
(W004) and `wlid validate` reports it in the template (LP001). Imports nothing of ours.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources


@lru_cache(maxsize=1)
def privileged_roles() -> dict[str, dict[str, str]]:
    """Role-definition GUID (lower case) -> {name, why} of the built-in roles that are broad: they
    allow every action (`*`) or can grant roles to others."""
    text = resources.files("wlid_render.data").joinpath("privileged_roles.json").read_text("utf-8")
    return json.loads(text)
