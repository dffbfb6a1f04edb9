from django.urls import path

from people import views

app_name = "people"

urlpatterns = [
    path("accounts/login/", views.login_view, name="login"),
    path("accounts/logout/", views.logout_view, name="logout"),
    path("accounts/second-factor/", views.second_factor, name="second_factor"),
    path("accounts/profile/", views.profile, name="profile"),
    path("accounts/password/", views.password_change, name="password_change"),
    path("accounts/password-link/<uidb64>/<token>/", views.password_link, name="password_link"),
    path("i18n/setlang/", views.set_language_view, name="set_language"),
]
