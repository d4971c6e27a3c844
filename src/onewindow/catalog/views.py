"""Catalog pages (placeholder until the catalog views land in this session)."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def search(request: HttpRequest) -> HttpResponse:
    return render(request, "home.html")
