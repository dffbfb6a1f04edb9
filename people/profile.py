"""Settings that apps above people add to a person's profile page.

The profile page belongs here, with the person it shows; which emails a person
gets belongs to mailings, which sits above and may not be imported from here.
So an app registers its settings (a form, the template showing its fields, and
how to save it) from its ``AppConfig.ready()``, and the page shows them in its
one form and saves them all in one transaction.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django import forms

from people.models import User


@dataclass(frozen=True)
class ProfileSettings:
    """One app's part of the profile page.

    ``form(user, data)`` builds the form, bound when ``data`` is given; its field
    names must not clash with another part's. ``template`` shows it (``form`` in
    its context); ``save(user, form)`` stores a valid form.
    """

    key: str
    template: str
    form: Callable[[User, object], forms.Form]
    save: Callable[[User, forms.Form], None]


_REGISTERED: dict[str, ProfileSettings] = {}


def profile_settings_register(settings: ProfileSettings) -> ProfileSettings:
    """Add ``settings`` to the profile page (once, however often the app registers it)."""
    _REGISTERED[settings.key] = settings
    return settings


def profile_settings() -> list[ProfileSettings]:
    """Every app's part of the profile page, in the order the apps registered them."""
    return list(_REGISTERED.values())
