"""Every button of the funds pages is offered exactly when its service accepts the action.

Each action (tests/actions.py) is tried on a record in a state where it applies, and for
most also in one where it does not, by everyone who could meet that record: the
caseworker who proposed the payment, an approver of the paying unit (武汉), an approver of
the unit below it (江岸) and above it (湖北), another caseworker of the unit, a viewer, a
unit administrator, and a caseworker of a sibling branch (湖南). The page and the service
ask one predicate of funds/selectors.py, so they must agree every time.
"""

import io
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cached_property

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from funds.bank import (
    bank_file_download,
    bank_line_reissue,
    bank_line_to_cash,
    bank_results_import,
    bank_run_make,
)
from funds.batches import batch_approve, batch_propose, batch_reject
from funds.choices import FundKind, PaymentMethod, Purpose, ReceiptSource
from funds.models import Allocation, BankPaymentLine, Fund, Receipt
from funds.rosters import (
    NOT_ON_A_LIST,
    fund_statement_request,
    roster_for,
    roster_lines,
    roster_lines_sign,
    roster_print_request,
    roster_scan_upload,
    roster_teams_sign,
)
from funds.selectors import funds_for_batch, funds_for_payment, funds_visible_to
from funds.services import (
    DisbursementInput,
    allocation_confirm_receipt,
    allocation_make,
    budget_set,
    budget_split,
    disbursement_approve,
    disbursement_cancel,
    disbursement_pay,
    disbursement_propose,
    disbursement_reject,
    fund_create,
    ledger_correct,
    receipt_record,
)
from people.models import UnionUnit, User
from tests.actions import ActionCase, assert_button_matches_service, offered
from tests.factories import UserFactory, make_id_number, open_file
from tests.visits.test_visits import pdf_bytes
from visits.campaigns import campaign_create, visit_list_approve, visit_lists_build
from visits.models import Campaign, VisitList

pytestmark = pytest.mark.django_db


# ====================================================================== the people


def _person(username: str, unit: UnionUnit, **roles) -> User:
    # No password: the harness signs in with force_login, and hashing one takes time.
    return UserFactory(username=username, unit=unit, password=None, **roles)


@pytest.fixture
def caseworker(tree) -> User:
    """The caseworker of 武汉 who proposes the payments and batches."""
    return _person("wuhan.cw", tree.wuhan)


@pytest.fixture
def approver(tree) -> User:
    """An approver of 武汉, the unit that pays (and who approves in the arranged states)."""
    return _person("wuhan.ap", tree.wuhan, is_caseworker=False, is_approver=True)


PROPOSER = "the proposer"
APPROVER = "an approver of the paying unit"
BELOW = "an approver of the unit below"
ABOVE = "an approver of the unit above"
COLLEAGUE = "another caseworker of the unit"
VIEWER = "a viewer"
UNIT_ADMIN = "a unit administrator"
SIBLING = "a caseworker of a sibling branch"

PEOPLE = {
    PROPOSER: lambda tree, setting: setting.caseworker,
    APPROVER: lambda tree, setting: setting.approver,
    BELOW: lambda tree, setting: _person(
        "jiangan.ap", tree.jiangan, is_caseworker=False, is_approver=True
    ),
    ABOVE: lambda tree, setting: _person(
        "hubei.ap", tree.hubei, is_caseworker=False, is_approver=True
    ),
    COLLEAGUE: lambda tree, setting: _person("wuhan.cw2", tree.wuhan),
    VIEWER: lambda tree, setting: _person(
        "wuhan.viewer", tree.wuhan, is_caseworker=False, is_viewer=True
    ),
    UNIT_ADMIN: lambda tree, setting: _person(
        "wuhan.admin", tree.wuhan, is_caseworker=False, is_unit_admin=True
    ),
    SIBLING: lambda tree, setting: _person("hunan.cw", tree.hunan),
}
NOBODY: frozenset[str] = frozenset()
DECIDERS = frozenset({APPROVER, ABOVE})  # approvers of the paying unit 武汉, or above it
PAYERS = frozenset(
    {PROPOSER, COLLEAGUE, APPROVER, ABOVE}
)  # caseworkers and approvers of 武汉's branch
READERS = PAYERS | {VIEWER, UNIT_ADMIN}  # everyone of 武汉's branch


# ====================================================================== the records


@dataclass(frozen=True)
class Scope:
    """A record named by a campaign and a unit: its visit lists, or its roster."""

    campaign: Campaign
    unit: UnionUnit


class Setting:
    """The records the actions are tried on, each made when first asked for."""

    def __init__(self, request, media) -> None:
        self.fixture = request.getfixturevalue
        self.media = media

    @cached_property
    def tree(self):
        return self.fixture("tree")

    @cached_property
    def caseworker(self) -> User:
        return self.fixture("caseworker")

    @cached_property
    def approver(self) -> User:
        return self.fixture("approver")

    @cached_property
    def city(self) -> Fund:
        """武汉's fund, with 100,000 yuan received."""
        return self.fixture("funded")

    @cached_property
    def district(self) -> Fund:
        """江岸's fund, directly below: where money is allocated, and a fund 江岸 draws on."""
        self.city  # noqa: B018 - the city fund first, as its unit's approvers open it
        return fund_create(
            unit=self.tree.jiangan, name="江岸送温暖资金", kind=FundKind.WARMTH, by=self.approver
        )

    @cached_property
    def winter(self) -> Campaign:
        today = timezone.localdate()
        return campaign_create(
            by=self.approver,
            season="winter",
            year=today.year,
            name="冬送温暖",
            starts_on=today,
            ends_on=today.replace(month=12, day=31),
            organiser=self.tree.wuhan,
            aid_standards={"deep": Decimal("1000"), "relative": Decimal("800")},
        )

    @cached_property
    def family(self):
        """A household on file in 江岸, in the paying unit's branch."""
        return self.fixture("family")


def _today() -> date:
    return timezone.localdate()


def no_record(s: Setting):
    s.district  # noqa: B018 - a fund in the branch, so the list is not empty
    return None


def a_fund_in_use(s: Setting) -> Fund:
    s.district  # noqa: B018 - the fund below, to allocate to
    return s.city


def a_fund_no_longer_in_use(s: Setting) -> Fund:
    fund = a_fund_in_use(s)
    Fund.objects.filter(pk=fund.pk).update(is_active=False)
    fund.refresh_from_db()
    return fund


def a_receipt(s: Setting) -> Receipt:
    return Receipt.objects.select_related("transaction", "fund__unit").get(fund=s.city)


def a_reversed_receipt(s: Setting) -> Receipt:
    ledger_correct(original=a_receipt(s).transaction, by=s.approver, reason="金额录错")
    return a_receipt(s)


def _fresh(allocation: Allocation) -> Allocation:
    return Allocation.objects.select_related("transaction", "from_fund__unit", "to_fund__unit").get(
        pk=allocation.pk
    )


def an_allocation(s: Setting) -> Allocation:
    """20,000 yuan allocated by 武汉 to 江岸, not yet confirmed as arrived."""
    return _fresh(
        allocation_make(
            from_fund=s.city,
            to_fund=s.district,
            amount="20000",
            allocated_on=_today(),
            by=s.approver,
        )
    )


def a_confirmed_allocation(s: Setting) -> Allocation:
    allocation = an_allocation(s)
    allocation_confirm_receipt(allocation=allocation, by=s.approver)
    return _fresh(allocation)


def a_reversed_allocation(s: Setting) -> Allocation:
    allocation = an_allocation(s)
    ledger_correct(original=allocation.transaction, by=s.approver, reason="拨错单位")
    return _fresh(allocation)


def a_campaign(s: Setting) -> Campaign:
    s.district  # noqa: B018 - a fund of 江岸 too, that 江岸's approvers may budget from
    return s.winter


def a_budget(s: Setting):
    return budget_set(
        campaign=s.winter, unit=s.tree.wuhan, fund=s.city, amount="5000", by=s.approver
    )


def a_household_on_file(s: Setting):
    s.district  # noqa: B018 - a fund of 江岸 too, that 江岸's caseworkers may draw on
    return s.family


def an_application(s: Setting):
    """A household not yet on file: 先建档、后帮扶."""
    s.district  # noqa: B018
    return open_file(
        by=s.caseworker, unit=s.tree.jiangan, name="王秀英", id_number=make_id_number(sequence=901)
    )


def a_proposed_payment(s: Setting):
    """800 yuan of visit money for the household, from 武汉's fund, proposed by its caseworker."""
    return disbursement_propose(
        proposal=DisbursementInput(
            file=s.family,
            fund=s.city,
            purpose=Purpose.VISIT_MONEY,
            amount=Decimal("800"),
            campaign=s.winter,
        ),
        by=s.caseworker,
    )


def an_approved_payment(s: Setting):
    return disbursement_approve(disbursement=a_proposed_payment(s), by=s.approver)


def _lists(s: Setting, *, approved: bool) -> Scope:
    s.family  # noqa: B018 - the household the lists hold
    s.district  # noqa: B018 - a fund of 江岸, that its caseworkers may draw on
    visit_lists_build(campaign=s.winter, unit=s.tree.wuhan)
    if approved:
        for visit_list in VisitList.objects.filter(campaign=s.winter):
            visit_list_approve(visit_list=visit_list, by=s.approver)
    return Scope(s.winter, s.tree.jiangan)


def approved_lists(s: Setting) -> Scope:
    return _lists(s, approved=True)


def lists_not_yet_approved(s: Setting) -> Scope:
    return _lists(s, approved=False)


def an_approved_list(s: Setting) -> VisitList:
    approved_lists(s)
    return VisitList.objects.select_related("campaign", "unit").get(unit=s.tree.jiangan)


def a_proposed_batch(s: Setting):
    scope = approved_lists(s)
    return batch_propose(campaign=scope.campaign, unit=scope.unit, fund=s.city, by=s.caseworker)


def an_approved_batch(s: Setting):
    return batch_approve(batch=a_proposed_batch(s), by=s.approver)


def a_batch_to_pay_by_bank(s: Setting):
    """An approved batch whose household has a bank account on file."""
    batch = an_approved_batch(s)
    s.family.bank_account = "6217000000000001"
    s.family.save(update_fields=["bank_account"])
    return batch


def a_batch_sent_to_the_bank(s: Setting):
    batch = a_batch_to_pay_by_bank(s)
    bank_run_make(batch=batch, by=s.caseworker, reason="代发")
    return batch


def a_bank_payment_file(s: Setting):
    return a_batch_sent_to_the_bank(s).bank_runs.get()


def a_failed_bank_line(s: Setting):
    batch = a_batch_sent_to_the_bank(s)
    line = BankPaymentLine.objects.get(disbursement__batch=batch)
    bank_results_import(batch=batch, by=s.caseworker, upload=_bank_result(line, "失败"))
    line.refresh_from_db()
    return line


def _bank_result(line, result: str = "成功") -> SimpleUploadedFile:
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["付款编号", "金额", "结果", "银行流水号", "失败原因"])
    # No line sent yet: a line as the bank would answer one.
    reference, amount = (line.reference, str(line.amount)) if line else ("1-0001", "1000")
    book.active.append([reference, amount, result, "BOC-1", "户名不符"])
    buffer = io.BytesIO()
    book.save(buffer)
    return SimpleUploadedFile("回单.xlsx", buffer.getvalue())


def scan() -> SimpleUploadedFile:
    return SimpleUploadedFile("签领表.pdf", pdf_bytes(), content_type="application/pdf")


def a_roster(s: Setting) -> Scope:
    """武汉's roster of the campaign: one approved payment to sign for."""
    payment = an_approved_payment(s)
    return Scope(payment.campaign, payment.unit)


def a_roster_with_its_scan(s: Setting) -> Scope:
    roster = a_roster(s)
    roster_scan_upload(campaign=roster.campaign, unit=roster.unit, by=s.caseworker, upload=scan())
    return roster


# ====================================================================== the actions


def _fund_page(fund: Fund) -> str:
    return fund.get_absolute_url()


def _roster_page(roster: Scope) -> str:
    return reverse("funds:roster_detail", args=[roster.campaign.pk, roster.unit.pk])


def _team_page(roster: Scope) -> str:
    """The sheets of the roster's one team: its payment's household is on no visit list."""
    return reverse("funds:roster_team", args=[roster.campaign.pk, roster.unit.pk, NOT_ON_A_LIST])


def _first(queryset):
    # Else 武汉's fund (the first opened), which the person is then refused.
    return queryset.first() or Fund.objects.order_by("pk").first()


OPEN_FUND = ActionCase(
    "new-fund",
    page=lambda _none: reverse("funds:fund_list"),
    attempt=lambda _none, user: fund_create(
        unit=user.unit, name="新开的资金", kind=FundKind.WARMTH, by=user
    ),
)
RECORD_RECEIPT = ActionCase(
    "record-receipt",
    page=_fund_page,
    attempt=lambda fund, user: receipt_record(
        fund=fund, source=ReceiptSource.GOVERNMENT, amount="100", received_on=_today(), by=user
    ),
)
ALLOCATE = ActionCase(
    "allocate",
    page=_fund_page,
    attempt=lambda fund, user: allocation_make(
        from_fund=fund,
        to_fund=Fund.objects.get(unit__parent=fund.unit),
        amount="100",
        allocated_on=_today(),
        by=user,
    ),
)
CONFIRM_ALLOCATION = ActionCase(
    "confirm-allocation",
    page=lambda allocation: _fund_page(allocation.to_fund),
    attempt=lambda allocation, user: allocation_confirm_receipt(allocation=allocation, by=user),
)
REVERSE_RECEIPT = ActionCase(
    "reverse-receipt",
    page=lambda receipt: _fund_page(receipt.fund),
    attempt=lambda receipt, user: ledger_correct(
        original=receipt.transaction, by=user, reason="金额录错"
    ),
)
REVERSE_ALLOCATION = ActionCase(
    "reverse-allocation",
    page=lambda allocation: _fund_page(allocation.from_fund),
    attempt=lambda allocation, user: ledger_correct(
        original=allocation.transaction, by=user, reason="拨错单位"
    ),
)


def _set_a_budget(campaign: Campaign, user: User):
    # From a fund the form offers them (one of their branch), for that fund's own unit.
    fund = _first(funds_visible_to(user).filter(is_active=True).order_by("-unit__path"))
    return budget_set(campaign=campaign, unit=fund.unit, fund=fund, amount="100", by=user)


SET_BUDGET = ActionCase(
    "budget-set-form",
    page=lambda campaign: reverse("funds:budget_list", args=[campaign.pk]),
    attempt=_set_a_budget,
)
SPLIT_BUDGET = ActionCase(
    "budget-split-form",
    page=lambda budget: reverse("funds:budget_list", args=[budget.campaign_id]),
    attempt=lambda budget, user: budget_split(
        parent=budget, unit=UnionUnit.objects.get(parent=budget.unit), amount="100", by=user
    ),
)


def _propose_a_payment(file, user: User):
    fund = _first(funds_for_payment(file=file, user=user))
    proposal = DisbursementInput(
        file=file, fund=fund, purpose=Purpose.VISIT_MONEY, amount=Decimal("500")
    )
    return disbursement_propose(proposal=proposal, by=user)


PROPOSE_PAYMENT = ActionCase(
    "propose-payment", page=lambda file: file.get_absolute_url(), attempt=_propose_a_payment
)
APPROVE_PAYMENT = ActionCase(
    "approve-form",
    page=lambda payment: payment.get_absolute_url(),
    attempt=lambda payment, user: disbursement_approve(disbursement=payment, by=user),
)
REJECT_PAYMENT = ActionCase(
    "reject-form",
    page=lambda payment: payment.get_absolute_url(),
    attempt=lambda payment, user: disbursement_reject(
        disbursement=payment, by=user, reason="材料不全"
    ),
)
CANCEL_PAYMENT = ActionCase(
    "cancel-form",
    page=lambda payment: payment.get_absolute_url(),
    attempt=lambda payment, user: disbursement_cancel(
        disbursement=payment, by=user, reason="已由其他渠道解决"
    ),
)
PAY_PAYMENT = ActionCase(
    "pay-form",
    page=lambda payment: payment.get_absolute_url(),
    attempt=lambda payment, user: disbursement_pay(
        disbursement=payment, by=user, method=PaymentMethod.CASH
    ),
)


def _propose_a_batch(campaign: Campaign, unit: UnionUnit, user: User):
    # From a fund the form offers them (funds.selectors.funds_for_batch).
    fund = _first(funds_for_batch(unit=unit, campaign=campaign, user=user))
    return batch_propose(campaign=campaign, unit=unit, fund=fund, by=user)


PROPOSE_BATCH_FROM_THE_CAMPAIGN = ActionCase(
    "propose-batch",
    page=lambda scope: f"{scope.campaign.get_absolute_url()}?unit={scope.unit.pk}",
    attempt=lambda scope, user: _propose_a_batch(scope.campaign, scope.unit, user),
)
PROPOSE_BATCH_FROM_A_LIST = ActionCase(
    "propose-batch",
    page=lambda visit_list: reverse("visits:visit_list_detail", args=[visit_list.pk]),
    attempt=lambda visit_list, user: _propose_a_batch(visit_list.campaign, visit_list.unit, user),
)
APPROVE_BATCH = ActionCase(
    "approve-form",
    page=lambda batch: reverse("funds:batch_detail", args=[batch.pk]),
    attempt=lambda batch, user: batch_approve(batch=batch, by=user),
)
REJECT_BATCH = ActionCase(
    "reject-form",
    page=lambda batch: reverse("funds:batch_detail", args=[batch.pk]),
    attempt=lambda batch, user: batch_reject(batch=batch, by=user, reason="名单有误"),
)
UPLOAD_SCAN = ActionCase(
    "scan-form",
    page=_roster_page,
    attempt=lambda roster, user: roster_scan_upload(
        campaign=roster.campaign, unit=roster.unit, by=user, upload=scan()
    ),
)
TICK_LINES = ActionCase(
    "sign-team",
    page=_team_page,
    attempt=lambda roster, user: roster_lines_sign(
        disbursements=list(roster_lines(campaign=roster.campaign, unit=roster.unit)), by=user
    ),
)
MARK_TEAMS = ActionCase(
    "sign-teams",
    page=_roster_page,
    attempt=lambda roster, user: roster_teams_sign(
        campaign=roster.campaign,
        unit=roster.unit,
        teams={
            team.key: team.digest
            for team in roster_for(campaign=roster.campaign, unit=roster.unit).teams
        },
        by=user,
    ),
)
PRINT_ROSTER = ActionCase(
    "roster-pdf",
    page=_roster_page,
    attempt=lambda roster, user: roster_print_request(
        campaign=roster.campaign, unit=roster.unit, kind="pdf", by=user
    ),
)
ROSTER_SPREADSHEET = ActionCase(
    "roster-xlsx",
    page=_roster_page,
    attempt=lambda roster, user: roster_print_request(
        campaign=roster.campaign, unit=roster.unit, kind="xlsx", by=user
    ),
)
PRINT_STATEMENT = ActionCase(
    "statement-pdf",
    page=_fund_page,
    attempt=lambda fund, user: fund_statement_request(
        fund=fund, first_day=_today().replace(month=1, day=1), last_day=_today(), by=user
    ),
)


def _bank_page(batch) -> str:
    return reverse("funds:bank_detail", args=[batch.pk])


MAKE_BANK_FILE = ActionCase(
    "bank-export-form",
    page=_bank_page,
    attempt=lambda batch, user: bank_run_make(batch=batch, by=user, reason="代发"),
)
DOWNLOAD_BANK_FILE = ActionCase(
    "bank-download-form",
    page=lambda run: _bank_page(run.batch),
    attempt=lambda run, user: bank_file_download(run=run, by=user, reason="文件丢失"),
)
IMPORT_BANK_RESULTS = ActionCase(
    "bank-result-form",
    page=_bank_page,
    attempt=lambda batch, user: bank_results_import(
        batch=batch,
        by=user,
        upload=_bank_result(BankPaymentLine.objects.filter(disbursement__batch=batch).first()),
    ),
)
REISSUE_BANK_LINE = ActionCase(
    "reissue-form",
    page=lambda line: _bank_page(line.disbursement.batch),
    attempt=lambda line, user: bank_line_reissue(
        line=line, by=user, account="6228480012345678", bank_name="农业银行", reason="新卡"
    ),
)
BANK_LINE_TO_CASH = ActionCase(
    "cash-form",
    page=lambda line: _bank_page(line.disbursement.batch),
    attempt=lambda line, user: bank_line_to_cash(line=line, by=user, reason="账户注销"),
)

# Each action, the states of its record it is tried in, and who may do it then (the
# rules as the people who use them know them, so that agreement cannot be vacuous).
ACTIONS = [
    ("open a fund", OPEN_FUND, no_record, {APPROVER, BELOW, ABOVE, UNIT_ADMIN}),
    ("record a receipt", RECORD_RECEIPT, a_fund_in_use, PAYERS),
    ("record a receipt", RECORD_RECEIPT, a_fund_no_longer_in_use, NOBODY),
    ("allocate down", ALLOCATE, a_fund_in_use, DECIDERS),
    ("allocate down", ALLOCATE, a_fund_no_longer_in_use, NOBODY),
    ("confirm an allocation arrived", CONFIRM_ALLOCATION, an_allocation, PAYERS | {BELOW}),
    ("confirm an allocation arrived", CONFIRM_ALLOCATION, a_confirmed_allocation, NOBODY),
    ("confirm an allocation arrived", CONFIRM_ALLOCATION, a_reversed_allocation, NOBODY),
    ("reverse a receipt", REVERSE_RECEIPT, a_receipt, DECIDERS),
    ("reverse a receipt", REVERSE_RECEIPT, a_reversed_receipt, NOBODY),
    ("reverse an allocation", REVERSE_ALLOCATION, an_allocation, DECIDERS),
    ("reverse an allocation", REVERSE_ALLOCATION, a_reversed_allocation, NOBODY),
    ("set a campaign budget", SET_BUDGET, a_campaign, DECIDERS | {BELOW}),
    ("split a budget", SPLIT_BUDGET, a_budget, DECIDERS),
    ("propose a payment", PROPOSE_PAYMENT, a_household_on_file, {PROPOSER, COLLEAGUE}),
    ("propose a payment", PROPOSE_PAYMENT, an_application, NOBODY),
    ("approve a payment", APPROVE_PAYMENT, a_proposed_payment, DECIDERS),
    ("approve a payment", APPROVE_PAYMENT, an_approved_payment, NOBODY),
    ("reject a payment", REJECT_PAYMENT, a_proposed_payment, DECIDERS),
    ("reject a payment", REJECT_PAYMENT, an_approved_payment, NOBODY),
    ("cancel a payment", CANCEL_PAYMENT, a_proposed_payment, DECIDERS | {PROPOSER}),
    ("cancel a payment", CANCEL_PAYMENT, an_approved_payment, DECIDERS | {PROPOSER}),
    ("pay a payment", PAY_PAYMENT, a_proposed_payment, NOBODY),
    ("pay a payment", PAY_PAYMENT, an_approved_payment, PAYERS),
    (
        "propose visit money from the campaign",
        PROPOSE_BATCH_FROM_THE_CAMPAIGN,
        approved_lists,
        {PROPOSER, COLLEAGUE},
    ),
    (
        "propose visit money from the campaign",
        PROPOSE_BATCH_FROM_THE_CAMPAIGN,
        lists_not_yet_approved,
        NOBODY,
    ),
    (
        "propose visit money from a list",
        PROPOSE_BATCH_FROM_A_LIST,
        an_approved_list,
        {PROPOSER, COLLEAGUE},
    ),
    ("approve a batch", APPROVE_BATCH, a_proposed_batch, DECIDERS),
    ("approve a batch", APPROVE_BATCH, an_approved_batch, NOBODY),
    ("reject a batch", REJECT_BATCH, a_proposed_batch, DECIDERS),
    ("reject a batch", REJECT_BATCH, an_approved_batch, NOBODY),
    ("upload a roster's scan", UPLOAD_SCAN, a_roster, PAYERS),
    ("tick roster lines as signed", TICK_LINES, a_roster_with_its_scan, PAYERS),
    ("mark every team of a roster signed", MARK_TEAMS, a_roster_with_its_scan, PAYERS),
    ("tick roster lines as signed", TICK_LINES, a_roster, NOBODY),
    ("print a roster", PRINT_ROSTER, a_roster, READERS),
    ("print a roster as a spreadsheet", ROSTER_SPREADSHEET, a_roster, READERS),
    ("print a fund's statement", PRINT_STATEMENT, a_fund_in_use, READERS),
    ("make a bank payment file", MAKE_BANK_FILE, a_batch_to_pay_by_bank, PAYERS),
    ("make a bank payment file", MAKE_BANK_FILE, a_proposed_batch, NOBODY),
    ("make a bank payment file", MAKE_BANK_FILE, a_batch_sent_to_the_bank, NOBODY),
    ("download a bank payment file again", DOWNLOAD_BANK_FILE, a_bank_payment_file, PAYERS),
    ("import the bank's results", IMPORT_BANK_RESULTS, a_batch_sent_to_the_bank, PAYERS),
    ("import the bank's results", IMPORT_BANK_RESULTS, a_batch_to_pay_by_bank, NOBODY),
    ("re-issue a failed bank line", REISSUE_BANK_LINE, a_failed_bank_line, PAYERS),
    ("pay a failed bank line in cash", BANK_LINE_TO_CASH, a_failed_bank_line, PAYERS),
]


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.mark.parametrize("who", list(PEOPLE))
@pytest.mark.parametrize(
    ("case", "arrange", "allowed"),
    [row[1:] for row in ACTIONS],
    ids=[f"{row[0]} ({row[2].__name__.replace('_', ' ')})" for row in ACTIONS],
)
def test_a_funds_button_is_offered_exactly_when_its_service_accepts(
    case, arrange, allowed, who, tree, client, request, media
):
    setting = Setting(request, media)
    record = arrange(setting)
    user = PEOPLE[who](tree, setting)

    assert offered(client, user, case.page(record), case.testid) == (who in allowed)
    assert_button_matches_service(client, case, record, user)
