"""Payments to households: their life, the four-eyes rule, the caps, budgets, double submits."""

import uuid
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone

from common.errors import RuleBroken
from funds.choices import AccountKind, DisbursementStatus, FundKind, PaymentMethod, Purpose
from funds.models import Account, AidRule, Budget, Disbursement, SchoolingStandard
from funds.rules import PER_PAYMENT_CAP, PER_YEAR_CAP
from funds.selectors import fund_balance, fund_statement, household_aid, ledger_problems
from funds.services import (
    DisbursementInput,
    budget_set,
    budget_split,
    disbursement_approve,
    disbursement_cancel,
    disbursement_pay,
    disbursement_propose,
    disbursement_reject,
    fund_create,
)
from hardship.choices import FileStatus, SchoolStage
from hardship.models import HardshipFile, HouseholdMember
from hardship.services import MemberInput
from tests.factories import UnionUnitFactory, UserFactory, make_id_number
from tests.visits.test_visits import household, log

pytestmark = pytest.mark.django_db


def propose(by, file, fund, amount="1000", purpose=Purpose.VISIT_MONEY, **more):
    return disbursement_propose(
        proposal=DisbursementInput(
            file=file, fund=fund, purpose=purpose, amount=Decimal(amount), **more
        ),
        by=by,
    )


def test_a_payment_is_proposed_approved_and_paid_and_every_yuan_is_traced(
    funded, family, winter, caseworker, approver
):
    visit = log(family, caseworker, campaign=winter)
    payment = propose(caseworker, family, funded, "1000", campaign=winter, visit=visit)
    assert payment.status == DisbursementStatus.PROPOSED
    assert fund_balance(funded).available == Decimal("100000.00")  # nothing moves yet

    disbursement_approve(disbursement=payment, by=approver)
    balance = fund_balance(funded)
    assert (balance.available, balance.reserved) == (Decimal("99000.00"), Decimal("1000.00"))

    disbursement_pay(disbursement=payment, by=caseworker, method=PaymentMethod.CASH)
    payment.refresh_from_db()
    assert payment.status == DisbursementStatus.PAID
    assert (payment.proposed_by, payment.approved_by, payment.paid_by) == (
        caseworker,
        approver,
        caseworker,
    )
    assert payment.visit == visit
    balance = fund_balance(funded)
    assert (balance.available, balance.reserved) == (Decimal("99000.00"), 0)
    paid_out = Account.objects.get(fund=funded, kind=AccountKind.PAID_OUT)
    assert (paid_out.purpose, paid_out.balance) == (Purpose.VISIT_MONEY, Decimal("1000.00"))
    statement = fund_statement(funded, first_day=date(2000, 1, 1), last_day=timezone.localdate())
    assert statement.paid_out == {Purpose.VISIT_MONEY: Decimal("1000.00")}
    assert statement.reconciles
    assert list(household_aid(family)) == [payment]
    assert ledger_problems() == []


def test_the_proposer_cannot_approve_their_own_payment(funded, family, tree):
    both = UserFactory(username="both", unit=tree.wuhan, is_caseworker=True, is_approver=True)
    payment = propose(both, family, funded)
    with pytest.raises(PermissionDenied, match="someone other"):
        disbursement_approve(disbursement=payment, by=both)
    # Nor can it be written past the service.
    with pytest.raises(IntegrityError), transaction.atomic():
        Disbursement.objects.filter(pk=payment.pk).update(approved_by=both)


def test_an_approver_of_another_branch_cannot_decide(funded, family, caseworker, sibling_approver):
    payment = propose(caseworker, family, funded)
    with pytest.raises(PermissionDenied):
        disbursement_approve(disbursement=payment, by=sibling_approver)
    with pytest.raises(PermissionDenied):
        disbursement_reject(disbursement=payment, by=sibling_approver, reason="不是本单位")


def test_a_fund_of_another_branch_cannot_pay_a_household(
    tree, family, caseworker, sibling_approver
):
    hunan_fund = fund_create(
        unit=tree.hunan, name="送温暖资金", kind=FundKind.WARMTH, by=sibling_approver
    )
    with pytest.raises((RuleBroken, PermissionDenied)):
        propose(caseworker, family, hunan_fund)


def test_a_household_not_on_file_gets_nothing(funded, family, caseworker):
    HardshipFile.objects.filter(pk=family.pk).update(
        status=FileStatus.EXITED, exit_reason="reemployed"
    )
    family.refresh_from_db()
    with pytest.raises(RuleBroken, match="Only households on file"):
        propose(caseworker, family, funded)


def test_a_double_submit_makes_one_payment(funded, family, winter, caseworker):
    key = uuid.uuid4()
    first = propose(caseworker, family, funded, campaign=winter, request_key=key)
    second = propose(caseworker, family, funded, campaign=winter, request_key=key)
    assert first == second
    assert Disbursement.objects.count() == 1


def test_one_visit_money_payment_per_household_and_campaign(funded, family, winter, caseworker):
    propose(caseworker, family, funded, campaign=winter)
    with pytest.raises(RuleBroken, match="visit money in this campaign already"):
        propose(caseworker, family, funded, campaign=winter)
    # Even written past the service, the database keeps one.
    with pytest.raises(IntegrityError), transaction.atomic():
        first = Disbursement.objects.get()
        first.pk = None
        first.request_key = None
        first.save()


def test_a_rejected_payment_frees_the_household_for_another_proposal(
    funded, family, winter, caseworker, approver
):
    payment = propose(caseworker, family, funded, campaign=winter)
    with pytest.raises(RuleBroken):
        disbursement_reject(disbursement=payment, by=approver, reason="  ")
    disbursement_reject(disbursement=payment, by=approver, reason="金额应为 800 元")
    assert propose(caseworker, family, funded, "800", campaign=winter).amount == Decimal("800")


def test_a_cap_broken_needs_an_approvers_reason_which_is_kept(
    funded, family, winter, caseworker, approver
):
    payment = propose(caseworker, family, funded, "3500", campaign=winter)
    assert payment.broken_rules == [PER_PAYMENT_CAP]

    with pytest.raises(RuleBroken, match=r"3,000.00"):
        disbursement_approve(disbursement=payment, by=approver)
    disbursement_approve(disbursement=payment, by=approver, override_reason="特困劳模，经会议研究")
    payment.refresh_from_db()
    assert payment.status == DisbursementStatus.APPROVED
    assert payment.override_reason == "特困劳模，经会议研究"


def test_a_cap_that_may_not_be_overridden_is_refused_outright(funded, family, caseworker):
    AidRule.objects.filter(purpose=Purpose.SPECIAL).update(per_payment_cap=Decimal("1800"))
    with pytest.raises(RuleBroken, match=r"1,800.00"):
        propose(caseworker, family, funded, "2500", purpose=Purpose.SPECIAL)


def test_the_yearly_cap_counts_every_payment_of_the_year(funded, family, caseworker, approver):
    for _ in range(2):
        disbursement_approve(
            disbursement=propose(caseworker, family, funded, "3000", purpose=Purpose.GOODS,
                                 description="棉被、米面油"),
            by=approver,
        )  # fmt: skip
    third = propose(caseworker, family, funded, "100", purpose=Purpose.GOODS, description="棉衣")
    assert third.broken_rules == [PER_YEAR_CAP]
    with pytest.raises(RuleBroken, match=r"6,000.00"):
        disbursement_approve(disbursement=third, by=approver)


def test_living_aid_reaches_at_most_the_households_yearly_minimum_standard(
    funded, family, caseworker, approver, standards
):
    # 江岸区 urban 800 yuan a person a month; three people: 28,800 yuan a year.
    payment = propose(caseworker, family, funded, "28800.01", purpose=Purpose.LIVING)
    with pytest.raises(RuleBroken, match=r"28,800.00"):
        disbursement_approve(disbursement=payment, by=approver)
    disbursement_cancel(disbursement=payment, by=caseworker, reason="金额有误")
    ok = propose(caseworker, family, funded, "28800", purpose=Purpose.LIVING)
    assert disbursement_approve(disbursement=ok, by=approver).status == DisbursementStatus.APPROVED


def test_living_aid_without_a_known_minimum_standard_is_refused(funded, family, caseworker):
    with pytest.raises(RuleBroken, match="No minimum living standard"):
        propose(caseworker, family, funded, "100", purpose=Purpose.LIVING)


def test_medical_aid_may_not_exceed_the_out_of_pocket_cost(funded, family, caseworker):
    with pytest.raises(RuleBroken, match="out-of-pocket"):
        propose(caseworker, family, funded, "5000", purpose=Purpose.MEDICAL)
    with pytest.raises(RuleBroken, match="may not exceed"):
        propose(
            caseworker,
            family,
            funded,
            "5000",
            purpose=Purpose.MEDICAL,
            out_of_pocket=Decimal("4260"),
        )
    assert (
        propose(
            caseworker,
            family,
            funded,
            "4260",
            purpose=Purpose.MEDICAL,
            out_of_pocket=Decimal("4260"),
        ).broken_rules
        == []
    )


def student_household(caseworker, unit, *, name, id_number, sequence):
    return household(
        by=caseworker,
        unit=unit,
        name=name,
        id_number=make_id_number(sequence=sequence),
        members=[
            MemberInput(
                relation="child",
                name="陈小明",
                birth_date=date(2007, 3, 1),
                employment="student",
                id_number=id_number,
                school_stage=SchoolStage.UNIVERSITY,
                school_name="武汉大学",
            )
        ],
    )


def test_a_student_gets_one_schooling_grant_a_year_at_the_campaigns_standard(
    tree, funded, winter, caseworker, approver
):
    SchoolingStandard.objects.create(
        campaign=winter, school_stage=SchoolStage.UNIVERSITY, amount=Decimal("5000")
    )
    student_id = make_id_number(birth="20070301", sequence=77)
    first = student_household(caseworker, tree.jiangan, name="陈桂兰", id_number=student_id,
                              sequence=301)  # fmt: skip
    student = HouseholdMember.objects.get(file=first)

    with pytest.raises(RuleBroken, match=r"5,000.00"):
        propose(caseworker, first, funded, "4000", purpose=Purpose.SCHOOLING, campaign=winter,
                student=student)  # fmt: skip
    grant = propose(caseworker, first, funded, "5000", purpose=Purpose.SCHOOLING,
                    campaign=winter, student=student)  # fmt: skip
    disbursement_approve(disbursement=grant, by=approver)

    # The same student found on another household's file (by ID number): refused.
    HardshipFile.objects.filter(pk=first.pk).update(
        status=FileStatus.EXITED, exit_reason="reemployed"
    )
    other = household(by=caseworker, unit=tree.jiangan, name="陈建华",
                      id_number=make_id_number(sequence=303))  # fmt: skip
    again = HouseholdMember.objects.create(
        file=other, relation="child", name="陈小明", birth_date=date(2007, 3, 1),
        employment="student", school_stage=SchoolStage.UNIVERSITY, id_hash=student.id_hash,
    )  # fmt: skip
    with pytest.raises(RuleBroken, match="schooling grant in"):
        propose(caseworker, other, funded, "5000", purpose=Purpose.SCHOOLING, campaign=winter,
                student=again)  # fmt: skip


def test_approval_beyond_the_funds_money_is_refused_and_nothing_moves(
    city_fund, family, caseworker, approver
):
    payment = propose(caseworker, family, city_fund, "100", purpose=Purpose.SPECIAL)
    with pytest.raises(RuleBroken, match="not enough money"):
        disbursement_approve(disbursement=payment, by=approver)
    payment.refresh_from_db()
    assert payment.status == DisbursementStatus.PROPOSED
    assert ledger_problems() == []


def test_cancelling_an_approved_payment_releases_its_money_and_budget(
    tree, funded, family, winter, caseworker, approver
):
    budget = budget_set(campaign=winter, unit=tree.wuhan, fund=funded, amount="1500", by=approver)
    payment = propose(caseworker, family, funded, "1000", campaign=winter)
    assert payment.budget == budget
    disbursement_approve(disbursement=payment, by=approver)
    budget.refresh_from_db()
    assert budget.remainder == Decimal("500.00")

    disbursement_cancel(disbursement=payment, by=approver, reason="户主已去世，改由家属领取")
    budget.refresh_from_db()
    assert budget.remainder == Decimal("1500.00")
    assert fund_balance(funded).available == Decimal("100000.00")
    with pytest.raises(RuleBroken):
        disbursement_pay(disbursement=payment, by=caseworker, method=PaymentMethod.CASH)
    assert ledger_problems() == []


def test_a_budgets_remainder_never_goes_below_zero(tree, funded, winter, caseworker, approver):
    budget = budget_set(campaign=winter, unit=tree.wuhan, fund=funded, amount="1500", by=approver)
    first = household(
        by=caseworker, unit=tree.jiangan, name="甲", id_number=make_id_number(sequence=501)
    )
    second = household(
        by=caseworker, unit=tree.jiangan, name="乙", id_number=make_id_number(sequence=503)
    )
    disbursement_approve(disbursement=propose(caseworker, first, funded, "1000", campaign=winter),
                         by=approver)  # fmt: skip
    over = propose(caseworker, second, funded, "1000", campaign=winter)
    with pytest.raises(RuleBroken, match="budget"):
        disbursement_approve(disbursement=over, by=approver)
    budget.refresh_from_db()
    assert budget.committed == Decimal("1000.00")
    with pytest.raises(IntegrityError), transaction.atomic():
        Budget.objects.filter(pk=budget.pk).update(committed=Decimal("1500.01"))


def test_a_split_budget_commits_its_parent_and_serves_the_child_units_households(
    tree, funded, winter, family, caseworker, approver
):
    hanyang = UnionUnitFactory(name="汉阳区总工会", code="HB-WH-HY", level=4, parent=tree.wuhan)
    city = budget_set(campaign=winter, unit=tree.wuhan, fund=funded, amount="10000", by=approver)
    county = budget_split(parent=city, unit=tree.jiangan, amount="4000", by=approver)
    city.refresh_from_db()
    assert city.remainder == Decimal("6000.00")
    with pytest.raises(RuleBroken, match="does not cover"):
        budget_split(parent=city, unit=hanyang, amount="6000.01", by=approver)

    payment = propose(caseworker, family, funded, "1000", campaign=winter)
    assert (payment.budget, payment.unit) == (county, tree.jiangan)
    assert ledger_problems() == []


def test_raising_a_split_budget_commits_the_difference_of_its_parent(
    tree, funded, winter, approver
):
    city = budget_set(campaign=winter, unit=tree.wuhan, fund=funded, amount="10000", by=approver)
    budget_split(parent=city, unit=tree.jiangan, amount="4000", by=approver)

    county = budget_set(campaign=winter, unit=tree.jiangan, fund=funded, amount="7000", by=approver)

    city.refresh_from_db()
    assert (county.parent, county.amount, city.committed) == (
        city,
        Decimal("7000"),
        Decimal("7000"),
    )
    assert ledger_problems() == []


def test_a_split_budget_is_never_raised_above_what_its_parent_can_commit(
    tree, funded, winter, approver
):
    city = budget_set(campaign=winter, unit=tree.wuhan, fund=funded, amount="10000", by=approver)
    budget_split(parent=city, unit=tree.jiangan, amount="4000", by=approver)

    with pytest.raises(RuleBroken) as refused:
        budget_set(campaign=winter, unit=tree.jiangan, fund=funded, amount="10000.01", by=approver)

    assert refused.value.message_dict == {
        "amount": ["The budget of 武汉市总工会 for this campaign does not cover this."]
    }
    city.refresh_from_db()
    county = Budget.objects.get(unit=tree.jiangan)
    assert (city.committed, county.amount) == (Decimal("4000"), Decimal("4000"))
    assert ledger_problems() == []


def test_lowering_a_split_budget_gives_the_difference_back_to_its_parent(
    tree, funded, family, winter, caseworker, approver
):
    city = budget_set(campaign=winter, unit=tree.wuhan, fund=funded, amount="10000", by=approver)
    county = budget_split(parent=city, unit=tree.jiangan, amount="4000", by=approver)
    disbursement_approve(
        disbursement=propose(caseworker, family, funded, "1000", campaign=winter), by=approver
    )

    budget_set(campaign=winter, unit=tree.jiangan, fund=funded, amount="1500", by=approver)

    city.refresh_from_db()
    county.refresh_from_db()
    assert (city.committed, county.amount, county.committed) == (1500, 1500, 1000)
    with pytest.raises(RuleBroken, match="committed already"):
        budget_set(campaign=winter, unit=tree.jiangan, fund=funded, amount="999", by=approver)
    assert ledger_problems() == []


def test_the_database_refuses_child_budgets_above_what_their_parent_committed(
    tree, funded, winter, approver
):
    city = budget_set(campaign=winter, unit=tree.wuhan, fund=funded, amount="10000", by=approver)
    county = budget_split(parent=city, unit=tree.jiangan, amount="4000", by=approver)

    with pytest.raises(IntegrityError, match="child_budgets_within_parent"), transaction.atomic():
        Budget.objects.filter(pk=county.pk).update(amount=Decimal("4000.01"))
    with pytest.raises(IntegrityError, match="child_budgets_within_parent"), transaction.atomic():
        Budget.objects.filter(pk=city.pk).update(committed=Decimal("3999.99"))
    with pytest.raises(IntegrityError, match="child_budgets_within_parent"), transaction.atomic():
        Budget.objects.create(
            campaign=winter, unit=tree.yichang, fund=funded, parent=city,
            amount=Decimal("1"), created_by=approver,
        )  # fmt: skip


def test_payment_by_bank_needs_its_reference(funded, family, caseworker, approver):
    payment = propose(caseworker, family, funded, "300", purpose=Purpose.SPECIAL)
    disbursement_approve(disbursement=payment, by=approver)
    with pytest.raises(RuleBroken):
        disbursement_pay(disbursement=payment, by=caseworker, method=PaymentMethod.BANK)
    paid = disbursement_pay(
        disbursement=payment, by=caseworker, method=PaymentMethod.BANK, bank_reference="HB2026001"
    )
    assert paid.bank_reference == "HB2026001"


def test_a_form_key_used_for_one_household_is_refused_for_another(tree, funded, family, caseworker):
    key = uuid.uuid4()
    propose(caseworker, family, funded, purpose=Purpose.SPECIAL, request_key=key)
    other = household(by=caseworker, unit=tree.jiangan, name="王秀英",
                      id_number=make_id_number(sequence=901))  # fmt: skip
    with pytest.raises(RuleBroken, match="used already"):
        propose(caseworker, other, funded, purpose=Purpose.SPECIAL, request_key=key)


def test_a_student_whose_grant_is_on_record_cannot_be_removed_from_the_household(
    tree, funded, winter, caseworker, approver, client
):
    from django.conf import settings
    from django.urls import reverse

    from tests.hardship.test_bad_edits import edit_data

    SchoolingStandard.objects.create(
        campaign=winter, school_stage=SchoolStage.UNIVERSITY, amount=Decimal("5000")
    )
    file = student_household(caseworker, tree.jiangan, name="陈桂兰",
                             id_number=make_id_number(birth="20070301", sequence=79),
                             sequence=305)  # fmt: skip
    student = HouseholdMember.objects.get(file=file)
    propose(caseworker, file, funded, "5000", purpose=Purpose.SCHOOLING, campaign=winter,
            student=student)  # fmt: skip
    client.force_login(caseworker)
    data = edit_data(
        file.id_number,
        [{"pk": student.pk, "name": student.name, "birth_date": "2007-03-01",
          "id_number": student.id_number, "school_stage": "university", "DELETE": "on"}],
        name="陈桂兰",
    )  # fmt: skip
    data["category"] = file.category

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.post(reverse("hardship:file_edit", args=[file.pk]), data)

    # On a file on record the removal is only proposed; accepting it is refused.
    assert response.status_code == 302
    from hardship.services import hardship_file_change_accept

    with pytest.raises(RuleBroken, match="陈小明"):
        hardship_file_change_accept(change=file.change_requests.get(), by=approver)
    assert HouseholdMember.objects.filter(pk=student.pk).exists()
