"""市场主体库与信息归集 (market-entity registry and information pooling), issue #11.

A market entity *is* an ``accounts.Organization`` (one row per unified social credit code);
this app adds its registry details one-to-one (versions, industry, status, risk grade) and the
records other departments pool under its credit code (licences, filings, penalties, inspection
results). ``supervision`` (above) builds the measures on top; ``cases`` (above) records its
approved licences here through :mod:`onewindow.market.services`.
"""
