from django.contrib import admin
from django.urls import include, path

from onewindow.accounts import views as account_views
from onewindow.core import views as core_views

from . import views as shell_views
from .api import api

urlpatterns = [
    # First: the API's requests are the busiest (device polls, kiosks, searches), and Django tries the
    # patterns in order — placed last, each API request first failed the ~20 prefixes above it (issue
    # #17 profile: URL resolution was 12 % of a bearer request). No other prefix overlaps "api/v1/".
    path("api/v1/", api.urls),
    path("", shell_views.home, name="home"),
    path("manage/", shell_views.manage_home, name="manage-home"),
    path("healthz", core_views.healthz, name="healthz"),
    path("display/elderly", core_views.toggle_elderly_mode, name="toggle-elderly"),
    # The language switch stores a logged-in user's choice (accounts); it replaces Django's own
    # django.conf.urls.i18n, which holds only this view.
    path("i18n/setlang/", account_views.set_language, name="set_language"),
    path("accounts/", include("onewindow.accounts.urls")),
    path("catalog/", include("onewindow.catalog.urls")),
    path("tax/", include("onewindow.taxqr.urls")),
    path("messages/", include("onewindow.notifications.urls")),
    path("cases/", include("onewindow.cases.urls")),
    path("centers/", include("onewindow.centers.urls")),
    path("ratings/", include("onewindow.ratings.urls")),
    path("market/", include("onewindow.market.urls")),
    path("sharing/", include("onewindow.sharing.urls")),
    path("supervision/", include("onewindow.supervision.urls")),
    path("analytics/", include("onewindow.analytics.urls")),
    path("training/", include("onewindow.training.urls")),
    path("staffing/", include("onewindow.staffing.urls")),
    path("bigscreen/", include("onewindow.bigscreen.urls")),
    path("interaction/", include("onewindow.interaction.urls")),
    path("admin/", admin.site.urls),
]

handler400 = "onewindow.config.views.bad_request"
