"""Plans the Bicep tests emit: the lab, a rich one-environment spec and specs whose environments differ."""

from __future__ import annotations

from collections.abc import Callable

from conftest import LAB_SPEC, ROOT

from wlid_render.plan.model import Plan
from wlid_render.plan.source import plan_source
from wlid_render.spec.load import load_file, load_text

RICH_SPEC = """\
apiVersion: wlid/v1
kind: WorkloadIdentitySpec
metadata:
  name: rich
azure:
  subscriptionId: 22222222-2222-2222-2222-222222222222
  resourceGroup: rg-app
  location: westeurope
cluster:
  name: aks-app
  resourceGroup: rg-aks
  enableWorkloadIdentity: true
identities:
  - name: api-reader
    roles:
      - role: Key Vault Secrets User
        keyVault: kv-app
        description: "it's ${not} interpolated \\\\ and [bracketed]"
      - role: Storage Blob Data Reader
        storageAccount: {name: stshared, resourceGroup: rg-data}
      - role: Reader
        subscription: true
      - role: Storage Blob Data Contributor
        resourceId: /subscriptions/33333333-3333-3333-3333-333333333333/resourceGroups/rg-blob/providers/\
Microsoft.Storage/storageAccounts/stblob/blobServices/default/containers/uploads
      - role: Reader
        keyVault: kv-app
  - name: worker_batch
    roles:
      - role: Reader
        resourceGroup: rg-data
serviceAccounts:
  - {name: api, namespace: app, identity: api-reader}
  - {name: api-canary, namespace: app, identity: api-reader}
  - {name: api, namespace: jobs, identity: api-reader, federatedCredentialName: jobs-api}
  - {name: worker, namespace: jobs, identity: worker_batch}
environments:
  dev:
    cluster:
      oidcIssuerUrl: https://westeurope.oic.prod-aks.azure.com/00000000-0000-0000-0000-000000000000/abc/
  prod:
    azure:
      location: northeurope
      resourceGroup: rg-app-prod
    cluster:
      enableWorkloadIdentity: false
"""


def lab_plan() -> Plan:
    return plan_source(load_file(str(LAB_SPEC)))


def plan_from(text: str) -> Plan:
    return plan_source(load_text(text, "spec.yaml"))


def lab_without_cluster_update() -> Plan:
    text = LAB_SPEC.read_text("utf-8")
    assert "enableWorkloadIdentity: true" in text
    return plan_from(text.replace("enableWorkloadIdentity: true", "enableWorkloadIdentity: false"))


# Environments whose values differ: names, resource groups and subscriptions of role targets become
# parameters; what exists in some environments only (an identity, a ServiceAccount's credential) gets
# a bool parameter as its condition.
MULTI_ENV_SPEC = """\
apiVersion: wlid/v1
kind: WorkloadIdentitySpec
metadata:
  name: multi-rich
azure:
  subscriptionId: ${vars.subscription}
  resourceGroup: rg-app-${env}
  location: westeurope
cluster:
  name: aks-app-${env}
  enableWorkloadIdentity: true
identities:
  - name: api
    roles:
      - role: Key Vault Secrets User
        keyVault:
          name: kv-app-${env}
          resourceGroup: rg-secrets-${env}
      - role: Storage Blob Data Contributor
        resourceId: /subscriptions/${vars.data}/resourceGroups/rg-blob/providers/\
Microsoft.Storage/storageAccounts/stblob${env}/blobServices/default/containers/uploads
      - role: Reader
        resourceGroup: rg-data-${env}
  - name: worker
    roles:
      - role: Storage Blob Data Reader
        storageAccount: stassets${env}
  - name: audit
    environments: [prod]
    roles:
      - role: Reader
        keyVault: kv-app-${env}
serviceAccounts:
  - {name: api, namespace: app, identity: api}
  - {name: worker, namespace: jobs, identity: worker}
  - {name: worker-extra, namespace: jobs, identity: worker, environments: [prod]}
  - {name: audit, namespace: app, identity: audit, environments: [prod]}
environments:
  dev:
    vars:
      subscription: 44444444-4444-4444-4444-444444444444
      data: 77777777-7777-7777-7777-777777777777
  prod:
    vars:
      subscription: 66666666-6666-6666-6666-666666666666
      data: 88888888-8888-8888-8888-888888888888
"""


def multi_env_plan() -> Plan:
    return plan_source(load_file(str(ROOT / "specs" / "multi-env.yaml")))


PLANS: dict[str, Callable[[], Plan]] = {
    "lab": lab_plan,
    "rich": lambda: plan_from(RICH_SPEC),
    "lab-no-cluster-update": lab_without_cluster_update,
    "multi-env": multi_env_plan,
    "multi-env-rich": lambda: plan_from(MULTI_ENV_SPEC),
}
