from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from agencies import accounts, onboarding, sso, tokens
from agencies import views as agency_views
from agencies.invitations import InvitationAcceptView

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
        sso.LoginView.as_view(
            authentication_form=LoginForm, redirect_authenticated_user=True, http_method_names=["get", "head", "post"]
        ),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    # Single sign-on with the province's OpenID Connect provider (agencies.sso; 404 unless OIDC_ENABLED).
    path("accounts/sso/start/", sso.start, name="sso_start"),
    path("accounts/sso/callback/", sso.callback, name="sso_callback"),
    path("accounts/password/", accounts.PasswordChangeView.as_view(), name="password_change"),
    path(
        "accounts/password/done/",
        auth_views.PasswordChangeDoneView.as_view(http_method_names=["get", "head"]),
        name="password_change_done",
    ),
    # An invitation's one-time link: the invited person chooses a password (agencies.invitations).
    path("accounts/invitation/<str:uidb64>/<str:token>/", InvitationAcceptView.as_view(), name="invitation"),
    path("accounts/two-factor/", accounts.two_factor, name="two_factor"),
    path("accounts/two-factor/verify/", accounts.two_factor_verify, name="two_factor_verify"),
    path("accounts/users/", include("agencies.account_urls")),
    # Personal API tokens (issue 18): made, seen once and revoked by their owner.
    path("accounts/tokens/", tokens.token_list, name="tokens"),
    path("accounts/tokens/<int:pk>/revoke/", tokens.token_revoke, name="token_revoke"),
    # A province joining the deployment: the site administrator adds it, its DOST follows the checklist.
    path("accounts/provinces/", onboarding.province_list, name="provinces"),
    path("accounts/provinces/new/", onboarding.province_create, name="province_create"),
    path("accounts/onboarding/", onboarding.onboarding, name="onboarding"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/", include("iso_tracker.api.urls")),
    path("admin/", admin.site.urls),
]

# While the database cannot be reached: 503 with Retry-After and a short page (iso_tracker/errors.py).
handler500 = "iso_tracker.errors.server_error"
