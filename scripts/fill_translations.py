"""Fill locale/zh_Hans/LC_MESSAGES/django.po from scripts/translations/ (see there)."""

import sys
from pathlib import Path

import polib

sys.path.insert(0, str(Path(__file__).parent))
from translations import ZH_HANS

PO_FILE = Path(__file__).resolve().parent.parent / "locale/zh_Hans/LC_MESSAGES/django.po"


def main() -> int:
    po = polib.pofile(str(PO_FILE))
    po.metadata["Language"] = "zh_Hans"
    po.metadata["Plural-Forms"] = "nplurals=1; plural=0;"
    po.metadata["Content-Type"] = "text/plain; charset=UTF-8"
    missing = []
    for entry in po:
        # A string with a context (pgettext) is keyed "context|msgid".
        key = f"{entry.msgctxt}|{entry.msgid}" if entry.msgctxt else entry.msgid
        text = ZH_HANS.get(key)
        if text is None:
            missing.append(entry.msgid)
            continue
        if entry.msgid_plural:
            entry.msgstr_plural = {0: text}
        else:
            entry.msgstr = text
        if "fuzzy" in entry.flags:
            entry.flags.remove("fuzzy")
    po.save()
    for msgid in missing:
        print(f"untranslated: {msgid!r}", file=sys.stderr)
    # Compile anyway so the pages work while translating; tests/test_translations.py
    # fails until every string has its Chinese.
    return 0


if __name__ == "__main__":
    sys.exit(main())
