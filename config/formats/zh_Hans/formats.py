"""Django's Simplified Chinese formats, with money grouped by thousands as financial papers
write it (2,600.00 元): Django's own leave the separator empty and group by four.

Grouping shows only where a template asks for it (``floatformat:"2g"``);
``USE_THOUSAND_SEPARATOR`` stays off, so years and ids never get commas.
"""

from django.conf.locale.zh_Hans.formats import *  # noqa: F403

THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
