"""The management system's part of the JSON API (/api/v1/analytics/), one router per area:
``statistics`` (every chart's data), ``appraisal``, ``decisions`` (item proposals), ``search``
(the acceptance query)."""

from __future__ import annotations

from ninja import Router

from .appraisal import router as appraisal_router
from .decisions import router as decisions_router
from .search import router as search_router
from .statistics import router as statistics_router

router = Router(tags=["analytics"])
router.add_router("/", statistics_router)
router.add_router("/", appraisal_router)
router.add_router("/", decisions_router)
router.add_router("/", search_router)
