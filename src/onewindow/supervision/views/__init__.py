"""Pages of the supervision platform (监管平台), one module per area."""
