from django.urls import path

from . import accounts

app_name = "accounts"

urlpatterns = [
    path("", accounts.user_list, name="users"),
    path("new/", accounts.user_create, name="create"),
    path("<int:pk>/", accounts.user_edit, name="edit"),
    path("<int:pk>/invite/", accounts.invite, name="invite"),
    path("<int:pk>/two-factor-reset/", accounts.two_factor_reset, name="two_factor_reset"),
]
