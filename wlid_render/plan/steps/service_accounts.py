"""Step 2, the ServiceAccounts of the environment, each with the identity it is bound to."""

from __future__ import annotations

from wlid_render.plan.model import ServiceAccountPlan
from wlid_render.plan.steps.scope import Scope
from wlid_render.suggest import did_you_mean


def plan_service_accounts(scope: Scope) -> list[tuple[int, ServiceAccountPlan]]:
    """(position in the spec, plan) of each ServiceAccount this environment has."""
    spec = scope.spec
    identity_names = [i.name for i in spec.identities]
    only_in = {i.name: i.environments for i in reversed(spec.identities)}  # the first of a name wins
    out = []
    for i, account in enumerate(spec.serviceAccounts):
        if not scope.deployed(account.environments, ("serviceAccounts", i)):
            continue
        if account.identity not in only_in:
            guess = did_you_mean(account.identity, identity_names)
            scope.error(
                ("serviceAccounts", i, "identity"),
                f"no identity named {account.identity!r}",
                f"did you mean {guess}?" if guess else f"declared: {', '.join(identity_names)}",
            )
        else:
            only = only_in[account.identity]
            if only is not None and scope.env not in only:
                scope.error(
                    ("serviceAccounts", i, "identity"),
                    f"environment {scope.env!r}: identity {account.identity!r} is not deployed there",
                    "limit the ServiceAccount to the identity's environments",
                )
        plan = ServiceAccountPlan(account.name, account.namespace, account.identity, account.tokenExpiration)
        out.append((i, plan))
    return out
