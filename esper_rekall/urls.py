"""URLs of the result viewer, included by the project under ``/viewer/`` (namespace ``esper_rekall_viewer``)."""

from django.urls import path

from . import views

app_name = "esper_rekall_viewer"

urlpatterns = [
    path("", views.collection_list, name="collections"),
    path("<int:collection_id>/", views.collection_page, name="collection"),
    path("<int:collection_id>/page.json", views.collection_page_json, name="page_json"),
    path("<int:collection_id>/interval.json", views.interval_json, name="interval_json"),
    path("media/<int:video_id>/", views.video_media, name="media"),
]
