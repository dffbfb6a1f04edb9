"""Chinese for the parts of Django admin that other libraries draw.

django-axes (the sign-in records) ships no Chinese; Django 5.2's own Chinese lacks a few
newer admin strings; the apps' names in admin's menu come from their AppConfig, which some
libraries do not mark for translation. The strings below are the libraries' own, marked here
so `make messages` carries them into our catalogue, which Django reads before the libraries'
(LOCALE_PATHS comes first): nothing of the libraries is patched but their apps' menu names.
"""

from django.apps import apps
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

# django-axes: its models, fields and admin filters.
AXES = [
    gettext_noop("Access Attempt"),
    gettext_noop("Access lock out"),
    gettext_noop("Attempt Remaining"),
    gettext_noop("Attempt Time"),
    gettext_noop("Clean up expired attempts"),
    gettext_noop("Expires At"),
    gettext_noop("Failed Logins"),
    gettext_noop("Form Data"),
    gettext_noop("GET Data"),
    gettext_noop("HTTP Accept"),
    gettext_noop("IP Address"),
    gettext_noop("Locked Out"),
    gettext_noop("Logout Time"),
    gettext_noop("Meta Data"),
    gettext_noop("Not set"),
    gettext_noop("POST Data"),
    gettext_noop("Path"),
    gettext_noop("Session key hash (sha256)"),
    gettext_noop("The time when access attempt expires and is no longer valid."),
    gettext_noop("User Agent"),
    gettext_noop("Username"),
    gettext_noop("access attempt expiration"),
    gettext_noop("access attempt expirations"),
    gettext_noop("access attempt"),
    gettext_noop("access attempts"),
    gettext_noop("access failure"),
    gettext_noop("access failures"),
    gettext_noop("access log"),
    gettext_noop("access logs"),
]

# Django admin's screen-reader headings of the index's tables (new in Django 5.1).
ADMIN = [
    gettext_noop("Model name"),
    gettext_noop("Add link"),
    gettext_noop("Change or view list link"),
]


def foreign_app_names() -> dict[str, str]:
    """Admin's menu heading for each library app that has models, in the reader's language."""
    return {
        "axes": _("Sign-in records"),
        "otp_totp": _("Authenticator apps"),
        "otp_static": _("Recovery codes"),
        "pghistory": _("Change history"),
    }


def foreign_model_names() -> dict[str, tuple[str, str]]:
    """Names of library models whose own are plain English (not marked for translation)."""
    return {
        "otp_totp.totpdevice": (_("authenticator app"), _("authenticator apps")),
        "otp_static.staticdevice": (_("set of recovery codes"), _("sets of recovery codes")),
        "otp_static.statictoken": (_("recovery code"), _("recovery codes")),
    }


def foreign_field_names() -> dict[str, str]:
    """Labels of library model fields whose own are plain English (django-otp's devices)."""
    device = {
        "user": _("account"),
        "name": _("name"),
        "confirmed": _("confirmed"),
        "created_at": _("added at"),
        "last_used_at": _("last used at"),
        "throttling_failure_timestamp": _("last failed attempt at"),
        "throttling_failure_count": _("failed attempts in a row"),
    }
    totp = {
        "key": _("secret key"),
        "step": _("time step"),
        "t0": _("start time"),
        "digits": _("digits"),
        "tolerance": _("tolerance"),
        "drift": _("clock drift"),
        "last_t": _("last time step used"),
    }
    return {
        **{f"otp_totp.totpdevice.{field}": label for field, label in {**device, **totp}.items()},
        **{f"otp_static.staticdevice.{field}": label for field, label in device.items()},
        "otp_static.statictoken.device": _("set of recovery codes"),
        "otp_static.statictoken.token": _("recovery code"),
    }


def foreign_help_texts() -> dict[str, str]:
    """Help texts of django-otp's device fields, by field name, in the reader's language."""
    return {
        "user": _("The account this device belongs to."),
        "name": _("A name that helps the person tell their devices apart."),
        "confirmed": _("Whether the device is ready for use."),
        "created_at": _("When the device was added."),
        "last_used_at": _("When the device was last used to sign in."),
        "throttling_failure_timestamp": _(
            "When a code from this device was last refused; empty if the last one was accepted."
        ),
        "throttling_failure_count": _("How many codes in a row were refused."),
        "key": _("The shared secret, in hexadecimal, of up to 40 bytes."),
        "step": _("How many seconds each code lasts."),
        "t0": _("The Unix time from which time steps are counted."),
        "digits": _("How many digits a code has."),
        "tolerance": _("How many time steps before or after now a code may come from."),
        "drift": _("How many time steps the device's clock is known to be off."),
        "last_t": _("The time step of the last accepted code; the next must be later."),
    }


def name_foreign_apps() -> None:
    """Give the libraries' apps and models names a caseworker reads (called once, from
    PeopleConfig.ready).

    A model's names are set on its options, not its declared Meta (``original_attrs``), which is
    what migrations compare, so no migration of the library's changes. Help texts are part of a
    field's deconstruction, so those are given by the admin pages instead (people/admin.py).
    """
    for label, name in foreign_app_names().items():
        config = apps.app_configs.get(label)
        if config is not None:
            config.verbose_name = name
    for dotted, (one, many) in foreign_model_names().items():
        app_label, model_name = dotted.split(".")
        config = apps.app_configs.get(app_label)
        if config is None:
            continue
        options = config.get_model(model_name)._meta
        options.verbose_name, options.verbose_name_plural = one, many
    for dotted, label in foreign_field_names().items():
        app_label, model_name, field_name = dotted.split(".")
        config = apps.app_configs.get(app_label)
        if config is None:
            continue
        # A field deconstructs from its declared name (_verbose_name), so no migration either.
        config.get_model(model_name)._meta.get_field(field_name).verbose_name = label
