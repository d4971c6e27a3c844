"""The data-sharing part of the JSON API (/api/v1/sharing/), composed of one router per area:

- ``catalogue_api``: the resource catalogue (``/resources``);
- ``access_api``: access requests and grants (``/requests``, ``/grants``);
- ``exchange_api``: shared-service queries under a grant token (``/exchange``);
- ``peer_api``: the endpoint another installation's exchange calls (``/peer``);
- ``bulk_api``: bulk drops (``/drops``).
"""

from __future__ import annotations

from ninja import Router

from .access_api import router as access_router
from .bulk_api import router as bulk_router
from .catalogue_api import router as catalogue_router
from .exchange_api import router as exchange_router
from .peer_api import router as peer_router

router = Router(tags=["sharing"])
router.add_router("/", catalogue_router)
router.add_router("/", access_router)
router.add_router("/exchange/", exchange_router)
router.add_router("/peer/", peer_router)
router.add_router("/", bulk_router)
