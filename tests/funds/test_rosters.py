"""Rosters (发放花名册/签领表): the lines, the printed PDF and xlsx, the signed scan and the
ticks, the unsigned lines flagged; and the fund statement PDF.
"""

import hashlib
import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from common.errors import RuleBroken
from documents.models import GeneratedDocument
from documents.services import document_run
from funds.choices import DisbursementStatus, PaymentMethod, Purpose
from funds.models import Disbursement, RosterScan
from funds.rosters import (
    Roster,
    roster_for,
    roster_lines,
    roster_lines_sign,
    roster_pdf_render,
    roster_scan_upload,
    roster_unsigned_overdue,
    roster_xlsx_bytes,
)
from funds.selectors import fund_balance, ledger_problems
from funds.services import (
    DisbursementInput,
    disbursement_approve,
    disbursement_cancel,
    disbursement_pay,
    disbursement_propose,
    disbursement_reject,
)
from hardship.models import HardshipFile
from tests.documents.test_pdf import pdf_pages, pdf_text, save_picture, squeezed
from tests.factories import SignedInClient, make_id_number
from tests.visits.test_visits import household, image_bytes, pdf_bytes
from visits.models import Campaign

pytestmark = pytest.mark.django_db

Status = DisbursementStatus
NAMES = ["王秀英", "张建国", "欧阳志明", "李桂兰", "陈德明", "刘海燕", "赵卫东", "孙丽华"]


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def signed_in(user) -> SignedInClient:
    client = SignedInClient()
    client.force_login(user)
    client.cookies["warmth_language"] = "en"
    return client


def propose(by, file, fund, campaign, amount="1000", **more) -> Disbursement:
    return disbursement_propose(
        proposal=DisbursementInput(
            file=file,
            fund=fund,
            purpose=more.pop("purpose", Purpose.VISIT_MONEY),
            amount=Decimal(amount),
            campaign=campaign,
            **more,
        ),
        by=by,
    )


def approved_lines(count, *, tree, fund, campaign, caseworker, approver, start=0) -> list:
    """``count`` households of 江岸区, each with an approved visit-money payment."""
    lines = []
    for n in range(start, start + count):
        file = household(
            by=caseworker,
            unit=tree.jiangan,
            name=NAMES[n % len(NAMES)] + ("" if n < len(NAMES) else str(n)),
            id_number=make_id_number(sequence=101 + 2 * n),
        )
        payment = propose(caseworker, file, fund, campaign, amount=str(100 + n))
        lines.append(disbursement_approve(disbursement=payment, by=approver))
    return lines


def roster_url(campaign, unit, name="roster_detail", **more) -> str:
    return reverse(f"funds:{name}", kwargs={"campaign_pk": campaign.pk, "unit_pk": unit.pk, **more})


def team_url(campaign, unit, team=0, name="roster_team") -> str:
    """A team's roster page; team 0 holds the payments of households on no visit list."""
    return roster_url(campaign, unit, name, team=team)


def end_campaign(campaign: Campaign) -> None:
    today = timezone.localdate()
    Campaign.objects.filter(pk=campaign.pk).update(
        starts_on=today - timedelta(days=60), ends_on=today - timedelta(days=1)
    )
    campaign.refresh_from_db()


def scan(name="签领表.jpg", content=None):
    return SimpleUploadedFile(name, image_bytes() if content is None else content, "image/jpeg")


@pytest.fixture
def roster3(tree, funded, winter, caseworker, approver):
    """Three approved lines on the roster of (冬送温暖, 武汉市总工会)."""
    return approved_lines(
        3, tree=tree, fund=funded, campaign=winter, caseworker=caseworker, approver=approver
    )


# ====================================================================== lines


def test_the_roster_holds_the_approved_and_paid_payments_of_its_campaign_and_unit_only(
    tree, funded, winter, caseworker, approver, roster3
):
    disbursement_pay(disbursement=roster3[0], by=caseworker, method=PaymentMethod.CASH)
    waiting = propose(caseworker, household(by=caseworker, name="未批准"), funded, winter)
    refused = propose(caseworker, household(by=caseworker, name="被驳回"), funded, winter)
    disbursement_reject(disbursement=refused, by=approver, reason="不符合条件")
    outside = propose(caseworker, household(by=caseworker, name="无活动"), funded, None)
    disbursement_approve(disbursement=outside, by=approver)

    lines = list(roster_lines(campaign=winter, unit=tree.wuhan))

    assert sorted(line.pk for line in lines) == sorted(line.pk for line in roster3)
    assert waiting.pk not in [line.pk for line in lines]
    assert list(roster_lines(campaign=winter, unit=tree.jiangan)) == []


def test_the_roster_names_each_distinct_approver_once(
    tree, funded, winter, caseworker, approver, second_approver
):
    approved_lines(
        2, tree=tree, fund=funded, campaign=winter, caseworker=caseworker, approver=approver
    )
    approved_lines(
        1,
        tree=tree,
        fund=funded,
        campaign=winter,
        caseworker=caseworker,
        approver=second_approver,
        start=2,
    )

    roster = roster_for(campaign=winter, unit=tree.wuhan)

    assert sorted(roster.approvers) == sorted(["陈静", "周红"])
    assert roster.total == Decimal("303.00")


def test_unsigned_lines_are_flagged_only_after_the_campaign_ended(
    tree, winter, caseworker, roster3, media
):
    assert list(roster_unsigned_overdue(winter, tree.wuhan)) == []
    roster_scan_upload(campaign=winter, unit=tree.wuhan, by=caseworker, upload=scan())
    roster_lines_sign(disbursements=[roster3[0]], by=caseworker)

    end_campaign(winter)

    overdue = roster_unsigned_overdue(winter, tree.wuhan)
    assert sorted(line.pk for line in overdue) == sorted([roster3[1].pk, roster3[2].pk])


# ====================================================================== signing


def test_lines_cannot_be_ticked_before_the_signed_rosters_scan_is_uploaded(
    winter, caseworker, roster3
):
    with pytest.raises(RuleBroken, match="Upload the scan of the signed roster"):
        roster_lines_sign(disbursements=roster3[:1], by=caseworker)
    roster3[0].refresh_from_db()
    assert (roster3[0].status, roster3[0].signed_at) == (Status.APPROVED, None)


def test_an_approved_line_ticked_as_signed_is_paid_in_cash(
    tree, funded, winter, caseworker, roster3, media
):
    roster_scan_upload(campaign=winter, unit=tree.wuhan, by=caseworker, upload=scan())

    signed = roster_lines_sign(disbursements=roster3[:2], by=caseworker)

    assert len(signed) == 2
    first = Disbursement.objects.get(pk=roster3[0].pk)
    assert (first.status, first.method, first.paid_by, first.signed_checked_by) == (
        Status.PAID,
        PaymentMethod.CASH,
        caseworker,
        caseworker,
    )
    assert first.signed_at is not None
    balance = fund_balance(funded)
    assert balance.reserved == Decimal("102.00")  # the third line, still approved
    assert ledger_problems() == []


def test_a_paid_line_ticked_as_signed_only_records_the_signature(
    tree, winter, caseworker, roster3, media
):
    paid = disbursement_pay(
        disbursement=roster3[0], by=caseworker, method=PaymentMethod.BANK, bank_reference="B-1"
    )
    roster_scan_upload(campaign=winter, unit=tree.wuhan, by=caseworker, upload=scan())

    roster_lines_sign(disbursements=[paid], by=caseworker)
    again = roster_lines_sign(disbursements=[paid], by=caseworker)

    paid.refresh_from_db()
    assert (paid.status, paid.method, paid.bank_reference) == (
        Status.PAID,
        PaymentMethod.BANK,
        "B-1",
    )
    assert paid.signed_checked_by == caseworker
    assert again == []  # ticked once only


@pytest.mark.parametrize("ending", ["proposed", "rejected", "cancelled"])
def test_a_line_that_is_not_approved_or_paid_cannot_be_signed_for(
    tree, funded, winter, caseworker, approver, roster3, media, ending
):
    payment = propose(caseworker, household(by=caseworker, name="石磊"), funded, winter)
    if ending == "rejected":
        disbursement_reject(disbursement=payment, by=approver, reason="不符合条件")
    elif ending == "cancelled":
        disbursement_cancel(disbursement=payment, by=caseworker, reason="重复申报")
    roster_scan_upload(campaign=winter, unit=tree.wuhan, by=caseworker, upload=scan())

    with pytest.raises(RuleBroken, match=r"石磊: a payment that is .* cannot be signed for"):
        roster_lines_sign(disbursements=[roster3[0], payment], by=caseworker)
    roster3[0].refresh_from_db()
    assert (roster3[0].status, roster3[0].signed_at) == (Status.APPROVED, None)


def test_a_sibling_approver_cannot_tick_or_upload(
    tree, winter, caseworker, roster3, sibling_approver, media
):
    with pytest.raises(PermissionDenied):
        roster_scan_upload(campaign=winter, unit=tree.wuhan, by=sibling_approver, upload=scan())
    roster_scan_upload(campaign=winter, unit=tree.wuhan, by=caseworker, upload=scan())
    with pytest.raises(PermissionDenied):
        roster_lines_sign(disbursements=roster3[:1], by=sibling_approver)


def test_the_scan_is_accepted_by_its_bytes_not_its_name(tree, winter, caseworker, media):
    with pytest.raises(RuleBroken, match="Only JPEG, PNG or WebP photos and PDF scans"):
        roster_scan_upload(
            campaign=winter,
            unit=tree.wuhan,
            by=caseworker,
            upload=scan("签领表.jpg", b"MZ\x90\x00 not an image at all"),
        )
    content = pdf_bytes()
    kept = roster_scan_upload(
        campaign=winter,
        unit=tree.wuhan,
        by=caseworker,
        upload=SimpleUploadedFile("scan.bin", content, "application/octet-stream"),
    )
    assert (kept.content_type, RosterScan.objects.count()) == ("application/pdf", 1)
    assert (kept.size, kept.sha256) == (len(content), hashlib.sha256(content).hexdigest())


# ====================================================================== the PDF and xlsx


def paper_roster(winter, unit, count: int) -> Roster:
    """An unsaved roster of ``count`` lines, for printing (the PDF reads only these fields)."""
    lines = [
        Disbursement(
            file=HardshipFile(
                name=NAMES[n % len(NAMES)] + f"{n + 1:02d}",
                id_number_masked=f"420102********{n + 1:04d}",
            ),
            amount=Decimal(1000 + n),
            purpose=Purpose.VISIT_MONEY,
        )
        for n in range(count)
    ]
    return Roster(winter, unit, lines, made_on=date(2026, 1, 20))


def test_a_45_line_roster_prints_on_3_pages_with_a_total_on_each_and_overall(tree, winter):
    roster = paper_roster(winter, tree.wuhan, 45)

    pdf = roster_pdf_render(roster, rows_per_page=20)

    save_picture(pdf, "roster-page-1")
    save_picture(pdf, "roster-page-3", page=3)
    assert pdf_pages(pdf) == 3
    first, last = pdf_text(pdf, page=1), pdf_text(pdf, page=3)
    assert "王秀英01" in first
    assert "420102********0001" in first
    assert "王秀英41" in last
    # 1000 … 1019 on page 1; 1040 … 1044 on page 3; 1000 … 1044 overall.
    assert "20,190.00" in first
    assert "5,210.00" in last
    assert "45,990.00" in last
    assert "45,990.00" not in first
    assert "冬送温暖" in squeezed(first)
    assert "武汉市总工会" in squeezed(last)


def test_the_printed_roster_names_the_approvers(tree, funded, winter, roster3):
    pdf = roster_pdf_render(roster_for(campaign=winter, unit=tree.wuhan))

    text = squeezed(pdf_text(pdf))
    assert pdf_pages(pdf) == 1
    assert "陈静" in text
    assert "王秀英" in text
    assert "303.00" in text


def test_an_empty_roster_prints_one_page(tree, winter):
    pdf = roster_pdf_render(paper_roster(winter, tree.wuhan, 0))

    assert pdf_pages(pdf) == 1


def test_the_roster_xlsx_keeps_a_formula_looking_name_as_text(tree, winter):
    from openpyxl import load_workbook

    roster = paper_roster(winter, tree.wuhan, 2)
    roster.lines[0].file.name = '=HYPERLINK("http://example.com","x")'

    book = load_workbook(io.BytesIO(roster_xlsx_bytes(roster)))

    rows = list(book.active.iter_rows(values_only=True))
    assert rows[2][1] == '=HYPERLINK("http://example.com","x")'
    assert book.active.cell(row=3, column=2).data_type == "s"
    assert rows[2][2] == "420102********0001"
    assert rows[-1][3] == Decimal("2001") or rows[-1][3] == 2001


def test_the_roster_jobs_produce_a_pdf_and_an_xlsx_for_the_branch(
    tree, winter, caseworker, roster3, media
):
    client = signed_in(caseworker)
    for kind, content_type in [
        ("pdf", "application/pdf"),
        ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ]:
        response = client.post(
            reverse(
                "funds:roster_document",
                kwargs={"campaign_pk": winter.pk, "unit_pk": tree.wuhan.pk, "kind": kind},
            )
        )
        document = GeneratedDocument.objects.get(kind=f"roster_{kind}")
        assert response.status_code == 302
        assert response.url == document.get_absolute_url()

        assert document_run(document_id=document.pk) == "done"
        document.refresh_from_db()
        assert document.content_type == content_type
        assert document.result_name.startswith("冬送温暖-武汉市总工会")
    pdf = GeneratedDocument.objects.get(kind="roster_pdf").result.read()
    assert "王秀英" in pdf_text(pdf)
    page = client.get(GeneratedDocument.objects.get(kind="roster_pdf").get_absolute_url())
    assert roster_url(winter, tree.wuhan).encode() in page.content


def test_a_roster_job_never_prints_outside_its_requesters_branch(
    tree, winter, sibling, roster3, media
):
    document = GeneratedDocument.objects.create(
        kind="roster_pdf",
        title="x",
        requested_by=sibling,
        unit=tree.hunan,
        params={"campaign_id": winter.pk, "unit_id": tree.wuhan.pk},
    )

    assert document_run(document_id=document.pk) == "failed"
    document.refresh_from_db()
    assert not document.result


# ====================================================================== pages


def test_the_roster_page_shows_masked_ids_totals_approvers_and_flags_unsigned_lines(
    tree, winter, caseworker, roster3
):
    end_campaign(winter)
    full_id = make_id_number(sequence=101)

    overview = signed_in(caseworker).get(roster_url(winter, tree.wuhan)).content.decode()
    response = signed_in(caseworker).get(team_url(winter, tree.wuhan))

    content = response.content.decode()
    assert response.status_code == 200
    assert "王秀英" in content
    assert roster3[0].file.id_number_masked in content
    assert full_id not in content
    assert "303.00" in content
    assert "陈静" in overview
    assert "303.00" in overview
    assert content.count('data-unsigned="1"') == 3


def test_a_sibling_gets_404_and_a_stranger_is_sent_to_sign_in(
    tree, winter, sibling, client, roster3, media
):
    kept = roster_scan_upload(
        campaign=winter, unit=tree.wuhan, by=roster3[0].proposed_by, upload=scan()
    )
    urls = [
        ("get", roster_url(winter, tree.wuhan)),
        ("get", team_url(winter, tree.wuhan)),
        ("post", team_url(winter, tree.wuhan, name="roster_sign")),
        ("post", roster_url(winter, tree.wuhan, "roster_sign_teams")),
        ("post", roster_url(winter, tree.wuhan, "roster_scan_upload")),
        (
            "post",
            reverse(
                "funds:roster_document",
                kwargs={"campaign_pk": winter.pk, "unit_pk": tree.wuhan.pk, "kind": "pdf"},
            ),
        ),
        ("get", reverse("funds:roster_scan_download", args=[kept.pk])),
    ]
    for method, url in urls:
        assert getattr(signed_in(sibling), method)(url).status_code == 404, url
        response = getattr(client, method)(url)
        assert response.status_code == 302, url
        assert "login" in response.url
    assert GeneratedDocument.objects.count() == 0


def test_a_caseworker_uploads_the_scan_downloads_it_and_ticks_lines_on_the_page(
    tree, funded, winter, caseworker, roster3, media
):
    client = signed_in(caseworker)
    url = team_url(winter, tree.wuhan)
    assert 'name="sheet-1"' not in client.get(url).content.decode()  # no ticking before the scan

    response = client.post(roster_url(winter, tree.wuhan, "roster_scan_upload"), {"upload": scan()})
    assert response.status_code == 302
    kept = RosterScan.objects.get()
    download = client.get(reverse("funds:roster_scan_download", args=[kept.pk]))
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == image_bytes()
    assert download["Content-Security-Policy"] == "sandbox"

    response = client.post(
        team_url(winter, tree.wuhan, name="roster_sign"),
        {"sheet-1": [roster3[0].pk, roster3[1].pk], "sheet": "1"},
    )
    assert response.status_code == 302
    statuses = dict(Disbursement.objects.values_list("pk", "status"))
    assert [statuses[line.pk] for line in roster3] == [Status.PAID, Status.PAID, Status.APPROVED]
    page = client.get(url).content.decode()
    assert page.count('name="sheet-1"') == 1


def test_a_line_off_the_team_is_never_marked_and_an_empty_mark_is_explained(
    tree, funded, winter, caseworker, approver, roster3, media
):
    refused = propose(caseworker, household(by=caseworker, name="石磊"), funded, winter)
    disbursement_reject(disbursement=refused, by=approver, reason="不符合条件")
    roster_scan_upload(campaign=winter, unit=tree.wuhan, by=caseworker, upload=scan())

    response = signed_in(caseworker).post(
        team_url(winter, tree.wuhan, name="roster_sign"), {"sheet-1": [refused.pk]}
    )

    assert response.status_code == 400
    assert "Tick at least one line." in response.content.decode()
    refused.refresh_from_db()
    assert (refused.status, refused.signed_at) == (Status.REJECTED, None)


def test_a_program_renamed_as_a_scan_is_refused_on_the_page(tree, winter, caseworker, media):
    response = signed_in(caseworker).post(
        roster_url(winter, tree.wuhan, "roster_scan_upload"),
        {"upload": scan("签领表.jpg", b"MZ\x90\x00 program")},
    )

    assert response.status_code == 400
    assert RosterScan.objects.count() == 0
    assert "Only JPEG, PNG or WebP photos" in response.content.decode()


@pytest.mark.parametrize("name", ["roster_detail", "roster_list"])
def test_the_roster_pages_take_as_many_queries_for_3_lines_as_for_1(
    tree, funded, winter, caseworker, approver, name
):
    client = signed_in(caseworker)
    url = (
        roster_url(winter, tree.wuhan) if name == "roster_detail" else reverse("funds:roster_list")
    )
    counts = []
    for batch in (1, 2):
        approved_lines(
            batch,
            tree=tree,
            fund=funded,
            campaign=winter,
            caseworker=caseworker,
            approver=approver,
            start=len(counts) * 1,
        )
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_the_roster_list_links_each_roster_of_the_branch(tree, winter, caseworker, roster3):
    response = signed_in(caseworker).get(reverse("funds:roster_list"))

    assert roster_url(winter, tree.wuhan).encode() in response.content
    assert (
        reverse("funds:roster_list").encode()
        in signed_in(caseworker)
        .get(reverse("funds:fund_detail", args=[roster3[0].fund_id]))
        .content
    )


# ====================================================================== the statement PDF


def test_the_fund_statement_pdf_is_requested_from_the_fund_page_and_reconciles(
    tree, funded, winter, caseworker, roster3, media
):
    disbursement_pay(disbursement=roster3[0], by=caseworker, method=PaymentMethod.CASH)
    client = signed_in(caseworker)
    page = client.get(reverse("funds:fund_detail", args=[funded.pk])).content.decode()
    assert reverse("funds:fund_statement_document", args=[funded.pk]) in page
    today = timezone.localdate()

    response = client.post(
        reverse("funds:fund_statement_document", args=[funded.pk]),
        {"first_day": (today - timedelta(days=30)).isoformat(), "last_day": today.isoformat()},
    )

    document = GeneratedDocument.objects.get(kind="fund_statement_pdf")
    assert response.url == document.get_absolute_url()
    assert document_run(document_id=document.pk) == "done"
    document.refresh_from_db()
    pdf = document.result.read()
    save_picture(pdf, "fund-statement")
    text = pdf_text(pdf)
    assert pdf_pages(pdf) == 1
    assert "送温暖资金" in text
    assert "100,000.00" in text  # received from the government
    assert "99,900.00" in text  # closing: 100,000 − 100 paid
    assert "0.00" in text  # opening


def test_a_sibling_cannot_ask_for_the_fund_statement(funded, sibling, client):
    url = reverse("funds:fund_statement_document", args=[funded.pk])
    data = {"first_day": "2026-01-01", "last_day": "2026-01-31"}

    assert signed_in(sibling).post(url, data).status_code == 404
    assert "login" in client.post(url, data).url
    assert GeneratedDocument.objects.count() == 0
