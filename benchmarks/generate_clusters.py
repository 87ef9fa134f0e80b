"""Synthetic specs of a fleet: AKS identity bindings on many clusters.

python benchmarks/generate_clusters.py 1000 50 > /tmp/fleet.yaml   # N workloads, C clusters, bindings
"""

from __future__ import annotations

import sys


def clusters_spec_text(n: int, clusters: int = 50) -> str:
    """N workloads and ServiceAccounts in 25 namespaces, N/20 identities in identityBinding mode (one
    binding per cluster each), C clusters in 5 resource groups, one environment."""
    identities = max(1, n // 20)
    lines = [
        "apiVersion: wlid/v1",
        "kind: WorkloadIdentitySpec",
        "metadata:",
        f"  name: fleet-{n}-{clusters}",
        "azure:",
        "  subscriptionId: 11111111-1111-1111-1111-111111111111",
        "  resourceGroup: rg-fleet",
        "  location: westeurope",
        "  tenantId: 22222222-2222-2222-2222-222222222222",
        "clusters:",
    ]
    for c in range(clusters):
        lines += [f"  - name: aks-fleet-{c:03d}", f"    resourceGroup: rg-aks-{c % 5}"]
    lines.append("identities:")
    for i in range(identities):
        lines += [
            f"  - name: id-{i:05d}",
            "    federation: identityBinding",
            "    roles:",
            "      - role: Key Vault Secrets User",
            f"        keyVault: kv-fleet-{i % 50:03d}",
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
            "    containers:",
            "      - name: app",
            f"        image: ghcr.io/example/app-{i % 7}:1.0.0",
        ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.stdout.write(clusters_spec_text(int(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 50))
