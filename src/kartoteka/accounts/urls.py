from django.urls import path

from kartoteka.accounts import views

app_name = "accounts"

urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("login/language/<str:code>/", views.set_language, name="set-language"),
    path("logout/", views.logout_view, name="logout"),
    path("profile/", views.profile, name="profile"),
    path("profile/density/", views.density, name="density"),
    path("profile/tokens/<int:pk>/revoke/", views.token_revoke, name="token-revoke"),
    path("settings/", views.settings_home, name="settings"),
    path("settings/users/", views.user_list, name="user-list"),
    path("settings/users/new/", views.user_form, name="user-create"),
    path("settings/users/<int:pk>/", views.user_form, name="user-edit"),
    path("settings/roles/", views.role_list, name="role-list"),
    path("settings/roles/new/", views.role_form, name="role-create"),
    path("settings/roles/<int:pk>/", views.role_form, name="role-edit"),
    path("settings/branches/", views.branch_list, name="branch-list"),
]
