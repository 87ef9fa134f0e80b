"""The catalogue of `wlid validate` rules: stable IDs, titles, and what to do about each."""

from __future__ import annotations

from wlid_render.validate.finding import Rule

RULES: dict[str, Rule] = {
    r.id: r
    for r in (
        Rule("TREE", "A file of the tree cannot be read or parsed", "Re-render the tree."),
        Rule("ARM001", "ARM template does not match the official schema", "Fix the named property."),
        Rule("ARM002", "Malformed ARM expression", "Balance brackets and quotes; use only ARM functions."),
        Rule("ARM003", "Undeclared parameter or variable", "Declare it in the same (nested) template."),
        Rule(
            "ARM004",
            "dependsOn names no resource of the template",
            "Point it at a resource of this template.",
        ),
        Rule(
            "ARM005",
            "Federated credentials of one identity may be written in parallel",
            "Chain them with dependsOn (or a serial copy loop with batchSize 1): Azure answers 409.",
        ),
        Rule("ARM006", "ARM template limit exceeded", "Split the estate over several specs or deployments."),
        Rule(
            "ARM007",
            "AKS cluster written on every deployment",
            "Turn the flags on once with az aks update --enable-oidc-issuer --enable-workload-identity, or "
            "write the cluster only while a flag is off (cluster.enableWorkloadIdentity).",
        ),
        Rule(
            "ARM008",
            "AKS cluster written back with an older API or without extendedLocation",
            "Write it with the API it was read with (2026-05-01) and copy extendedLocation; re-render.",
        ),
        Rule(
            "ARM009",
            "Subscription-scope deployment named the same in every region",
            "End its name with uniqueString(resourceGroup().id) of the deploying group; re-render.",
        ),
        Rule("PARAM001", "Parameters file does not match the official schema", "Fix the named property."),
        Rule("PARAM002", "Required template parameter has no value", "Add it to the parameters file."),
        Rule("PARAM003", "Parameter unknown to the template", "Remove it; ARM rejects unknown parameters."),
        Rule(
            "PARAM005",
            "Parameters-file value written with the template escape [[",
            "Write the value as it is: parameters files are not evaluated, so '[[' reaches the template.",
        ),
        Rule(
            "PARAM006",
            "Parameter with more than its value (metadata)",
            "Keep only `value` (or a Key Vault `reference`): ARM refuses metadata in a parameters file.",
        ),
        Rule(
            "PARAM004",
            "Parameters file of a template that does not exist",
            "Remove it, or re-render the tree: azure/params/<env>.<stem>.parameters.json goes with azure/<stem>.json.",
        ),
        Rule(
            "IB001",
            "Identity binding ClusterRole names another client ID than the ServiceAccount",
            "Name the identity's client ID in the ClusterRole's resources, bound as the ServiceAccount "
            "annotation is; re-render.",
        ),
        Rule(
            "IB002",
            "Pod of an identity-binding ServiceAccount lacks azure.workload.identity/use-identity-binding",
            'Annotate the pod (template) azure.workload.identity/use-identity-binding: "true"; re-render.',
        ),
        Rule(
            "IB003",
            "Identity with identity bindings and federated credentials of ours",
            "Keep one mode per identity (federation: credentials or identityBinding); AKS makes the "
            "binding identity's credential aks-identity-binding itself.",
        ),
        Rule(
            "IB004",
            "Identity binding with a name or API version the schema refuses",
            "Use API 2026-05-01 and a name of ^[a-z][a-z0-9]{0,63}$, at most 63 characters; re-render.",
        ),
        Rule(
            "IB005",
            "Pod asks for an identity binding its ServiceAccount is not granted",
            "Bind the ServiceAccount with a ClusterRoleBinding to the identity's use-managed-identity "
            "ClusterRole, or remove the annotation; re-render.",
        ),
        Rule("K8S001", "Kubernetes object does not match its schema", "Fix the named field."),
        Rule(
            "K8S002",
            "kubectl kustomize cannot build a folder GitOps builds (or the overlay)",
            "Fix the kustomization it names.",
        ),
        Rule("K8S003", "Overlay cannot be built", "Fix the missing file or the patch target."),
        Rule("K8S004", "No schema for this kind", "Informational: the object was not checked."),
        Rule(
            "K8S005",
            "Component patch found by its metadata or by namespace",
            "Give the patch a target (group, version, kind, name) and no namespace.",
        ),
        Rule(
            "K8S006",
            "String written plain that Go YAML readers take for a number, boolean or null",
            "Quote it (wlid quotes such strings; re-render the tree).",
        ),
        Rule("BICEP001", "Bicep syntax error", "Fix the Bicep at the line and column given."),
        Rule(
            "BICEP002",
            "Bicep and ARM template describe different deployments",
            "Re-render both from the spec.",
        ),
        Rule("BICEP003", ".bicepparam differs from the ARM parameters file", "Re-render both from the spec."),
        Rule(
            "BICEP004",
            "Conditional module or resource read without safe dereference (BCP318)",
            "Read it as <symbol>.?outputs.<name> ?? <default> (or .?properties).",
        ),
        Rule(
            "BICEP005",
            "Subscription-scope module located differently in Bicep and JSON",
            "Locate the nested deployment at resourceGroup().location, as bicep build does; re-render.",
        ),
        Rule(
            "BICEP006",
            "resourceGroup().location or deployment().location outside a parameter default (linter)",
            "Take the location from a parameter (Bicep linter rule no-loc-expr-outside-params).",
        ),
        Rule(
            "WI001",
            "Labelled pod uses a ServiceAccount without a client ID",
            "Annotate the ServiceAccount with azure.workload.identity/client-id.",
        ),
        Rule(
            "WI002",
            "azure.workload.identity/use label on the ServiceAccount",
            "Put the label on the pod (template); the webhook ignores it elsewhere.",
        ),
        Rule(
            "WI003",
            "ServiceAccount has no federated credential",
            "Add a FIC with subject system:serviceaccount:<namespace>:<name> (AADSTS70021 otherwise).",
        ),
        Rule("WI004", "Wrong FIC audience", "Use exactly ['api://AzureADTokenExchange']."),
        Rule(
            "WI005", "More than 20 FICs on one identity", "Spread the ServiceAccounts over more identities."
        ),
        Rule("WI006", "Duplicate issuer and subject on one identity", "Keep one FIC per issuer and subject."),
        Rule("WI007", "Identity or FIC name breaks Azure's naming rule", "Rename it."),
        Rule("WI008", "Token expiration out of range", "Use 3600..86400 seconds."),
        Rule(
            "WI009",
            "Pinned issuer URL malformed",
            "Use the cluster's issuer URL verbatim, with the final '/'.",
        ),
        Rule("WI010", "Proxy sidecar on a hostNetwork pod", "Drop inject-proxy-sidecar or hostNetwork."),
        Rule("WI011", "Workload on virtual nodes", "Virtual nodes do not support workload identity."),
        Rule("WI012", "Region without FIC support", "Create the identity in another region."),
        Rule(
            "WI013", "Client ID still a placeholder", "Pin clientIds in the spec or let Flux substitute it."
        ),
        Rule(
            "WI014",
            "Identity deployed by more than one top-level deployment",
            "Keep each identity in one template; re-render the tree.",
        ),
        Rule(
            "K8S007",
            "Map key that kustomize reads as a strategic-merge directive ($patch, ...)",
            "Rename the key: no Kubernetes field, label or annotation key starts with '$'.",
        ),
        Rule(
            "K8S008",
            "Bare Pod or Job without the Flux and Argo CD annotations that replace it",
            "Annotate it kustomize.toolkit.fluxcd.io/force: enabled and "
            "argocd.argoproj.io/sync-options: Force=true,Replace=true (wlid does; re-render).",
        ),
        Rule(
            "WI015",
            "Pod of a ServiceAccount with a client ID is not labelled azure.workload.identity/use",
            'Label the pod (template) azure.workload.identity/use: "true", or opt out with the '
            "annotation wlid.io/workload-identity: disabled (spec: workloadIdentity: false).",
        ),
        Rule(
            "WI020",
            "Pod both labelled for workload identity and opted out",
            "Keep one: the label (a token) or the opt-out annotation (none).",
        ),
        Rule(
            "GITOPS001",
            "GitOps object does not match its schema",
            "Fix the named field (Flux and Argo CD objects are checked against their CRD schemas).",
        ),
        Rule("GITOPS002", "No schema for this GitOps kind", "Informational: the object was not checked."),
        Rule(
            "GITOPS003",
            "Flux post-build substitution would rewrite a value",
            "Annotate the object kustomize.toolkit.fluxcd.io/substitute: disabled (wlid does; re-render).",
        ),
        Rule(
            "GITOPS004",
            "Argo CD Application syncs placeholder client IDs automatically",
            "Pin the client IDs (wlid bind) and render again; wlid leaves automated sync off until then.",
        ),
        Rule(
            "WI016",
            "Identity deployed by several environments, differently",
            "Give each environment its own resource group, or deploy the same identity (region, cluster, "
            "tags, credentials) everywhere.",
        ),
        Rule(
            "AZ001",
            "Tag breaks Azure's limits",
            "At most 50 tags; names up to 512 characters without < > % & \\ ? /; values up to 256.",
        ),
        Rule(
            "PIPE001",
            "id-token: write on a job that does not log in to Azure",
            "Grant id-token: write only on the job that logs in (not at workflow level).",
        ),
        Rule(
            "PIPE002",
            "Unpinned install in a job that can mint Azure tokens",
            "Install in a job without token access, or pin exact versions (==, a wheel, a commit).",
        ),
        Rule(
            "PIPE003",
            "Action not pinned by commit SHA in a job that can mint Azure tokens",
            "Use owner/action@<40-hex commit>; a tag can be moved to other code.",
        ),
        Rule(
            "PIPE004",
            "GitHub expression ${{ }} inside a run script",
            "Pass the value through env: and quote \"$VAR\" in the script.",
        ),
        Rule(
            "PIPE005",
            "Azure Pipelines macro or expression inside a script",
            "Read variables from the environment (\"$NAME\") instead of $(name) or ${{ }} in the script.",
        ),
        Rule("PIPE006", "Pipeline script that bash cannot parse", "Re-render the tree; quote every word."),
        Rule(
            "PIPE007",
            "wlid render or validate runs in a job that can mint Azure tokens",
            "Run them in a job without id-token: write or a service connection.",
        ),
        Rule(
            "PIPE008",
            "Checkout keeps the repository token in a job that can mint Azure tokens",
            "Set persist-credentials: false (GitHub) or leave persistCredentials off (Azure Pipelines).",
        ),
        Rule(
            "PIPE009",
            "wlid installed without a pinned version",
            "Pin the version that rendered the tree (spec key pipelines.install).",
        ),
        Rule(
            "KV001",
            "SecretProviderClass does not match the driver's CRD schema",
            "Fix the named field (re-render the tree).",
        ),
        Rule(
            "KV002",
            "SecretProviderClass clientID differs from the ServiceAccount's client ID",
            "Give the class the client ID of the ServiceAccount its pods run as (wlid renders both from "
            "one value; re-render).",
        ),
        Rule(
            "KV003",
            "Pod mounts a SecretProviderClass its namespace does not have",
            "Create the class in the pod's namespace, or fix secretProviderClass in the CSI volume.",
        ),
        Rule(
            "KV004",
            "SecretProviderClass objects cannot be read by the Azure provider",
            "Write objects as YAML `array:` of strings, each with objectName and objectType secret|key|cert.",
        ),
        Rule(
            "KV005", "SecretProviderClass tenantId is not a GUID", "Set the vault's tenant (azure.tenantId)."
        ),
        Rule(
            "KV006",
            "No role assignment lets the pod's identity read the mounted Key Vault objects",
            "Grant the identity a role with the data action on the vault (keyVaultSecrets grant: auto).",
        ),
        Rule(
            "KV007",
            "secretObjects syncs a file the SecretProviderClass does not mount",
            "Name an object (or its objectAlias) of the class's objects.",
        ),
        Rule(
            "KV008",
            "SecretProviderClass and pod disagree on the AKS token proxy",
            'Set useAzureTokenProxy: "true" on a class mounted by pods of an identity-binding identity, and only there.',
        ),
        Rule("LP001", "Broad role", "Grant a narrower (data-plane) role."),
        Rule("LP002", "Broad scope", "Grant on the resource instead of a resource group or subscription."),
    )
}
