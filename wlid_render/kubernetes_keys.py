"""Label and annotation keys that wlid writes on Kubernetes objects and `wlid validate` reads back.

Sources:
- the workload identity webhook (Azure/azure-workload-identity, pkg/webhook): it mutates only pods
  labelled `azure.workload.identity/use: "true"`;
- Flux kustomize-controller (fluxcd/pkg kustomize/kustomize_varsub.go `SubstituteVariables`: an
  object whose label or annotation `kustomize.toolkit.fluxcd.io/substitute` is `disabled` is left
  out of post-build substitution; docs/spec/v1/kustomizations.md "Post build variable
  substitution" and "Force": `kustomize.toolkit.fluxcd.io/force: enabled` replaces an object whose
  immutable fields changed);
- Argo CD (docs/user-guide/sync-options.md, "Force Sync": `argocd.argoproj.io/sync-options:
  Force=true,Replace=true` deletes and recreates the object; `Replace=true` alone runs `kubectl
  replace`, which a Job's immutable template still refuses).
"""

from __future__ import annotations

USE_LABEL = "azure.workload.identity/use"
CLIENT_ID = "azure.workload.identity/client-id"
TENANT_ID = "azure.workload.identity/tenant-id"
TOKEN_EXPIRATION = "azure.workload.identity/service-account-token-expiration"
# AKS identity bindings (identity-bindings-concepts; Azure/AKS#4658): pods that take their token
# through the binding say so, and a ClusterRole lets their ServiceAccount use the identity's client ID.
USE_IDENTITY_BINDING = "azure.workload.identity/use-identity-binding"
IDENTITY_BINDING_API_GROUP = "cid.wi.aks.azure.com"
IDENTITY_BINDING_VERB = "use-managed-identity"

# A pod (template) that runs as a ServiceAccount with a client ID but wants no token says so.
OPT_OUT = "wlid.io/workload-identity"
OPT_OUT_VALUE = "disabled"

FLUX_SUBSTITUTE = "kustomize.toolkit.fluxcd.io/substitute"
FLUX_SUBSTITUTE_DISABLED = "disabled"
FLUX_FORCE = "kustomize.toolkit.fluxcd.io/force"
FLUX_FORCE_ENABLED = "enabled"
ARGOCD_SYNC_OPTIONS = "argocd.argoproj.io/sync-options"
ARGOCD_RECREATE = "Force=true,Replace=true"

# Kinds whose pod template cannot change in place: a changed spec must replace the object. A
# CronJob's jobTemplate can change (it applies to the Jobs it starts next), so it is not one of them.
RECREATED_KINDS = frozenset({"Pod", "Job"})

# Annotations wlid sets itself; a spec cannot set them on a workload.
RESERVED_ANNOTATIONS = frozenset(
    {OPT_OUT, FLUX_SUBSTITUTE, FLUX_FORCE, ARGOCD_SYNC_OPTIONS, USE_IDENTITY_BINDING}
)
