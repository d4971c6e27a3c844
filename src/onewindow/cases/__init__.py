"""Case handling (办件): applications for catalog items, from draft to delivered result (issue #3)."""
