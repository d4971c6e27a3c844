"""Pages of the market-entity registry under ``/market/`` (parse, call one selector or service,
render): the search page with live results (htmx), an entity's profile (registration, versions,
former names, and the pooled records of ``market/_records.html``), the audited unmask of the
legal representative, and the bulk import for the registration authority's staff."""

from __future__ import annotations

from django.urls import URLPattern, path

from . import export, importing, public, registry, sanctions

urlpatterns: list[URLPattern] = [
    path("", registry.search, name="search"),
    path("entities/<str:credit_code>/", registry.profile, name="entity"),
    path("entities/<str:credit_code>/unmask/", registry.unmask, name="entity-unmask"),
    path("import/", importing.upload, name="import"),
    path("import/template.csv", importing.template, name="import-template"),
    path("import/<int:import_id>/", importing.result, name="import-result"),
    path("export/", export.export, name="export"),
    path("exports/<str:token>/", export.job, name="export-job"),
    path("exports/<str:token>/download/", export.download, name="export-download"),
    path("lookups/", export.lookup_stats, name="lookup-stats"),
    path("sanctions/", sanctions.listing_list, name="sanctions"),
    path("sanctions/add/", sanctions.listing_add, name="sanction-add"),
    path("sanctions/entity/<int:organization_id>/", sanctions.entity_section, name="sanctions-entity"),
    path("sanctions/<int:listing_id>/", sanctions.listing_detail, name="sanction-detail"),
    path("sanctions/<int:listing_id>/repair/", sanctions.listing_repair, name="sanction-repair"),
    path("sanctions/<int:listing_id>/review/", sanctions.listing_review, name="sanction-review"),
    # 向社会公示 (no login): the active organization entries with the public-disclosure measure
    path("public/sanctions/", public.sanctions, name="public-sanctions"),
]
