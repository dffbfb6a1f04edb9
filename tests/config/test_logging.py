"""LOG_FORMAT=json: one JSON object a line, Chinese as it is."""

import json
import logging

from django.conf import settings
from django.utils.module_loading import import_string


def test_the_json_format_writes_one_object_a_line_with_extra_fields():
    options = dict(settings.LOGGING["formatters"]["json"])
    factory = import_string(options.pop("()"))
    formatter = factory(options.pop("format"), **options)
    record = logging.LogRecord(
        "warmth.jobs", logging.WARNING, __file__, 1, "走访 %s", ("完成",), None
    )
    record.job = 7

    line = formatter.format(record)

    assert json.loads(line) | {"time": None} == {
        "time": None,
        "level": "WARNING",
        "logger": "warmth.jobs",
        "message": "走访 完成",
        "job": 7,
    }
    assert "走访" in line
