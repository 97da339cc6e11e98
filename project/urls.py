"""Project URLs: the admin at ``/admin/`` and login/logout at ``/accounts/``."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
]
