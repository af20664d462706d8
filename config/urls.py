from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from procedures.views.entries import home

urlpatterns = [
    path("", home, name="home"),
    path("entries/", include("procedures.urls")),
    path("", include("curriculum.urls")),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
]
