"""wlid: render Azure Workload Identity wiring for AKS from one declarative spec."""

__version__ = "0.1.0"
