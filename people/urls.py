from django.urls import path

from people import views

app_name = "people"

urlpatterns = [
    path("accounts/login/", views.login_view, name="login"),
    path("accounts/logout/", views.logout_view, name="logout"),
    path("accounts/profile/", views.profile, name="profile"),
    path("i18n/setlang/", views.set_language_view, name="set_language"),
]
