"""Environment views -> a Mermaid flowchart (`wlid explain --format mermaid`, OUT/README.md): one
subgraph per environment, from the cluster's issuer through credentials or bindings to identities,
roles, ServiceAccounts, workloads and Key Vault mounts, within the sizes Mermaid renders. Pure.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from wlid_render.views.explain import EnvironmentView

# Characters that would end or change a quoted Mermaid label, written as Mermaid entity codes (#name;
# or #decimal;): the quote, '#' itself (it starts an entity), HTML markup, square brackets, the pipe of
# edge labels and the backtick of Markdown strings. Round and curly brackets are plain text in quotes.
_ESCAPES = {
    '"': "#quot;",
    "#": "#35;",
    "&": "#38;",
    "<": "#lt;",
    ">": "#gt;",
    "[": "#91;",
    "]": "#93;",
    "|": "#124;",
    "`": "#96;",
}


def mermaid_label(text: str) -> str:
    """`text` as the inside of a quoted Mermaid label (line breaks become spaces)."""
    text = " ".join(text.split())
    return "".join(_ESCAPES.get(c, c) for c in text)


# Words that cannot be node IDs in a flowchart.
_KEYWORDS = frozenset(
    {"end", "graph", "flowchart", "subgraph", "direction", "style", "class", "classdef", "click", "linkstyle"}
)


class _Ids:
    """Mermaid node IDs: letters, digits and '_' only, never a keyword such as `end`, unique even when
    two names differ only in characters that sanitising drops."""

    def __init__(self, prefix: str = ""):
        self.prefix = prefix
        self.by_key: dict[tuple[str, ...], str] = {}
        self.used: set[str] = set()

    def __call__(self, kind: str, *key: str) -> str:
        full = (kind, *key)
        if full in self.by_key:
            return self.by_key[full]
        base = re.sub(r"[^A-Za-z0-9_]+", "_", "_".join([self.prefix + kind, *key])).strip("_") or "n"
        if base.lower() in _KEYWORDS or not base[0].isalpha():
            base = f"n_{base}"
        candidate, n = base, 1
        while candidate in self.used:
            n += 1
            candidate = f"{base}_{n}"
        self.used.add(candidate)
        self.by_key[full] = candidate
        return candidate


# Mermaid's default limits (maxTextSize, maxEdges): a larger diagram shows as an error, not a picture.
MERMAID_MAX_TEXT = 50_000
MERMAID_MAX_EDGES = 500
_BR = "<br/>"
_ARROW = re.compile(r" (?:-->|-\.->|~~~)")
_CLASSES = (
    "classDef issuer fill:#e8f0fe,stroke:#1a73e8,color:#0b3d91",
    "classDef fic fill:#fff4e5,stroke:#e37400,color:#5f3700",
    "classDef identity fill:#e6f4ea,stroke:#188038,color:#0d4d22",
    "classDef role fill:#fce8f3,stroke:#b0307a,color:#5c1340",
    "classDef scope fill:#f1f3f4,stroke:#5f6368,color:#202124",
    "classDef sa fill:#ede7f6,stroke:#5e35b1,color:#311b92",
    "classDef workload fill:#ffffff,stroke:#5e35b1,color:#311b92",
)
_VAULT_CLASS = "classDef vault fill:#fef7e0,stroke:#b06000,color:#4d2a00"  # only in graphs with a vault


def _node(node_id: str, shape: str, *lines: str) -> str:
    label = _BR.join(mermaid_label(line) for line in lines if line)
    opening, closing = {
        "rect": ("[", "]"),
        "round": ("(", ")"),
        "stadium": ("([", "])"),
        "hexagon": ("{{", "}}"),
        "cylinder": ("[(", ")]"),
        "subroutine": ("[[", "]]"),
    }[shape]
    return f'{node_id}{opening}"{label}"{closing}'


def _graph(view: EnvironmentView, ids: _Ids, indent: str) -> list[str]:
    """The nodes (Kubernetes side first, then Azure) and edges of one environment."""
    k8s: list[str] = []
    azure: list[str] = []
    edges: list[str] = []
    classes: dict[str, list[str]] = {}

    def tag(node_id: str, cls: str) -> None:
        classes.setdefault(cls, []).append(node_id)

    issuer = ids("issuer", view.cluster)
    issuers = {None: issuer}
    if view.clusters:  # one issuer per listed cluster that a credential trusts
        trusted = {c.cluster for i in view.identities for c in i.credentials}
        issuers = {name: ids("issuer", name) for name, _ in view.clusters if name in trusted}
    for name, node in issuers.items():
        label = f"OIDC issuer of {name or view.cluster}"
        k8s.append(_node(node, "stadium", label, view.issuer or "read from the cluster"))
        tag(node, "issuer")
    scopes: dict[str, str] = {}
    for identity in view.identities:
        identity_id = ids("identity", identity.name)
        binding = "pinned" if identity.pinned else "placeholder"
        azure.append(
            _node(
                identity_id,
                "subroutine",
                f"managed identity {identity.name}",
                f"client ID {binding}: {identity.client_id}",
            )
        )
        tag(identity_id, "identity")
        for credential in identity.credentials:
            fic_id = ids("fic", identity.name, credential.name)
            azure.append(_node(fic_id, "rect", f"FIC {credential.name}", f"subject {credential.subject}"))
            tag(fic_id, "fic")
            source = issuers.get(credential.cluster, issuer)
            edges += [f"{source} -->|issuer| {fic_id}", f"{fic_id} --> {identity_id}"]
        for n, role in enumerate(identity.roles):
            role_id = ids("role", identity.name, str(n))
            azure.append(_node(role_id, "round", role.role))
            tag(role_id, "role")
            if role.scope not in scopes:
                scopes[role.scope] = ids("scope", str(len(scopes) + 1))
                azure.append(_node(scopes[role.scope], "cylinder", role.scope))
                tag(scopes[role.scope], "scope")
            edges += [f"{identity_id} --> {role_id}", f"{role_id} -->|on| {scopes[role.scope]}"]
        for account in identity.accounts:
            sa_id = ids("sa", account.namespace, account.name)
            k8s.append(_node(sa_id, "hexagon", f"ServiceAccount {account.label}"))
            tag(sa_id, "sa")
            fic = next(
                (
                    c
                    for c in identity.credentials
                    if c.subject.endswith(f":{account.namespace}:{account.name}")
                ),
                None,
            )
            if fic is not None:
                edges.append(f"{sa_id} -.->|token subject| {ids('fic', identity.name, fic.name)}")
            for workload in account.workloads:
                workload_id = ids("workload", workload.kind, workload.namespace, workload.name)
                k8s.append(_node(workload_id, "rect", workload.label))
                tag(workload_id, "workload")
                edges.append(f"{sa_id} --> {workload_id}")
                for mount in workload.vaults:
                    vault_id = ids("vault", mount.vault, *mount.objects)
                    if vault_id not in classes.get("vault", []):
                        azure.append(_node(vault_id, "cylinder", f"key vault {mount.vault}", *mount.objects))
                        tag(vault_id, "vault")
                    edges.append(
                        f"{vault_id} -->|mounted at {mermaid_label(mount.mount_path)}| {workload_id}"
                    )
    lines = [f"{indent}{line}" for line in [*k8s, *azure, *edges]]
    lines += [f"{indent}class {','.join(members)} {cls}" for cls, members in classes.items()]
    return lines


def explain_mermaid(views: Sequence[EnvironmentView]) -> str:
    """A Mermaid flowchart: issuer -> FIC -> identity -> role -> scope; ServiceAccount -> workloads.

    One environment gives its graph, left to right; several give one subgraph per environment,
    stacked in plan order (invisible links keep the order).
    """
    if len(views) == 1:
        lines = ["flowchart LR", *_graph(views[0], _Ids(), "  ")]
    else:
        lines = ["flowchart TB"]
        subgraphs = []
        for view in views:
            ids = _Ids(f"{view.name}_")
            subgraphs.append(ids("env"))
            lines += [
                f'  subgraph {subgraphs[-1]}["{mermaid_label(f"environment {view.name}")}"]',
                "    direction LR",
                *_graph(view, ids, "    "),
                "  end",
            ]
        lines.append("  " + " ~~~ ".join(subgraphs))
    lines += [f"  {line}" for line in _CLASSES]
    if any(w.vaults for v in views for i in v.identities for a in i.accounts for w in a.workloads):
        lines.append(f"  {_VAULT_CLASS}")
    return "\n".join(lines) + "\n"


def graph_edges(view: EnvironmentView) -> int:
    """The number of edges `explain_mermaid([view])` draws, without drawing it."""
    edges = 0
    for identity in view.identities:
        subjects = {c.subject for c in identity.credentials}
        edges += 2 * len(identity.credentials) + 2 * len(identity.roles)
        for account in identity.accounts:
            edges += len(account.workloads) + sum(len(w.vaults) for w in account.workloads)
            edges += f"system:serviceaccount:{account.namespace}:{account.name}" in subjects
    return edges


def mermaid_edges(text: str) -> int:
    """The edges of a graph written by this module (arrows ` -->`, ` -.->`, links ` ~~~`)."""
    return len(_ARROW.findall(text))


def mermaid_fits(text: str) -> bool:
    """Whether Mermaid draws `text` with its default limits (GitHub uses them)."""
    return len(text) <= MERMAID_MAX_TEXT and mermaid_edges(text) <= MERMAID_MAX_EDGES
