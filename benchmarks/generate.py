"""Synthetic specs for benchmarks: N workloads, N ServiceAccounts, N/20 identities, 3 environments.

python benchmarks/generate.py 1000 > /tmp/n1000.yaml
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


if __name__ == "__main__":
    sys.stdout.write(spec_text(int(sys.argv[1])))
