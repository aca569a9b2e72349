from django.urls import path

from funia.search import views

urlpatterns = [path("search/", views.search, name="search")]
