"""The steps that plan one environment, in order (plan/build.py runs them for each environment):

1. environment: its Azure and cluster settings and client IDs (environment.py);
2. ServiceAccounts (service_accounts.py);
3. identities with their federated credentials and tags (identities.py), and
4. each identity's role assignments (role_assignments.py);
5. workloads (workloads.py).

They share a Scope (scope.py): the environment's spec and the problems found. Checks of the spec as a
whole (plan/spec_checks.py) run between them, once for each distinct part of the spec.
"""
