"""Pages of case handling: ``apply`` (applicants: form, drafts, uploads, my cases, public query,
kiosk receipt) and ``staff`` (inbox, detail, actions, review queue). Each module defines its
own ``urlpatterns``; ``cases/urls.py`` joins them."""
