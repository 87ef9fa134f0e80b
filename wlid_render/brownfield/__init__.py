"""Brownfield: read what already exists in Azure (read-only), import it as a spec, report drift.

* `azure.read_state` / `azure.read_environment_state`: identities, their FICs and the cluster's issuer,
  through the Azure SDKs (the `wlid[azure]` extra, imported only when reading);
* `importer.import_spec`: a commented spec that re-renders to the same Azure state;
* `drift.drift`: a spec's identities and FICs for one environment compared with what exists.

Nothing here writes to Azure, prints or exits; the CLI does the printing.
"""

from wlid_render.brownfield.azure import read_environment_state, read_state
from wlid_render.brownfield.azure_errors import BrownfieldError
from wlid_render.brownfield.drift import drift
from wlid_render.brownfield.drift_report import Difference, DriftReport, format_drift
from wlid_render.brownfield.importer import Imported, Skipped, build_import, import_spec
from wlid_render.brownfield.state import (
    AzureState,
    ClusterState,
    FicState,
    IdentityState,
    RoleAssignmentState,
)

__all__ = [
    "AzureState",
    "BrownfieldError",
    "ClusterState",
    "Difference",
    "DriftReport",
    "FicState",
    "IdentityState",
    "Imported",
    "RoleAssignmentState",
    "Skipped",
    "build_import",
    "drift",
    "format_drift",
    "import_spec",
    "read_environment_state",
    "read_state",
]
