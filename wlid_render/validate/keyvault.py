"""Key Vault through the Secrets Store CSI driver (KV001-KV007): the SecretProviderClasses of every built
overlay, the pods that mount them, and the role assignments of the Azure templates.

- KV001: a SecretProviderClass matches the driver's CRD schema (bundled crd_schemas, see NOTICE.md).
- KV002: its `clientID` equals the client-ID annotation of the ServiceAccount of every pod that mounts
  it (the Azure provider reads the class's, not the ServiceAccount's: a copy that drifts fails the mount).
- KV003: a pod mounts (`csi.volumeAttributes.secretProviderClass`) a class that its namespace has.
- KV004: `objects` parses as the provider reads it: YAML `array:` of strings, each a YAML mapping with
  objectName and objectType secret, key or cert.
- KV005: `tenantId` is a GUID.
- KV006: a role assignment of the pod's identity (the one whose federated credential trusts the pod's
  ServiceAccount) in the Azure templates grants the object type's data action on that vault (by its
  name, or on a whole resource group or subscription, whose vaults a tree does not name).
- KV007: every `secretObjects` entry names a file the class mounts (objectAlias, else objectName).
- KV008: a class asks for the AKS token proxy (`useAzureTokenProxy: "true"`) exactly when a pod that
  mounts it uses identity bindings (annotation azure.workload.identity/use-identity-binding): the
  provider otherwise asks Entra ID with a token the binding's FIC does not trust, or asks a proxy the
  webhook did not set up (facts: AKS identity bindings).

Reads only leaves: the data actions and built-in roles come from wlid_render.keyvault_access.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from wlid_render.formats import GUID
from wlid_render.keyvault_access import DATA_ACTIONS, builtin_role_ids, role_grants
from wlid_render.kubernetes_keys import CLIENT_ID, USE_IDENTITY_BINDING
from wlid_render.validate.arm_template import ROLE_TYPE, ArmResource, ArmTemplate, template_file
from wlid_render.validate.components import component_patches
from wlid_render.validate.finding import Finding, TreeFindings
from wlid_render.validate.gitops import crd_validator
from wlid_render.validate.identity import pod_specs
from wlid_render.validate.identity_azure import azure_side
from wlid_render.validate.overlays import BuiltObject, blame
from wlid_render.validate.templates import top_templates
from wlid_render.validate.tree import RenderedTree, TreeError

SPC_API = "secrets-store.csi.x-k8s.io/v1"
SPC_KIND = "SecretProviderClass"
CSI_DRIVER = "secrets-store.csi.k8s.io"
TOKEN_PROXY = "useAzureTokenProxy"
OBJECT_TYPES = frozenset(DATA_ACTIONS)
_PARAMETER = re.compile(r"^\[parameters\('([^']+)'\)\]$")
_VAULT_SCOPE = re.compile(r"^\[format\('Microsoft\.KeyVault/vaults/\{0\}', parameters\('([^']+)'\)\)\]$")
# One object of a vault whose name differs per environment: the parameter holds "<vault>/<object>".
_OBJECT_SCOPE = re.compile(
    r"^\[format\('Microsoft\.KeyVault/vaults/\{0\}/(secrets|keys|certificates)/\{1\}', "
    r"split\(parameters\('([^']+)'\), '/'\)\[0\], split\(parameters\('\2'\), '/'\)\[1\]\)\]$"
)
_PRINCIPAL = re.compile(r"userAssignedIdentities', '([^']+)'\)")

Obj = dict[str, Any]
# (role-definition GUID, vault name, the one object "secrets/<name>" or None). A vault of None: the
# assignment is on a resource group or subscription, whose vaults a tree does not name.
Assignment = tuple[str, str | None, str | None]
_OBJECT_SCOPES = {"secret": "secrets", "key": "keys", "cert": "certificates"}


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _mounted(volume: Any) -> str | None:
    """The SecretProviderClass a pod volume mounts through the driver, or None."""
    csi = _dict(_dict(volume).get("csi"))
    if csi.get("driver") != CSI_DRIVER:
        return None
    name = _dict(csi.get("volumeAttributes")).get("secretProviderClass")
    return name if isinstance(name, str) else ""


TOO_DEEP = "nested too deeply to read"


def parse_objects(text: Any) -> tuple[list[Obj], str | None]:
    """The objects of an `objects` parameter, or an error saying why the provider cannot read it."""
    if not isinstance(text, str):
        return [], "objects is not a string"
    try:
        outer = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        return [], f"objects is not YAML: {str(exc).splitlines()[0]}"
    except RecursionError:  # PyYAML's parser recurses once per level of nesting
        return [], f"objects is not YAML: {TOO_DEEP}"
    array = _dict(outer).get("array")
    if not isinstance(array, list) or not array:
        return [], "objects has no `array:` list of objects"
    out = []
    for i, item in enumerate(array):
        if not isinstance(item, str):
            return [], f"objects array[{i}] is not a string (the provider reads each item as YAML text)"
        try:
            obj = yaml.safe_load(item)
        except yaml.YAMLError as exc:
            return [], f"objects array[{i}] is not YAML: {str(exc).splitlines()[0]}"
        except RecursionError:
            return [], f"objects array[{i}] is not YAML: {TOO_DEEP}"
        if not isinstance(obj, dict) or not isinstance(obj.get("objectName"), str) or not obj["objectName"]:
            return [], f"objects array[{i}] has no objectName"
        if obj.get("objectType") not in OBJECT_TYPES:
            return [], f"objects array[{i}] objectType {obj.get('objectType')!r} is not secret, key or cert"
        out.append(obj)
    return out, None


class _Azure:
    """The role assignments of each identity in the top-level templates, resolved for one environment."""

    def __init__(self, tree: RenderedTree):
        self.tree = tree
        self.subjects = {
            str(f.subject): f.identity for f in azure_side(tree).fics if isinstance(f.subject, str)
        }
        self.templates: list[tuple[str, ArmTemplate]] = []
        for top in top_templates(tree):
            arm = template_file(tree, top.json)
            if arm is not None:
                self.templates.append((top.parameters("{env}"), arm))

    def _top_value(self, params_rel: str, env: str, arm: ArmTemplate, name: str) -> Any:
        rel = params_rel.replace("{env}", env)
        try:
            values = _dict(_dict(self.tree.json(rel)).get("parameters")) if self.tree.exists(rel) else {}
        except TreeError:
            values = {}
        entry = _dict(values.get(name))
        if "value" in entry:
            return entry["value"]
        return _dict(arm.params.get(name)).get("defaultValue")

    def _resolve(
        self, value: Any, enclosing: tuple[ArmResource, ...], env: str, top: tuple[str, ArmTemplate]
    ) -> Any:
        """A `[parameters('x')]` value followed up through the deployments that pass it down."""
        for depth in range(len(enclosing), -1, -1):
            match = _PARAMETER.match(value) if isinstance(value, str) else None
            if match is None:
                return value
            if depth == 0:
                return self._top_value(top[0], env, top[1], match[1])
            args = _dict(_dict(enclosing[depth - 1].raw.get("properties")).get("parameters"))
            value = _dict(args.get(match[1])).get("value")
        return value

    def assignments(self, env: str) -> dict[str, list[Assignment]]:
        """Identity name -> its role assignments (GUID, vault name or None) in `env`."""
        out: dict[str, list[Assignment]] = {}
        for top in self.templates:
            for template in top[1].walk():
                for resource in template.members:
                    if resource.type.lower() != ROLE_TYPE or not template.enclosing:
                        continue
                    args = template.parent_arguments
                    principal = _PRINCIPAL.search(str(_dict(args.get("principalId")).get("value", "")))
                    guids = GUID.findall(str(resource.properties.get("roleDefinitionId", "")))
                    if principal is None or not guids:
                        continue
                    vault, one = self._vault(resource, template, env, top)
                    out.setdefault(principal[1], []).append((guids[-1].lower(), vault, one))
        return out

    def _vault(
        self, resource: ArmResource, template: ArmTemplate, env: str, top: tuple[str, ArmTemplate]
    ) -> tuple[str | None, str | None]:
        """(vault name, "secrets/<name>" when the scope is one object of it) of an assignment's scope."""
        scope = resource.raw.get("scope")
        if scope is None:
            return None, None  # the nested deployment's resource group or subscription
        scope = str(scope)
        match = _VAULT_SCOPE.match(scope)
        if match is not None:
            return str(self._resolve(f"[parameters('{match[1]}')]", template.enclosing, env, top)), None
        match = _OBJECT_SCOPE.match(scope)
        if match is not None:
            value = str(self._resolve(f"[parameters('{match[2]}')]", template.enclosing, env, top))
            vault, _, name = value.partition("/")
            return vault, f"{match[1]}/{name}".lower()
        prefix = "Microsoft.KeyVault/vaults/"
        if not scope.startswith(prefix):
            return "\0", None  # some other resource: never a vault of a class
        parts = scope[len(prefix) :].split("/")
        if len(parts) == 1:
            return parts[0], None
        if len(parts) == 3 and parts[1] in _OBJECT_SCOPES.values():
            return parts[0], f"{parts[1]}/{parts[2]}".lower()
        return "\0", None


class _Checks:
    def __init__(self, tree: RenderedTree, findings: TreeFindings):
        self.tree = tree
        self.findings = findings
        self.azure: _Azure | None = None
        # the objects of each class, parsed once: classes shared by overlays are checked once for KV001,
        # KV004, ..., and their objects read again for every pod that mounts them (KV006)
        self.parsed: dict[int, tuple[list[Obj], str | None]] = {}
        self.by_env: dict[str, dict[str, list[Assignment]]] = {}  # the role assignments of each overlay's env

    def add(self, rule: str, severity: str, built: BuiltObject, path: tuple, message: str) -> None:
        rel, line = blame(self.tree, built, path)
        self.findings.add(rule, severity, message, rel, line=line)  # type: ignore[arg-type]

    def overlay(self, env: str, objects: list[BuiltObject]) -> None:
        classes: dict[tuple[str, str], BuiltObject] = {}
        accounts: dict[tuple[str, str], BuiltObject] = {}
        for built in objects:
            meta = _dict(built.obj.get("metadata"))
            key = (meta.get("namespace") or "default", meta.get("name"))
            if built.obj.get("kind") == SPC_KIND:
                classes[key] = built  # type: ignore[index]
                if id(built.obj) not in self.parsed:
                    self.own(built)
            elif built.obj.get("kind") == "ServiceAccount":
                accounts[key] = built  # type: ignore[index]
        for built in objects:
            found = next(pod_specs(built.obj), None)
            if found is not None:
                namespace = _dict(built.obj.get("metadata")).get("namespace") or "default"
                self.pod(env, built, namespace, *found, classes, accounts)
        for patch in component_patches(self.tree):
            found = next(pod_specs(patch.doc), None)
            if found is None:
                continue
            # A Component patches a workload of the namespace its consumer sets; the classes it mounts
            # are rendered in that namespace of the overlay: check it where they are.
            built = BuiltObject(patch.doc, patch.file, patch.index)
            names = {_mounted(v) for v in _dict(found[1].get("spec")).get("volumes") or []} - {None}
            for namespace in sorted({ns for ns, name in classes if name in names}):
                self.pod(env, built, namespace, *found, classes, accounts)

    def own(self, built: BuiltObject) -> None:
        """KV001, KV004, KV005, KV007: what a class shows on its own."""
        obj = built.obj
        validator = crd_validator(str(obj.get("apiVersion")), SPC_KIND)
        if validator is not None:
            for error in validator.iter_errors(obj):
                path = tuple(error.absolute_path)
                if error.validator == "additionalProperties" and isinstance(error.instance, dict):
                    known = _dict(error.schema).get("properties", {})
                    path += tuple(k for k in error.instance if k not in known)[:1]
                where = ".".join(str(p) for p in error.absolute_path) or "(object)"
                message = f"{built.label}: {where}: {error.message[:200]}"
                self.add("KV001", "error", built, path, message)
        parameters = _dict(_dict(obj.get("spec")).get("parameters"))
        objects, problem = self.parsed[id(obj)] = parse_objects(parameters.get("objects"))
        if problem is not None:
            self.add("KV004", "error", built, ("spec", "parameters", "objects"), f"{built.label}: {problem}")
        tenant = parameters.get("tenantId")
        if not (isinstance(tenant, str) and GUID.fullmatch(tenant)):
            self.add(
                "KV005",
                "error",
                built,
                ("spec", "parameters", "tenantId") if tenant is not None else ("spec", "parameters"),
                f"{built.label}: tenantId {tenant!r} is not a GUID (the vault's Entra tenant)",
            )
        files = {str(o.get("objectAlias") or o["objectName"]) for o in objects}
        for i, secret in enumerate(_dict(obj.get("spec")).get("secretObjects") or []):
            for j, data in enumerate(_dict(secret).get("data") or []):
                name = _dict(data).get("objectName")
                if objects and name not in files:
                    self.add(
                        "KV007",
                        "error",
                        built,
                        ("spec", "secretObjects", i, "data", j, "objectName"),
                        f"{built.label}: secretObjects[{i}] syncs {name!r}, which the class does not mount "
                        f"(it mounts {', '.join(sorted(files))})",
                    )

    def pod(
        self,
        env: str,
        built: BuiltObject,
        namespace: str,
        prefix: tuple,
        pod: Obj,
        classes: dict,
        accounts: dict,
    ) -> None:
        spec = _dict(pod.get("spec"))
        account_name = spec.get("serviceAccountName") or "default"
        account = accounts.get((namespace, account_name))
        client_id = (
            _dict(_dict(account.obj.get("metadata")).get("annotations")).get(CLIENT_ID) if account else None
        )
        for i, volume in enumerate(spec.get("volumes") or []):
            name = _mounted(volume)
            if name is None:
                continue
            path = (*prefix, "spec", "volumes", i, "csi", "volumeAttributes", "secretProviderClass")
            spc = classes.get((namespace, name))
            if spc is None:
                self.add(
                    "KV003",
                    "error",
                    built,
                    path,
                    f"{built.label} (overlay {env}) mounts SecretProviderClass {name!r}, which namespace "
                    f"{namespace} does not have (the driver looks it up in the pod's namespace)",
                )
                continue
            parameters = _dict(_dict(spc.obj.get("spec")).get("parameters"))
            if parameters.get("clientID") != client_id:
                self.add(
                    "KV002",
                    "error",
                    spc,
                    ("spec", "parameters", "clientID"),
                    f"{spc.label} (overlay {env}): clientID {parameters.get('clientID')!r} is not the client ID "
                    f"{client_id!r} of ServiceAccount {namespace}/{account_name} that {built.label} runs as; "
                    "the provider exchanges the pod's token for the class's client ID",
                )
            binding = _dict(_dict(pod.get("metadata")).get("annotations")).get(USE_IDENTITY_BINDING) == "true"
            if (parameters.get(TOKEN_PROXY) == "true") != binding:
                self.add(
                    "KV008",
                    "error",
                    spc,
                    ("spec", "parameters", TOKEN_PROXY),
                    f"{spc.label} (overlay {env}): {TOKEN_PROXY} is {parameters.get(TOKEN_PROXY)!r} but "
                    f"{built.label}, which mounts it, "
                    + ("uses identity bindings" if binding else "does not use identity bindings")
                    + f" ({USE_IDENTITY_BINDING}); the provider must fetch the token the way the pod gets it",
                )
            self.access(env, built, spc, parameters, f"system:serviceaccount:{namespace}:{account_name}")

    def access(self, env: str, pod: BuiltObject, spc: BuiltObject, parameters: Obj, subject: str) -> None:
        """KV006: the identity trusted for the pod's ServiceAccount may read each object on the vault."""
        if self.azure is None:
            self.azure = _Azure(self.tree)
        identity = self.azure.subjects.get(subject)
        vault = parameters.get("keyvaultName")
        objects, problem = self.parsed[id(spc.obj)]
        if identity is None or problem is not None or not isinstance(vault, str):
            return  # WI003 and KV004 report these
        held = self.azure_assignments(env).get(identity, [])
        builtin = builtin_role_ids()
        for obj in objects:
            action = DATA_ACTIONS[obj["objectType"]]
            one = f"{_OBJECT_SCOPES[obj['objectType']]}/{obj['objectName']}".lower()
            granted = [
                role_grants(guid, action, guid in builtin)
                for guid, on, only in held
                if on is None or (on.lower() == vault.lower() and only in (None, one))
            ]
            if True in granted or None in granted:
                continue
            self.add(
                "KV006",
                "error",
                spc,
                ("spec", "parameters", "keyvaultName"),
                f"{spc.label} (overlay {env}): no role assignment of identity {identity} in the Azure "
                f"templates grants {action} on key vault {vault}, which {pod.label} needs to read "
                f"{obj['objectType']} {obj['objectName']}",
            )

    def azure_assignments(self, env: str) -> dict[str, list[Assignment]]:
        assert self.azure is not None
        if env not in self.by_env:
            self.by_env[env] = self.azure.assignments(env)
        return self.by_env[env]


def check_key_vaults(tree: RenderedTree, overlays: dict[str, list[BuiltObject]]) -> list[Finding]:
    findings = TreeFindings(tree)
    checks = _Checks(tree, findings)
    for env, objects in overlays.items():
        checks.overlay(env, objects)
    return findings.findings
