"""The project's URLs plus a scratch API with the house error handlers, to test the conventions
on operations that no app has to provide (a body to validate, an operation that fails)."""

from __future__ import annotations

from django.http import Http404, HttpRequest
from django.urls import path
from django.utils.translation import gettext_lazy as _
from ninja import NinjaAPI, Schema
from pydantic import Field

from onewindow.config.api import install_error_handlers
from onewindow.config.urls import urlpatterns as project_urlpatterns
from onewindow.core.errors import Conflict

scratch = NinjaAPI(title="scratch", urls_namespace="api-scratch", docs_url=None)
install_error_handlers(scratch)


class EchoIn(Schema):
    name: str = Field(min_length=2, max_length=5)
    count: int = Field(ge=0)


@scratch.post("/echo")
def echo(request: HttpRequest, payload: EchoIn) -> dict[str, object]:
    return {"name": payload.name, "count": payload.count}


@scratch.get("/boom")
def boom(request: HttpRequest) -> dict[str, object]:
    raise RuntimeError("secret-internal-detail /etc/passwd")


@scratch.get("/gone")
def gone(request: HttpRequest) -> dict[str, object]:
    raise Http404("no such thing (internal detail)")


@scratch.get("/refuse")
def refuse(request: HttpRequest) -> dict[str, object]:
    raise Conflict(_("请求过于频繁，请稍后再试。"), code="scratch_conflict",
                   fields={"count": [_("此项为必填项。")]})


urlpatterns = [path("api/scratch/", scratch.urls), *project_urlpatterns]
