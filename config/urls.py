from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponsePermanentRedirect
from django.templatetags.static import static
from django.urls import include, path, register_converter
from django.views.generic import TemplateView

from accounts.views import email_settings
from config.converters import IdConverter
from config.health import healthz
from config.offline import service_worker
from curriculum.home import home

register_converter(IdConverter, "id")


@login_not_required
def favicon(request):
    """Browsers ask for /favicon.ico on pages that name no icon (the admin's)."""
    return HttpResponsePermanentRedirect(static("img/favicon.svg"))


urlpatterns = [
    path("", home, name="home"),
    # A page with the base template and no data: the benchmark's baseline.
    path("about/", TemplateView.as_view(template_name="about.html"), name="about"),
    path("entries/", include("procedures.urls")),
    path("", include("curriculum.urls")),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/email/", email_settings, name="email_settings"),
    path("admin/", admin.site.urls),
    # Browsers ask for /favicon.ico on pages that name no icon (the admin's).
    path("favicon.ico", favicon),
    # Load balancers and monitors (config.health). No trailing slash, as they are written.
    path("healthz", healthz, name="healthz"),
    # The offline worker (config.offline): at the root, so that it may serve every page.
    path("sw.js", service_worker, name="service_worker"),
]

handler500 = "config.errors.server_error"
