"""Offline checks of a rendered tree: ARM schemas and rules, Kubernetes schemas, Bicep, workload identity."""
