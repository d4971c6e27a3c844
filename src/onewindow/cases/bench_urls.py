"""Bare views of the cases benchmarks (issue #17): the same writes or reads as a hot path, in raw SQL, one
transaction — the ceiling the path is measured against. Mounted only by the bench settings profile
(config/bench_urls.py, under /bench/bare/cases/)."""

from __future__ import annotations

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
