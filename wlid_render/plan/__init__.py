"""Spec -> Plan (see build.build_plan) and the plan's data model."""
