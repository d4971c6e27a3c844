"""Writes of the big-data display (issue #16); import each from its module."""
