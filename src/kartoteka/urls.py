from django.urls import include, path

from kartoteka.core import views as core_views

urlpatterns = [
    path("", core_views.home, name="home"),
    path("health/", core_views.health, name="health"),
    path("", include("kartoteka.accounts.urls")),
    path("", include("kartoteka.core.urls")),
    path("", include("kartoteka.clients.urls")),
    path("api/v1/", include("kartoteka.api.urls")),
]

# An error outside the API's views (a middleware, say) still answers the API's clients in JSON.
handler500 = "kartoteka.api.errors.server_error"
