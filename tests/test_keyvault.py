"""`keyVaultSecrets`: access proven at render time (errors at the spec's line, `grant: auto`), the
least-privileged role from the bundled role table, and the SecretProviderClass, volume and mounts the
Kubernetes emitter writes, bound to the very client ID of the ServiceAccount."""

from __future__ import annotations

import json

import pytest
import yaml
from conftest import ROOT
from hypothesis import given, settings
from hypothesis import strategies as st
from k8s_trees import kustomize, line, needs_kubectl, plan_of, problems_of

from wlid_render.emit.k8s import emit_kubernetes
from wlid_render.emit.keyvault import objects_parameter
from wlid_render.keyvault_access import DATA_ACTIONS, grants, least_privileged, role_grants
from wlid_render.kubernetes_keys import CLIENT_ID
from wlid_render.plan.model import KeyVaultMountPlan, KeyVaultObjectPlan
from wlid_render.plan.source import plan_source
from wlid_render.spec.load import load_text
from wlid_render.workflow.pipeline import render_plan

SPEC = (ROOT / "specs" / "keyvault-csi.yaml").read_text("utf-8")
SECRETS_USER = "4633458b-17de-408a-b874-0445c86b69e6"


# A small spec: one identity, one ServiceAccount, one Deployment mounting one vault.
def small(
    roles: str = "", entry: str = "", azure: str = "  tenantId: 22222222-2222-2222-2222-222222222222\n"
) -> str:
    return f"""apiVersion: wlid/v1
kind: WorkloadIdentitySpec
metadata: {{name: kv}}
azure:
  subscriptionId: 11111111-1111-1111-1111-111111111111
  resourceGroup: rg-app
  location: eastus
{azure}cluster: {{name: aks}}
identities:
  - name: app
    roles:
{roles or "      []"}
serviceAccounts:
  - {{name: app, namespace: apps, identity: app}}
workloads:
  - name: api
    kind: Deployment
    serviceAccount: app
    containers: [{{name: api, image: nginx}}, {{name: side, image: busybox}}]
    keyVaultSecrets:
      - keyVault: kv-app
        objects:
{entry or "          - {name: db-password}"}
"""


def _roles(*lines: str) -> str:
    return "\n".join(f"      - {line_}" for line_ in lines)


# -- the role table --------------------------------------------------------------------------------
def test_wildcards_match_as_azure_matches_data_actions():
    assert grants(("Microsoft.KeyVault/vaults/*",), DATA_ACTIONS["secret"])
    assert grants(("microsoft.keyvault/vaults/secrets/*",), DATA_ACTIONS["secret"])  # any case
    assert grants(("Microsoft.KeyVault/vaults/*/read",), DATA_ACTIONS["key"])
    assert not grants(("Microsoft.KeyVault/vaults/*/read",), DATA_ACTIONS["secret"])  # an action, not a read
    assert not grants(("Microsoft.KeyVault/vaults/keys/*",), DATA_ACTIONS["cert"])


def test_the_bundled_roles_agree_with_the_platform_facts():
    # facts.md: Key Vault Secrets User reads secrets; Crypto User reads keys; Certificate User certificates.
    assert role_grants(SECRETS_USER, DATA_ACTIONS["secret"], True)
    assert role_grants("12338af0-0e69-4776-bea7-57ae8d297424", DATA_ACTIONS["key"], True)
    assert role_grants("db79e9a7-68ee-4b58-9aeb-b90e7c24fcba", DATA_ACTIONS["cert"], True)
    assert (
        role_grants("b24988ac-6180-42a0-ab88-20f7382dd24c", DATA_ACTIONS["secret"], True) is False
    )  # Contributor
    assert (
        role_grants("0b1c2d3e-0000-4000-8000-000000000000", DATA_ACTIONS["secret"], False) is None
    )  # custom


@pytest.mark.parametrize(
    ("types", "role"),
    [
        ({"secret"}, "Key Vault Secrets User"),
        ({"key"}, "Key Vault Reader"),
        ({"cert"}, "Key Vault Reader"),
        ({"secret", "cert"}, "Key Vault Certificate User"),
        ({"secret", "key", "cert"}, "Key Vault Certificate User"),
    ],
)
def test_the_least_privileged_built_in_role(types: set[str], role: str):
    assert least_privileged(frozenset(types))[0] == role


# -- render-time errors ----------------------------------------------------------------------------
def test_an_identity_without_the_vault_role_is_refused_at_the_entry_naming_the_role():
    text = small(_roles("{role: Storage Blob Data Reader, storageAccount: stapp}"))
    (problem,) = problems_of(text)
    assert problem.path == ("workloads", 0, "keyVaultSecrets", 0)
    assert problem.mark is not None and problem.mark.line == line(text, "- keyVault: kv-app")
    assert "identity 'app' cannot read secret db-password" in problem.message
    assert "secrets/getSecret/action" in problem.message
    assert (
        "{role: Key Vault Secrets User, keyVault: kv-app}" in problem.hint and "grant: auto" in problem.hint
    )


def test_a_role_on_another_vault_or_resource_group_does_not_count():
    text = small(
        _roles(
            "{role: Key Vault Secrets User, keyVault: kv-other}",
            "{role: Key Vault Secrets User, keyVault: {name: kv-app, resourceGroup: rg-elsewhere}}",
        )
    )
    assert [p.path for p in problems_of(text)] == [("workloads", 0, "keyVaultSecrets", 0)]


@pytest.mark.parametrize(
    "grant",
    [
        "{role: Key Vault Secrets User, keyVault: kv-app}",
        "{role: Key Vault Administrator, resourceGroup: rg-app}",
        "{role: Key Vault Secrets Officer, subscription: true}",
        "{role: Key Vault Secrets User, resourceId: /subscriptions/11111111-1111-1111-1111-111111111111/"
        "resourceGroups/rg-app/providers/Microsoft.KeyVault/vaults/kv-app/secrets/db-password}",
    ],
)
def test_a_role_on_the_vault_its_group_its_subscription_or_the_object_proves_access(grant: str):
    assert plan_of(small(_roles(grant))).workloads[0].key_vaults[0].vault_name == "kv-app"


def test_a_role_that_reads_secrets_does_not_read_keys():
    text = small(
        _roles("{role: Key Vault Secrets User, keyVault: kv-app}"),
        "          - {name: signing, type: key}",
    )
    (problem,) = problems_of(text)
    assert "key signing" in problem.message and "keys/read" in problem.message
    assert "Key Vault Reader" in problem.hint


def test_a_custom_role_on_the_vault_is_a_warning_not_an_error():
    plan = plan_of(small(_roles("{role: 0b1c2d3e-0000-4000-8000-000000000000, keyVault: kv-app}")))
    assert [w.code for w in plan.warnings if w.code == "W300"] == ["W300"]


def test_grant_auto_adds_the_least_privileged_role_on_the_vault():
    entry = "          - {name: db-password}\n          - {name: tls, type: cert}\n        grant: auto"
    plan = plan_of(small("", entry))
    (assignment,) = [a for d in plan.identities[0].role_deployments for a in d.assignments]
    assert (assignment.role_name, assignment.role_id) == (
        "Key Vault Certificate User",
        "db79e9a7-68ee-4b58-9aeb-b90e7c24fcba",
    )
    assert assignment.target.resource_type == "Microsoft.KeyVault/vaults"
    assert assignment.target.resource_name == "kv-app"
    assert "grant: auto" in (assignment.description or "")


def test_grant_auto_adds_nothing_the_identity_already_holds():
    plan = plan_of(
        small(
            _roles("{role: Key Vault Secrets User, keyVault: kv-app}"),
            "          - {name: s}\n        grant: auto",
        )
    )
    assert [a.role_id for d in plan.identities[0].role_deployments for a in d.assignments] == [SECRETS_USER]


def test_the_tenant_is_required():
    text = small(_roles("{role: Key Vault Secrets User, keyVault: kv-app}"), azure="")
    (problem,) = problems_of(text)
    assert problem.path == ("workloads", 0, "keyVaultSecrets") and "azure.tenantId" in problem.message


@pytest.mark.parametrize(
    ("entry", "path", "words"),
    [
        ("          - {name: a}\n        containers: [nope]", ("containers",), "no container named 'nope'"),
        ("          - {name: a}\n          - {name: a}", ("objects", 1), "two objects write the file 'a'"),
        (
            "          - {name: a}\n        syncSecret: {name: s, keys: {K: b}}",
            ("syncSecret", "keys", "K"),
            "no object of this vault is mounted as 'b'",
        ),
    ],
)
def test_entry_mistakes_are_errors_at_their_key(entry: str, path: tuple, words: str):
    text = small(_roles("{role: Key Vault Secrets User, keyVault: kv-app}"), entry)
    problems = problems_of(text)
    assert [(p.path, words in p.message) for p in problems] == [
        (("workloads", 0, "keyVaultSecrets", 0, *path), True)
    ]


def test_a_name_with_a_dollar_cannot_reach_the_class_flux_substitutes():
    text = small(_roles("{role: Key Vault Secrets User, keyVault: kv-app}"), "          - {name: a$b}")
    (problem,) = problems_of(text)
    assert problem.path[:6] == ("workloads", 0, "keyVaultSecrets", 0, "objects", 0)


# -- the Kubernetes side ---------------------------------------------------------------------------
def test_objects_is_yaml_of_yaml_strings_that_parse_back():
    mount = KeyVaultMountPlan(
        0,
        "c",
        "v",
        "kv",
        None,
        None,
        (
            KeyVaultObjectPlan("one", "secret"),
            KeyVaultObjectPlan("two", "cert", "0123456789abcdef0123456789abcdef", "1e3"),
        ),
        "/m",
        ("api",),
    )
    outer = yaml.safe_load(objects_parameter(mount))
    assert [yaml.safe_load(item) for item in outer["array"]] == [
        {"objectName": "one", "objectType": "secret"},
        # "1e3" would be a number to a YAML reader: the serialiser quotes it so it stays a file name
        {
            "objectName": "two",
            "objectType": "cert",
            "objectVersion": "0123456789abcdef0123456789abcdef",
            "objectAlias": "1e3",
        },
    ]


@pytest.fixture(scope="module")
def built() -> dict[str, list[dict]]:
    """`kubectl kustomize` of each overlay of the committed keyvault-csi tree, built once."""
    return {
        env: kustomize(ROOT / "out" / "keyvault-csi" / "k8s" / "overlays" / env) for env in ("dev", "prod")
    }


@pytest.mark.kubectl
@needs_kubectl
@pytest.mark.parametrize("env", ["dev", "prod"])
def test_the_built_class_carries_the_client_id_of_the_service_account_and_objects_intact(
    env: str, built: dict[str, list[dict]]
):
    docs = built[env]
    by_kind = {(d["kind"], d["metadata"]["name"]): d for d in docs}
    account = by_kind[("ServiceAccount", "workload-identity-sa")]
    spc = by_kind[("SecretProviderClass", "sample-workload-identity-key-vault-kv")]
    parameters = spc["spec"]["parameters"]
    assert parameters["clientID"] == account["metadata"]["annotations"][CLIENT_ID]
    assert parameters["keyvaultName"] == f"kv-wlid-{env}"
    assert parameters["usePodIdentity"] == "false"
    array = yaml.safe_load(parameters["objects"])["array"]
    assert [yaml.safe_load(item) for item in array] == [{"objectName": "my-secret", "objectType": "secret"}]
    pod = by_kind[("Deployment", "sample-workload-identity-key-vault")]["spec"]["template"]
    assert pod["metadata"]["labels"]["azure.workload.identity/use"] == "true"
    (volume,) = pod["spec"]["volumes"]
    assert volume["csi"] == {
        "driver": "secrets-store.csi.k8s.io",
        "readOnly": True,
        "volumeAttributes": {"secretProviderClass": spc["metadata"]["name"]},
    }
    (mount,) = pod["spec"]["containers"][0]["volumeMounts"]
    assert mount == {
        "name": volume["name"],
        "mountPath": f"/mnt/secrets-store/kv-wlid-{env}",
        "readOnly": True,
    }


def test_a_bound_client_id_reaches_the_class_and_the_service_account_alike():
    bound = {
        "prod": {
            "myIdentity": "55555555-5555-5555-5555-555555555555",
            "edge": "66666666-6666-6666-6666-666666666666",
        }
    }
    plan = plan_source(load_text(SPEC, "spec.yaml"), bound)
    files = {a.path: a.text for a in emit_kubernetes(plan)}
    classes = list(yaml.safe_load_all(files["k8s/overlays/prod/apps/secretproviderclasses.yaml"]))
    accounts = list(yaml.safe_load_all(files["k8s/overlays/prod/apps/serviceaccounts.yaml"]))
    assert {c["spec"]["parameters"]["clientID"] for c in classes} == set(bound["prod"].values())
    assert {a["metadata"]["annotations"][CLIENT_ID] for a in accounts} == set(bound["prod"].values())


@pytest.mark.kubectl
@needs_kubectl
def test_the_class_of_every_environment_passes_the_crd_schema(built: dict[str, list[dict]]):
    import jsonschema

    schema = json.loads(
        (
            ROOT
            / "wlid_render"
            / "data"
            / "crd_schemas"
            / "secrets-store.csi.x-k8s.io"
            / "secretproviderclass_v1.json"
        ).read_text()
    )
    for env in ("dev", "prod"):
        for doc in built[env]:
            if doc["kind"] == "SecretProviderClass":
                jsonschema.Draft7Validator(schema).validate(doc)


def test_specs_without_key_vaults_render_no_class():
    for name in ("lab", "multi-env", "platform", "existing-app"):
        plan = plan_source(load_text((ROOT / "specs" / f"{name}.yaml").read_text("utf-8"), "spec.yaml"))
        assert not any("secretproviderclasses" in a.path for a in render_plan(plan))


def test_grant_auto_needs_the_workload_wherever_its_identity_is():
    text = small("", "          - {name: s}\n        grant: auto").replace(
        "    kind: Deployment\n", "    kind: Deployment\n    environments: [prod]\n"
    )
    text += "environments:\n  dev: {}\n  prod: {}\n"
    problem = problems_of(text)[0]  # and, since nothing was granted, the access it lacks
    assert problem.path == ("workloads", 0, "keyVaultSecrets", 0, "grant")
    assert "every environment of identity 'app'" in problem.message


def test_an_existing_workload_names_its_containers():
    text = SPEC.replace("        containers: [proxy]\n", "")
    problems = problems_of(text)
    assert [p.path for p in problems] == [("workloads", 1, "keyVaultSecrets", 0, "containers")]


def test_an_existing_workload_mounts_the_same_in_every_environment():
    text = SPEC.replace("        mountPath: /etc/edge/tls\n", "        mountPath: /etc/edge/${env}\n")
    (problem,) = problems_of(text)
    assert problem.path == ("workloads", 1, "keyVaultSecrets") and "one Component" in problem.message


def test_explain_shows_vault_objects_and_the_workload_that_mounts_them():
    from wlid_render.cli.json_output import explain_report
    from wlid_render.views.explain import environment_views
    from wlid_render.views.explain_text import explain_text
    from wlid_render.views.mermaid import explain_mermaid

    plan = plan_of(SPEC)
    (view,) = environment_views(plan, "dev")
    text = explain_text([view])
    assert (
        "        Deployment apps/sample-workload-identity-key-vault\n"
        "          mounts key vault kv-wlid-dev (secret my-secret) at /mnt/secrets-store/kv-wlid-dev "
        "(SecretProviderClass sample-workload-identity-key-vault-kv, synced to Secret my-secret)"
    ) in text
    graph = explain_mermaid([view])
    assert '[("key vault kv-wlid-shared<br/>cert edge-tls as tls.crt")]' in graph
    assert "-->|mounted at /etc/edge/tls| workload_Deployment_apps_edge_proxy" in graph
    assert "classDef vault" in graph
    report = explain_report("spec.yaml", "keyvault-csi", [view])
    workloads = [
        w
        for i in report["environments"][0]["identities"]
        for a in i["serviceAccounts"]
        for w in a["workloads"]
    ]
    assert [w["keyVaults"][0]["vault"] for w in workloads] == ["kv-wlid-dev", "kv-wlid-shared"]
    (lab,) = environment_views(plan_of((ROOT / "specs" / "lab.yaml").read_text("utf-8")))
    assert "classDef vault" not in explain_mermaid([lab])  # graphs without a vault are as before


def test_the_out_readme_says_how_to_check_the_mount_and_what_to_install():
    readme = (ROOT / "out" / "keyvault-csi" / "README.md").read_text("utf-8")
    assert "az aks enable-addons --addons azure-keyvault-secrets-provider" in readme
    assert (
        "`kubectl exec -n apps deploy/sample-workload-identity-key-vault -c oidc -- ls "
        "/mnt/secrets-store/kv-wlid-prod`"
    ) in readme
    assert "`kubectl get secret -n apps my-secret`" in readme


# -- identity bindings ------------------------------------------------------------------------------
def _classes(text: str) -> list[dict]:
    files = {a.path: a.text for a in emit_kubernetes(plan_of(text))}
    return list(yaml.safe_load_all(files["k8s/base/apps/secretproviderclasses.yaml"]))


def test_a_class_of_a_binding_identity_asks_for_the_token_proxy_and_passes_the_crd_schema():
    import jsonschema

    roles = _roles("{role: Key Vault Secrets User, keyVault: kv-app}")
    credentials = small(roles)
    binding = credentials.replace(
        "  - name: app\n    roles:", "  - name: app\n    federation: identityBinding\n    roles:"
    )
    assert binding != credentials
    (plain,) = _classes(credentials)
    (proxied,) = _classes(binding)
    assert "useAzureTokenProxy" not in plain["spec"]["parameters"]
    assert proxied["spec"]["parameters"]["useAzureTokenProxy"] == "true"
    schema = json.loads(
        (
            ROOT / "wlid_render/data/crd_schemas/secrets-store.csi.x-k8s.io/secretproviderclass_v1.json"
        ).read_text()
    )
    jsonschema.Draft7Validator(schema).validate(proxied)


@settings(max_examples=60, deadline=None)
@given(
    names=st.lists(st.text(min_size=1, max_size=20), min_size=1, max_size=4),
    alias=st.one_of(st.none(), st.text(min_size=1, max_size=20)),
)
def test_objects_parse_back_whatever_the_names(names: list[str], alias: str | None):
    """Each object is a literal block of its own serialised document: any name or alias (quotes,
    colons, '#', leading dashes or spaces, line breaks) reads back as written."""
    objects = tuple(KeyVaultObjectPlan(n, "secret", None, alias) for n in names)
    mount = KeyVaultMountPlan(0, "c", "v", "kv", None, None, objects, "/m", ("api",))
    outer = yaml.safe_load(objects_parameter(mount))
    expected = [
        {"objectName": n, "objectType": "secret", **({"objectAlias": alias} if alias is not None else {})}
        for n in names
    ]
    assert [yaml.safe_load(item) for item in outer["array"]] == expected
