"""Models of market (one module a concept, re-exported here)."""
