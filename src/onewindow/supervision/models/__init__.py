"""Models of supervision (one module a concept, re-exported here)."""
