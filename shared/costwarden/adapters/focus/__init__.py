"""Adapters over FOCUS (FinOps Open Cost and Usage Specification) cost data.

Import the DuckDB-backed adapter from its module (``duckdb_cost_drivers``): DuckDB lives in the
``cost`` extra, and importing this package must not require it.
"""
