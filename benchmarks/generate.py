"""Synthetic specs for benchmarks.

python benchmarks/generate.py 1000 > /tmp/n1000.yaml                  # N workloads, 3 environments
python benchmarks/generate.py --environments 1000 > /tmp/e1000.yaml   # 1 workload, N environments
"""

from __future__ import annotations

import sys


def spec_text(n: int) -> str:
    identities = max(1, n // 20)
    lines = [
        "apiVersion: wlid/v1",
        "kind: WorkloadIdentitySpec",
        "metadata:",
        f"  name: bench-{n}",
        "azure:",
        "  subscriptionId: 11111111-1111-1111-1111-111111111111",
        "  resourceGroup: rg-bench",
        "  location: westeurope",
        "  tenantId: 22222222-2222-2222-2222-222222222222",
        "cluster:",
        "  name: aks-bench",
        "identities:",
    ]
    for i in range(identities):
        group = "rg-bench-data-a" if i % 2 else "rg-bench-data-b"
        lines += [
            f"  - name: id-{i:05d}",
            "    roles:",
            "      - role: Key Vault Secrets User",
            f"        keyVault: {{name: kv-bench-{i % 50:03d}, resourceGroup: {group}}}",
        ]
    lines.append("serviceAccounts:")
    for i in range(n):
        lines += [
            f"  - name: sa-{i:05d}",
            f"    namespace: team-{i % 25:02d}",
            f"    identity: id-{i % identities:05d}",
        ]
    lines.append("workloads:")
    for i in range(n):
        lines += [
            f"  - name: app-{i:05d}",
            "    kind: Deployment",
            f"    serviceAccount: sa-{i:05d}",
            "    replicas: 2",
            "    containers:",
            "      - name: app",
            f"        image: ghcr.io/example/app-{i % 7}:1.0.0",
            "        env: {LOG_LEVEL: info}",
        ]
    lines += [
        "environments:",
        "  dev:",
        "    cluster: {name: aks-bench-dev}",
        "  staging:",  # its own resource group: identities are not shared across clusters
        "    azure: {resourceGroup: rg-bench-staging}",
        "    cluster: {name: aks-bench-staging}",
        "  prod:",
        "    azure: {subscriptionId: 33333333-3333-3333-3333-333333333333}",
        "    cluster: {name: aks-bench-prod}",
    ]
    return "\n".join(lines) + "\n"


def environments_spec_text(n: int, broken: bool = False) -> str:
    """One identity, ServiceAccount and workload in N environments, each in its own resource group
    and cluster, with its own image tag; `${env}` and `${vars.*}` in the shared parts. No client ID is
    pinned yet (as before the first deployment): one warning per environment.

    `broken`: the workload names a variable no environment defines (one error per environment).
    """
    tag = "${vars.imageTag}" if not broken else "${vars.imageTga}"
    lines = [
        "apiVersion: wlid/v1",
        "kind: WorkloadIdentitySpec",
        "metadata:",
        f"  name: envs-{n}",
        "azure:",
        "  subscriptionId: 11111111-1111-1111-1111-111111111111",
        "  resourceGroup: rg-app-${env}",
        "  location: westeurope",
        "cluster:",
        "  name: aks-${env}",
        "identities:",
        "  - name: app",
        "    roles:",
        "      - role: Key Vault Secrets User",
        "        keyVault: kv-app-${env}",
        "serviceAccounts:",
        "  - name: app",
        "    namespace: app",
        "    identity: app",
        "workloads:",
        "  - name: app",
        "    kind: Deployment",
        "    serviceAccount: app",
        "    containers:",
        "      - name: app",
        f"        image: ghcr.io/example/app:{tag}",
        "        env: {APP_ENVIRONMENT: '${env}'}",
        "environments:",
    ]
    for i in range(n):
        lines += [f"  env{i:05d}:", f"    vars: {{imageTag: '1.{i}.0'}}"]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    if sys.argv[1] == "--environments":
        sys.stdout.write(environments_spec_text(int(sys.argv[2])))
    else:
        sys.stdout.write(spec_text(int(sys.argv[1])))
