"""Rosters by team: each line numbered as on its visit list, printed per team and for the whole
roster (one job, parts, progress), reached from the campaign page and the funds menu, marked
signed by sheet or by team with the exceptions left out.
"""

import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from common.errors import RuleBroken
from documents.models import GeneratedDocument
from documents.services import document_run
from funds.batches import batch_approve, batch_propose
from funds.choices import DisbursementStatus, TransactionKind
from funds.models import Disbursement, LedgerTransaction
from funds.rosters import (
    NOT_ON_A_LIST,
    roster_for,
    roster_lines_sign,
    roster_scan_upload,
    roster_teams_sign,
)
from funds.selectors import ledger_problems
from tests.documents.test_pdf import pdf_pages, pdf_text, squeezed
from tests.factories import UnionUnitFactory, make_id_number, open_file
from tests.funds.test_batches import winter as winter
from tests.funds.test_rosters import approved_lines, scan, signed_in
from tests.visits.test_visit_lists import on_file
from visits.campaigns import visit_list_approve, visit_lists_build
from visits.models import VisitList

pytestmark = pytest.mark.django_db

Status = DisbursementStatus
# Team A: 25 households, those of category "accident" have no standard and get no money, so
# the roster's numbers skip theirs as the list numbers them. Teams B and C: 3 and 1.
TEAM_A = ["deep", "relative", "relative", "accident", "deep"] * 5


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def community(tree, name: str, code: str):
    return UnionUnitFactory(name=name, code=code, level=6, parent=tree.dazhi)


def households(caseworker, unit, categories, *, start: int):
    return [
        on_file(
            open_file(by=caseworker, unit=unit, name=f"{unit.name[:2]}户{n + 1}",
                      id_number=make_id_number(sequence=2 * (start + n) + 1)),
            category=category,
        )
        for n, category in enumerate(categories)
    ]  # fmt: skip


def paid_teams(tree, winter, funded, caseworker, approver, sizes, *, start=0, names="甲乙丙丁"):
    """Communities of 大智 with ``sizes`` households each (the very first mixing categories),
    their lists built and approved, and the visit money proposed and approved as a batch."""
    units = []
    for index, size in enumerate(sizes):
        unit = community(tree, f"{names[index]}社区", f"DZ-{start}-{index}")
        categories = TEAM_A[:size] if index == 0 and start == 0 else ["relative"] * size
        households(caseworker, unit, categories, start=start)
        start += size
        units.append(unit)
    visit_lists_build(campaign=winter, unit=tree.wuhan)
    for visit_list in VisitList.objects.filter(campaign=winter).exclude(status="approved"):
        visit_list_approve(visit_list=visit_list, by=approver)
    batch = batch_propose(campaign=winter, unit=tree.dazhi, fund=funded, by=caseworker)
    batch_approve(batch=batch, by=approver)
    return [VisitList.objects.get(campaign=winter, unit=unit) for unit in units]


@pytest.fixture
def three_teams(tree, winter, funded, caseworker, approver):
    return paid_teams(tree, winter, funded, caseworker, approver, [25, 3, 1])


def list_numbers(client, visit_list) -> dict[int, int]:
    """file id → the number the visit list's page shows."""
    response = client.get(reverse("visits:visit_list_detail", args=[visit_list.pk]))
    return {row.file_id: row.number for row in response.context["rows"]}


def team_url(winter, tree, team, name="roster_team"):
    return reverse(
        f"funds:{name}", kwargs={"campaign_pk": winter.pk, "unit_pk": tree.wuhan.pk, "team": team}
    )


def roster_url(winter, tree, name="roster_detail"):
    return reverse(f"funds:{name}", kwargs={"campaign_pk": winter.pk, "unit_pk": tree.wuhan.pk})


# ====================================================================== numbering


def test_each_line_is_numbered_as_its_household_on_the_teams_visit_list(
    tree, winter, caseworker, three_teams
):
    roster = roster_for(campaign=winter, unit=tree.wuhan)

    assert [team.key for team in roster.teams] == [team.pk for team in three_teams]
    assert [len(team.lines) for team in roster.teams] == [20, 3, 1]
    client = signed_in(caseworker)
    for team, visit_list in zip(roster.teams, three_teams, strict=True):
        on_the_list = list_numbers(client, visit_list)
        assert [line.number for line in team.lines] == sorted(
            on_the_list[line.file_id] for line in team.lines
        )
        assert {line.file_id: line.number for line in team.lines} == {
            line.file_id: on_the_list[line.file_id] for line in team.lines
        }
    # The households of category "accident" were given nothing: their numbers are skipped.
    assert [line.number for line in roster.teams[0].lines] != list(range(1, 21))


def test_payments_of_households_on_no_list_come_last_numbered_from_1(
    tree, winter, funded, caseworker, approver, three_teams
):
    approved_lines(
        2, tree=tree, fund=funded, campaign=winter, caseworker=caseworker, approver=approver
    )

    roster = roster_for(campaign=winter, unit=tree.wuhan)

    last = roster.teams[-1]
    assert (last.key, last.name) == (NOT_ON_A_LIST, "Not on a visit list")
    assert [line.number for line in last.lines] == [1, 2]
    assert len(roster.lines) == 26


# ====================================================================== printing


def test_a_teams_pdf_and_xlsx_hold_its_sheets_numbered_as_its_list(
    tree, winter, caseworker, three_teams, media
):
    from openpyxl import load_workbook

    client = signed_in(caseworker)
    team = three_teams[0]
    on_the_list = list_numbers(client, team)
    for kind in ("pdf", "xlsx"):
        url = reverse(
            "funds:roster_document",
            kwargs={"campaign_pk": winter.pk, "unit_pk": tree.wuhan.pk, "kind": kind},
        )
        assert client.post(url, {"team": team.pk}).status_code == 302
    pdf_doc = GeneratedDocument.objects.get(kind="roster_pdf")
    xlsx_doc = GeneratedDocument.objects.get(kind="roster_xlsx")
    assert pdf_doc.params["team"] == team.pk
    assert document_run(document_id=pdf_doc.pk) == "done"
    assert document_run(document_id=xlsx_doc.pk) == "done"
    pdf_doc.refresh_from_db()
    xlsx_doc.refresh_from_db()
    assert pdf_doc.result_name == "冬送温暖-武汉市总工会-甲社区-花名册.pdf"
    assert xlsx_doc.result_name == "冬送温暖-武汉市总工会-甲社区-花名册.xlsx"

    pdf = pdf_doc.result.read()
    assert pdf_pages(pdf) == 1  # 20 lines: one sheet
    text = squeezed(pdf_text(pdf))
    assert "甲社区" in text
    assert "第1张，共1张" in text
    assert "乙社区" not in text
    lines = roster_for(campaign=winter, unit=tree.wuhan, team=team.pk).lines
    for line in lines:
        assert line.file.name in text

    rows = list(
        load_workbook(io.BytesIO(xlsx_doc.result.read())).active.iter_rows(values_only=True)
    )
    body = rows[2:-1]
    assert [row[0] for row in body] == [on_the_list[line.file_id] for line in lines]
    assert [row[1] for row in body] == [line.file.name for line in lines]
    assert {row[6] for row in body} == {"甲社区"}
    assert {row[7] for row in body} == {1}


def test_the_whole_roster_is_one_job_in_parts_with_progress_each_team_from_a_new_page(
    tree, winter, funded, caseworker, approver, three_teams, media
):
    approved_lines(
        1, tree=tree, fund=funded, campaign=winter, caseworker=caseworker, approver=approver
    )
    document = GeneratedDocument.objects.create(
        kind="roster_pdf",
        title="x",
        requested_by=caseworker,
        unit=tree.wuhan,
        params={
            "campaign_id": winter.pk,
            "unit_id": tree.wuhan.pk,
            "rows_per_page": 10,
            "part_lines": 4,
        },
    )

    assert document_run(document_id=document.pk) == "done"

    document.refresh_from_db()
    # Team 甲 (20 lines) alone, then 乙 and 丙 together (3 + 1), then the household on no list:
    # three parts and the joining, reported as they went.
    assert (document.progress_done, document.progress_total) == (4, 4)
    pdf = document.result.read()
    # 甲: 2 sheets of 10; 乙, 丙 and the household on no list: one sheet each.
    assert pdf_pages(pdf) == 5
    pages = [squeezed(pdf_text(pdf, page=n)) for n in range(1, 6)]
    assert ["甲社区" in page for page in pages] == [True, True, False, False, False]
    assert "第1张，共2张" in pages[0]
    assert "第2张，共2张" in pages[1]
    assert "乙社区" in pages[2] and "第1张，共1张" in pages[2]
    assert "丙社区" in pages[3]
    assert "不在走访名单上" in pages[4]
    assert "总计" in pages[4] and "总计" not in pages[3]
    assert document.result_name == "冬送温暖-武汉市总工会-花名册.pdf"


# ====================================================================== marking signed


def test_marking_is_refused_until_the_scan_is_uploaded_and_the_page_says_so(
    tree, winter, caseworker, three_teams, media
):
    team = three_teams[1]
    client = signed_in(caseworker)

    page = client.get(team_url(winter, tree, team.pk)).content.decode()
    lines = roster_for(campaign=winter, unit=tree.wuhan, team=team.pk).lines
    response = client.post(
        team_url(winter, tree, team.pk, "roster_sign"),
        {"sheet": "all", "sheet-1": [line.pk for line in lines]},
    )

    assert 'data-testid="upload-first"' in page
    assert 'name="sheet-1"' not in page
    assert response.status_code == 400
    assert "Upload the scan of the signed roster" in response.content.decode()
    assert Disbursement.objects.filter(signed_at__isnull=False).count() == 0
    with pytest.raises(RuleBroken, match="Upload the scan"):
        roster_teams_sign(campaign=winter, unit=tree.wuhan, teams={team.pk: ""}, by=caseworker)


def test_a_sheet_is_marked_signed_but_for_its_unticked_exception_which_stays_flagged(
    tree, winter, caseworker, three_teams, media
):
    roster_scan_upload(campaign=winter, unit=tree.wuhan, by=caseworker, upload=scan())
    team = three_teams[0]
    client = signed_in(caseworker)
    page = client.get(team_url(winter, tree, team.pk)).content.decode()
    assert page.count('data-testid="sign-sheet"') == 1
    lines = roster_for(campaign=winter, unit=tree.wuhan, team=team.pk).lines
    exception = lines[4]
    ticked = [line.pk for line in lines if line != exception]

    with CaptureQueriesContext(connection) as queries:
        response = client.post(
            team_url(winter, tree, team.pk, "roster_sign"), {"sheet": "1", "sheet-1": ticked}
        )

    assert response.status_code == 302
    statuses = dict(Disbursement.objects.values_list("pk", "status"))
    assert sorted(pk for pk, status in statuses.items() if status == Status.PAID) == sorted(ticked)
    assert Disbursement.objects.filter(signed_checked_by=caseworker).count() == 19
    # Set-wise: one payment transaction for the sheet, one UPDATE paying the lines and
    # recording their signature at once.
    assert LedgerTransaction.objects.filter(kind=TransactionKind.PAYMENT).count() == 1
    # (The history's context is set in front of each write, in the same statement.)
    updates = [q["sql"] for q in queries if 'UPDATE "funds_disbursement"' in q["sql"]]
    assert len(updates) == 1
    assert ledger_problems() == []
    page = client.get(team_url(winter, tree, team.pk)).content.decode()
    assert page.count('data-unsigned="1"') == 1
    assert exception.file.name in page.split('data-testid="team-exceptions"')[1].split("</p>")[0]
    overview = client.get(roster_url(winter, tree)).content.decode()
    assert overview.count('data-unsigned="1"') == 1  # the team, flagged


def test_every_ticked_team_is_marked_signed_in_one_step(
    tree, winter, caseworker, three_teams, media
):
    roster_scan_upload(campaign=winter, unit=tree.wuhan, by=caseworker, upload=scan())
    roster = roster_for(campaign=winter, unit=tree.wuhan)
    client = signed_in(caseworker)
    first, _second, third = roster.teams

    response = client.post(
        roster_url(winter, tree, "roster_sign_teams"),
        {
            "team": [first.key, third.key],  # 乙 unticked: its paper has a gap, done on its page
            f"digest-{first.key}": first.digest,
            f"digest-{third.key}": third.digest,
        },
    )

    assert response.status_code == 302
    signed = set(Disbursement.objects.filter(signed_at__isnull=False).values_list("pk", flat=True))
    assert signed == {line.pk for line in first.lines + third.lines}
    assert LedgerTransaction.objects.filter(kind=TransactionKind.PAYMENT).count() == 1
    assert ledger_problems() == []


def test_a_team_whose_lines_changed_since_the_page_was_read_is_not_marked(
    tree, winter, caseworker, three_teams, media
):
    roster_scan_upload(campaign=winter, unit=tree.wuhan, by=caseworker, upload=scan())
    roster = roster_for(campaign=winter, unit=tree.wuhan)
    team = roster.teams[1]
    stale = team.digest
    roster_lines_sign(disbursements=team.lines[:1], by=caseworker)  # someone marked one since

    response = signed_in(caseworker).post(
        roster_url(winter, tree, "roster_sign_teams"),
        {"team": [team.key], f"digest-{team.key}": stale},
    )

    assert response.status_code == 400
    assert "乙社区: its lines changed since the page was read" in response.content.decode()
    assert Disbursement.objects.filter(signed_at__isnull=False).count() == 1


def test_marking_a_whole_team_takes_as_many_queries_for_20_lines_as_for_3(
    tree, winter, caseworker, three_teams, media
):
    roster_scan_upload(campaign=winter, unit=tree.wuhan, by=caseworker, upload=scan())
    counts = []
    first, second, third = roster_for(campaign=winter, unit=tree.wuhan).teams
    roster_lines_sign(disbursements=third.lines, by=caseworker)  # the accounts are opened
    for team in (second, first):
        with CaptureQueriesContext(connection) as queries:
            roster_lines_sign(disbursements=team.lines, by=caseworker)
        counts.append(len(queries))
    assert counts[0] == counts[1]


# ====================================================================== access and reach


def test_a_team_page_is_refused_to_a_sibling_and_sends_a_stranger_to_sign_in(
    tree, winter, caseworker, sibling, client, three_teams
):
    url = team_url(winter, tree, three_teams[0].pk)

    assert signed_in(caseworker).get(url).status_code == 200
    assert signed_in(sibling).get(url).status_code == 404
    assert (
        signed_in(sibling)
        .post(team_url(winter, tree, three_teams[0].pk, "roster_sign"))
        .status_code
        == 404
    )
    response = client.get(url)
    assert response.status_code == 302
    assert "login" in response.url
    # A visit list with no line on this roster is no team of it.
    assert signed_in(caseworker).get(team_url(winter, tree, 999999)).status_code == 404


def test_the_campaign_page_links_the_roster_and_each_teams_part(
    tree, winter, caseworker, three_teams
):
    response = signed_in(caseworker).get(winter.get_absolute_url())

    content = response.content.decode()
    assert roster_url(winter, tree) in content
    for team in three_teams:
        assert team_url(winter, tree, team.pk) in content


def test_the_funds_menu_leads_to_the_rosters_of_the_branch(tree, winter, caseworker, three_teams):
    client = signed_in(caseworker)

    funds = client.get(reverse("funds:fund_list")).content.decode()
    rosters = client.get(reverse("funds:roster_list")).content.decode()

    assert reverse("funds:roster_list") in funds
    assert roster_url(winter, tree) in rosters


@pytest.mark.parametrize("page", ["overview", "team"])
def test_the_roster_pages_take_as_many_queries_for_3_teams_as_for_1(
    tree, winter, funded, caseworker, approver, page, media
):
    client = signed_in(caseworker)
    counts = []
    for start, sizes, names in [(0, [1], "甲"), (10, [3, 2], "乙丙")]:
        # The team page: a team of 1 line, then one of 3; the overview: 1 team, then 3.
        first = paid_teams(
            tree, winter, funded, caseworker, approver, sizes, start=start, names=names
        )[0]
        url = roster_url(winter, tree) if page == "overview" else team_url(winter, tree, first.pk)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_an_exception_left_out_is_no_longer_ticked_for_the_next_mark(
    tree, winter, caseworker, three_teams, media
):
    roster_scan_upload(campaign=winter, unit=tree.wuhan, by=caseworker, upload=scan())
    team = roster_for(campaign=winter, unit=tree.wuhan).teams[1]
    roster_lines_sign(disbursements=team.lines[1:], by=caseworker)

    page = signed_in(caseworker).get(team_url(winter, tree, team.key)).content.decode()

    box = page.split(f'id="line-{team.lines[0].pk}"')[1].split(">")[0]
    assert "checked" not in box
    assert page.count('data-unsigned="1"') == 1


def test_a_visit_list_links_its_teams_roster_once_its_money_is_approved(
    tree, winter, caseworker, three_teams
):
    team = three_teams[1]
    url = reverse("visits:visit_list_detail", args=[team.pk])

    content = signed_in(caseworker).get(url).content.decode()

    assert team_url(winter, tree, team.pk) in content
    assert 'data-testid="visit-list-roster"' in content
