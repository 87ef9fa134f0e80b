"""A drift report: the differences between a spec and what exists in Azure, as text or JSON."""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from typing import Literal

Severity = Literal["error", "drift", "warning", "info"]
DRIFT_SEVERITIES = frozenset({"error", "drift"})
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _printable(text: str) -> str:
    """Control characters of values read from Azure, escaped: one finding stays one line on a terminal."""
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


@dataclass(frozen=True)
class Difference:
    kind: str
    identity: str  # "" for findings about the cluster
    fic: str | None
    message: str
    severity: Severity = "drift"

    def format(self) -> str:
        where = self.identity or "cluster"
        if self.fic:
            where += f"/{self.fic}"
        return _printable(f"{where}: {self.severity} {self.kind}: {self.message}")


@dataclass(frozen=True)
class DriftReport:
    environment: str
    subscription_id: str
    resource_group: str
    findings: tuple[Difference, ...]
    identities: int = 0  # identities of the spec in this environment
    credentials: int = 0  # their FICs

    @property
    def has_drift(self) -> bool:
        return any(f.severity in DRIFT_SEVERITIES for f in self.findings)

    def to_json(self) -> str:
        doc = {
            "environment": self.environment,
            "subscriptionId": self.subscription_id,
            "resourceGroup": self.resource_group,
            "hasDrift": self.has_drift,
            "findings": [asdict(f) for f in self.findings],
        }
        return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def format_drift(report: DriftReport) -> str:
    """The report as text for the CLI: one line per finding, then a summary line."""
    lines = [f.format() for f in report.findings]
    where = f"resource group {report.resource_group} (environment {report.environment})"
    if report.has_drift:
        drifted = sum(1 for f in report.findings if f.severity in DRIFT_SEVERITIES)
        lines.append(f"drift: {drifted} finding(s) in {where}")
    else:
        lines.append(
            f"no drift: {report.identities} identity(ies) and {report.credentials} federated credential(s) "
            f"match {where}"
        )
    return "\n".join(lines) + "\n"
