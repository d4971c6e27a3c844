"""Pages and streams of the big-data display (issue #16)."""
