from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from agencies import accounts, onboarding
from agencies import views as agency_views

from .forms import LoginForm

urlpatterns = [
    path("", agency_views.home, name="home"),
    path("agencies/", include("agencies.urls")),
    path("qms/", include("migrations_tracker.urls")),
    path("inspections/", include("inspections.urls")),
    path("notifications/", include("notifications.urls")),
    path("audit/", include("audit.urls")),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(
            authentication_form=LoginForm, redirect_authenticated_user=True, http_method_names=["get", "head", "post"]
        ),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password/", accounts.PasswordChangeView.as_view(), name="password_change"),
    path(
        "accounts/password/done/",
        auth_views.PasswordChangeDoneView.as_view(http_method_names=["get", "head"]),
        name="password_change_done",
    ),
    path("accounts/two-factor/", accounts.two_factor, name="two_factor"),
    path("accounts/two-factor/verify/", accounts.two_factor_verify, name="two_factor_verify"),
    path("accounts/users/", include("agencies.account_urls")),
    # A province joining the deployment: the site administrator adds it, its DOST follows the checklist.
    path("accounts/provinces/", onboarding.province_list, name="provinces"),
    path("accounts/provinces/new/", onboarding.province_create, name="province_create"),
    path("accounts/onboarding/", onboarding.onboarding, name="onboarding"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]

# While the database cannot be reached: 503 with Retry-After and a short page (iso_tracker/errors.py).
handler500 = "iso_tracker.errors.server_error"
