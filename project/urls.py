"""Project URLs: the admin at ``/admin/``, login/logout at ``/accounts/``, the result viewer at ``/viewer/``."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("viewer/", include("esper_rekall.urls")),
]
