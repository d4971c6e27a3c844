"""Reads of analytics, one module per area; every read is of the rollup tables (never raw history)."""
