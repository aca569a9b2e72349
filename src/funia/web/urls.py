from django.contrib.auth import views as auth_views
from django.urls import path

from funia.core import views as core_views
from funia.web import saved_views, views

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("organization/switch/", views.switch_organization, name="switch_organization"),
    path("profile/", views.profile, name="profile"),
    path("language/", views.set_language, name="set_language"),
    path("views/save/", saved_views.saved_view_save, name="saved_view_save"),
    path("views/<id:pk>/delete/", saved_views.saved_view_delete, name="saved_view_delete"),
    path(".well-known/security.txt", views.security_txt, name="security_txt"),
    path("settings/organization/", core_views.organization_settings, name="organization_settings"),
    path("settings/users/", core_views.user_list, name="user_list"),
    path("settings/users/new/", core_views.user_create, name="user_create"),
    path("settings/users/<id:user_id>/", core_views.user_edit, name="user_edit"),
    path("teams/", core_views.team_list, name="team_list"),
    path("teams/new/", core_views.team_form, name="team_create"),
    path("teams/<id:team_id>/", core_views.team_detail, name="team_detail"),
    path("teams/<id:team_id>/edit/", core_views.team_form, name="team_edit"),
    path("teams/<id:team_id>/delete/", core_views.team_delete, name="team_delete"),
    path("teams/<id:team_id>/restore/", core_views.team_restore, name="team_restore"),
    path("settings/tokens/", core_views.token_list, name="token_list"),
    path("settings/tokens/<id:token_id>/revoke/", core_views.token_revoke, name="token_revoke"),
]
