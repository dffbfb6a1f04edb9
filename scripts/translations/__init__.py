"""The Simplified Chinese UI text, by English source string, one module per area.

`make messages` extracts the source strings into locale/zh_Hans/.../django.po
and fills every msgstr from ZH_HANS (scripts/fill_translations.py), then
compiles the .mo. A source string missing here is left empty and
tests/test_translations.py fails on it, so no UI string ships untranslated.
"""

from importlib import import_module
from pathlib import Path

ZH_HANS: dict[str, str] = {}
for _module in sorted(Path(__file__).parent.glob("*.py")):
    if _module.stem != "__init__":
        ZH_HANS.update(import_module(f"{__name__}.{_module.stem}").ZH_HANS)
