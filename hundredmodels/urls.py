from django.contrib import admin
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt
from django.views.i18n import set_language

from claims.health import health

urlpatterns = [
    path("health/", health, name="health"),
    path("admin/", admin.site.urls),
    # The language switch sits on cached public pages, which carry no per-visitor CSRF token; the
    # only thing a forged request could do is change the visitor's language.
    path("i18n/setlang/", csrf_exempt(set_language), name="set_language"),
    path("", include("claims.api.urls")),  # open data: /api/, /annotations/, /claimreview.json, /data/
    path("", include("claims.urls")),
]
