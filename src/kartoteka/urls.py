from django.urls import include, path, re_path

from kartoteka.core import views as core_views
from kartoteka.core.rest.errors import not_found
from kartoteka.home import views as home_views

urlpatterns = [
    path("", home_views.home, name="home"),
    path("health/", core_views.health, name="health"),
    # Before the pages' includes, which have no prefix: Django tries every pattern of each
    # include that fails and lists them all, so an API call reached last paid for all of them.
    path("api/v1/", include("kartoteka.api.urls")),
    path("", include("kartoteka.accounts.urls")),
    path("", include("kartoteka.core.urls")),
    path("", include("kartoteka.records.urls")),
    path("", include("kartoteka.clients.urls")),
    path("", include("kartoteka.activities.urls")),
    # Last: whatever else is asked under /api/ (another version, no endpoint, an id that is no
    # id) is the API's JSON 404, like a missing record, whether DEBUG is on or off.
    re_path(r"^api(?:/|$)", not_found),
]

# An error outside the API's views (a middleware, say) still answers the API's clients in JSON.
handler500 = "kartoteka.core.rest.errors.server_error"
