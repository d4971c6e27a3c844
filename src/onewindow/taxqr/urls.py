from django.urls import path
from django.views.generic import RedirectView

from . import views

app_name = "taxqr"
urlpatterns = [
    path("", RedirectView.as_view(pattern_name="taxqr:client"), name="index"),
    path("client/", views.client_list, name="client"),
    path("client/new/", views.client_form, name="client-new"),
    path("client/streets/", views.streets, name="client-streets"),
    path("client/<int:draft_id>/", views.client_form, name="client-edit"),
    path("client/<int:draft_id>/code/", views.client_code, name="client-code"),
    path("client/<int:draft_id>/code/<int:index>.png", views.client_code_png, name="client-code-png"),
    path("window/", views.window, name="window"),
    path("records/", views.record_list, name="records"),
    path("records/<int:record_id>/", views.record_detail, name="record-detail"),
    path("records/<int:record_id>/correct/", views.record_correct, name="record-correct"),
    path("records/<int:record_id>/sheet.pdf", views.record_sheet, name="record-sheet"),
    path("summary/", views.summary, name="summary"),
    path("analysis/", views.analysis, name="analysis"),
]
