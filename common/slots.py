"""Page slots: where an app higher in the layers adds a section to a page of an app below it.

The file page (hardship) shows the household's visits and aid, and the campaign
page (visits) leads to its money and reports, yet hardship must not import
visits or funds, and visits must not import funds: imports point down the
layers only (pyproject.toml's contracts). So the lower app declares a slot
where its page has room, an app above fills it from its ``AppConfig.ready()``,
and the page asks the slot for its sections and includes each one's template.

    FILE_PAGE = PageSlot("file page")                       # hardship/slots.py

    @FILE_PAGE.fill(order=20)                               # funds/sections.py
    def aid_section(*, file, user) -> Section | None: ...

    sections = FILE_PAGE.sections(file=file, user=user)     # hardship/views/files.py
    {% for section in sections %}{% section section %}{% endfor %}
"""

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Section:
    """A template to include, and the context it needs beside the page's own."""

    template: str
    context: dict = field(default_factory=dict)


class PageSlot:
    """A named place on a page that other apps fill with sections, in the order they ask for."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._fillers: list[tuple[int, Callable[..., Section | None]]] = []

    def __repr__(self) -> str:
        return f"PageSlot({self.name!r})"

    def fill(self, *, order: int = 100) -> Callable:
        """Register a function that returns this slot's section for a page, or None for none."""

        def register(filler: Callable[..., Section | None]) -> Callable[..., Section | None]:
            if all(existing is not filler for _order, existing in self._fillers):
                self._fillers.append((order, filler))
                self._fillers.sort(key=lambda pair: pair[0])
            return filler

        return register

    def sections(self, **page) -> list[Section]:
        """The sections for one page, each filler called with the page's keyword arguments."""
        return [section for _order, filler in self._fillers if (section := filler(**page))]
