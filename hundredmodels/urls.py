from django.contrib import admin
from django.urls import include, path

from claims.health import health

urlpatterns = [
    path("health/", health, name="health"),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("claims.urls")),
]
