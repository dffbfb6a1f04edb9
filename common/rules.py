"""One copy of each rule: the predicate a page asks to offer an action is the one its service
asks to allow it.

    def may_approve_file(user, file) -> Decision:           # hardship/rules... services
        if not has_any_role(user, Role.APPROVER):
            return refuse(_("Only an approver may do this."), denied=True)
        if file.status != FileStatus.VERIFIED:
            return refuse(_("…"))
        return ALLOWED

    "approve": may_approve_file(user, file),                # the page: {% if allowed.approve %}
    may_approve_file(by, file).enforce()                    # the service: raises if refused

A ``Decision`` is true when the action is allowed, and otherwise says why, so the
service's refusal and the page's silence can never disagree.
"""

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied

from common.errors import RuleBroken


@dataclass(frozen=True)
class Decision:
    """Whether someone may do something now; when not, why, and whether it is who they are
    (``denied``: a role or a branch, PermissionDenied) or the state of things (RuleBroken)."""

    allowed: bool
    reason: str = ""
    denied: bool = False

    def __bool__(self) -> bool:
        return self.allowed

    def enforce(self) -> None:
        """Raise the refusal (PermissionDenied or RuleBroken) unless the action is allowed."""
        if self.allowed:
            return
        if self.denied:
            raise PermissionDenied(self.reason)
        raise RuleBroken(self.reason)


ALLOWED = Decision(True)


def refuse(reason: str, *, denied: bool = False) -> Decision:
    """A refusal saying ``reason``; ``denied`` when it is about who is asking."""
    return Decision(False, str(reason), denied)
