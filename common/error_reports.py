"""Error reports (emails to admins, logs) that carry no personal data sent in a form."""

import re

from django.views.debug import SafeExceptionReporterFilter

# Form fields that carry personal data or secrets, whatever their formset prefix
# (``members-0-id_number``): hidden even from a view someone forgot to mark.
SENSITIVE_FIELD = re.compile(r"id_number|bank_account|phone|password|passw|secret|token|otp", re.I)


class PersonalDataReporterFilter(SafeExceptionReporterFilter):
    """Django's filter, completed for personal data.

    - POST values whose name looks sensitive are hidden on every request.
    - ``sensitive_post_parameters()`` without names ("all") hides every value,
      including copies of ``request.POST`` held in the traceback's frames, which
      Django's own filter leaves readable.
    - On a request so marked, the frames' local variables are hidden too: the
      posted values travel on into cleaned data, dataclasses and model rows
      that no list of names could follow.
    """

    def _hidden(self, request, name: str) -> bool:
        marked = getattr(request, "sensitive_post_parameters", [])
        return marked == "__ALL__" or name in marked or bool(SENSITIVE_FIELD.search(name))

    def get_cleansed_multivaluedict(self, request, multivaluedict):
        if not self.is_active(request):
            return multivaluedict
        cleansed = multivaluedict.copy()
        for name in cleansed:
            if self._hidden(request, name):
                cleansed[name] = self.cleansed_substitute
        return cleansed

    def get_post_parameters(self, request):
        if request is None:
            return {}
        return self.get_cleansed_multivaluedict(request, request.POST)

    def get_traceback_frame_variables(self, request, tb_frame):
        if self.is_active(request) and getattr(request, "sensitive_post_parameters", None):
            return [(name, self.cleansed_substitute) for name in tb_frame.f_locals]
        return super().get_traceback_frame_variables(request, tb_frame)
