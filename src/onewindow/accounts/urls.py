from django.contrib.auth import views as auth_views
from django.urls import path

from . import privacy_views, session_views, views

app_name = "accounts"
urlpatterns = [
    path("login/", auth_views.LoginView.as_view(template_name="accounts/login.html"), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("2fa/enrol/", views.otp_enrol, name="otp-enrol"),
    path("2fa/verify/", views.otp_verify, name="otp-verify"),
    path("2fa/recovery/", views.otp_recovery_codes, name="otp-recovery"),
    path("2fa/grant/", views.otp_enrolment_grant, name="otp-grant"),
    path("reauth/", session_views.reauth, name="reauth"),
    path("me/access-log/", privacy_views.access_log, name="access-log"),
]
