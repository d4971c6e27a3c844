"""The big-data display API (issue #16): crowd-flow ingest with a source token, and the staff's
reads and operations. Error shape and paging: core.api (decision 0013)."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["bigscreen"])
