"""Environments (variables, overrides, pinned client IDs), the GitOps repository, and the pipelines."""

from typing import Annotated

from pydantic import Field

from wlid_render.spec.models.azure import AzureOverride, Cluster, ClusterOverride
from wlid_render.spec.models.base import (
    DnsLabel,
    DnsSubdomain,
    GitRef,
    IdentityName,
    SpecModel,
    Uuid,
    VarName,
    empty_map,
    rule,
)


class Environment(SpecModel):
    """One environment: its variables, what differs from azure and cluster, and its pinned client IDs."""

    vars: dict[VarName, str] = Field(
        default_factory=empty_map,
        description="Variables for ${vars.NAME} in any string of the spec (outside metadata, environments "
        "and gitops).",
        examples=[{"imageTag": "1.8.0", "keyVault": "kv-dev"}],
    )
    azure: AzureOverride = Field(
        default_factory=AzureOverride,
        description="Overrides of azure in this environment.",
        examples=[{"subscriptionId": "44444444-4444-4444-4444-444444444444", "resourceGroup": "rg-shop-dev"}],
    )
    cluster: ClusterOverride = Field(
        default_factory=ClusterOverride,
        description="Overrides of cluster in this environment.",
        examples=[{"name": "aks-shop-dev", "enableWorkloadIdentity": True}],
    )
    clusters: list[Cluster] | None = Field(
        None,
        description="The clusters of this environment (several: blue/green, regions), replacing the top-level "
        "cluster or clusters. See docs/clusters.md.",
        examples=[[{"name": "aks-prod-blue"}, {"name": "aks-prod-green"}]],
    )
    clientIds: dict[IdentityName, Uuid] = Field(
        default_factory=empty_map,
        description="Client IDs of the identities after the first deployment (wlid bind writes them). "
        "Without one, the overlay carries a Flux placeholder ${WLID_CLIENT_ID_<IDENTITY>}.",
        examples=[{"myIdentity": "33333333-3333-3333-3333-333333333333"}],
    )


class GitOps(SpecModel):
    """Where the rendered tree lives in Git: wlid renders Flux and Argo CD objects under OUT/gitops."""

    repoURL: Annotated[
        str,
        rule(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s$`'\"]+|[^\s$`'\"@]+@[^\s$`'\"]+", "Git repository URL", 2048),
    ] = Field(
        description="URL of the Git repository that holds the rendered tree.",
        examples=["https://github.com/example/platform-gitops.git"],
    )
    branch: GitRef = Field("main", description="Branch to follow. Default: main.", examples=["main"])
    path: (
        Annotated[  # where OUT sits in the repository; it reaches generated files, so no shell or CI syntax
            str,
            rule(
                r"([A-Za-z0-9._/][A-Za-z0-9._/-]*)?",
                "repository path (letters, digits, '.', '_', '-', '/'; not starting with '-')",
                1024,
            ),
        ]
        | None
    ) = Field(
        None,
        description="Where OUT sits in the GitOps repository ('' or '.': its root). Default: where OUT was "
        "rendered, relative to the root of the Git repository that holds it.",
        examples=["out/lab"],
    )
    interval: Annotated[str, rule(r"[0-9]+(ms|s|m|h)([0-9]+(ms|s|m|h))*", "duration (e.g. 10m)")] = Field(
        "10m", description="Flux reconcile interval (a duration). Default: 10m.", examples=["10m", "1h"]
    )
    fluxNamespace: DnsLabel = Field(
        "flux-system",
        description="Namespace of the Flux Kustomizations and ConfigMaps. Default: flux-system.",
        examples=["flux-system"],
    )
    fluxSourceName: DnsSubdomain = Field(  # the GitRepository that holds this repository
        "flux-system",
        description="Name of the Flux GitRepository that holds the repository. Default: flux-system.",
        examples=["flux-system"],
    )
    argocdNamespace: DnsLabel = Field(
        "argocd", description="Namespace of the Argo CD Applications. Default: argocd.", examples=["argocd"]
    )
    argocdProject: DnsSubdomain = Field(
        "default", description="Argo CD project of the Applications. Default: default.", examples=["default"]
    )
    destinationServer: Annotated[str, Field(min_length=1, max_length=2048)] = Field(
        "https://kubernetes.default.svc",
        description="Cluster API server the Argo CD Applications deploy to. Default: the cluster Argo CD runs in.",
        examples=["https://kubernetes.default.svc"],
    )


_INSTALL = (
    r"[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?(\[[A-Za-z0-9._,-]+\])?===?[A-Za-z0-9][A-Za-z0-9.+!_-]*"
    r"|https://[A-Za-z0-9._~:/?@!+,=%-]+\.(whl|tar\.gz|zip)(#sha256=[0-9a-f]{64})?"
    r"|git\+https://[A-Za-z0-9._~:/%-]+@[0-9a-f]{40}"
    r"|(\.{1,2}/)?[A-Za-z0-9._][A-Za-z0-9._/+-]*\.(whl|tar\.gz)"
)


class Pipelines(SpecModel):
    """How the generated CI pipelines (OUT/pipelines) get wlid."""

    install: (
        Annotated[
            str,
            rule(
                _INSTALL,
                "pinned wlid install (NAME==VERSION, an https URL of a wheel or sdist, git+https://...@<commit>, "
                "or a wheel path in the repository)",
                2048,
            ),
        ]
        | None
    ) = Field(
        None,
        description="What the pipelines pass to `pip install` to get wlid: a pinned requirement "
        "(wlid==0.2.0), an https URL of a wheel or sdist (best with #sha256=<hash>, which pip checks), "
        "git+https://...@<40-hex commit>, or the path of a wheel in the repository. Never an unpinned "
        "name. Default: wlid==<the version that rendered the tree>.",
        examples=["wlid==0.1.0", "tools/wlid-0.1.0-py3-none-any.whl"],
    )
