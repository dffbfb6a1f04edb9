"""The county's whole winter campaign, walked in the browser by one caseworker and one approver,
and counted (issue 13: "a county's winter campaign in an afternoon").

On 红安县 as ``seed_demo --county`` loads it (demo/county.py), the two of them build and approve the visit
lists, print the teams' lists, propose and approve the visit money, pay it by bank (the
payment file exported, the bank's result file, built here from that file, imported, the
reconciliation read) and by roster signature (the cash rosters printed, the signed paper's
scan uploaded, whole teams marked signed, the exception left unticked), and print the
campaign report. Real Celery worker, real PDFs.

Every step counts its page loads, the user's clicks (a click, a tick or untick, choosing a
file; typing into a field is free, submitting it is a click) and the server's time over each
page it asked for, read from the ``Server-Timing`` header the app sends when SERVER_TIMING is
on (common/middleware.py): the server's work, not the network or the browser's drawing. The
table is printed and written to tests/artifacts/campaign-walk.txt. The test holds the click
budget and the end state; it never holds a time (the machine is shared): read them.

The county's size is WARMTH_WALK_HOUSEHOLDS (600 in the suite; README's table is measured
with 5000, the county `make run COUNTY=1` loads).
"""

import csv
import os
import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlparse

import pytest
from django.urls import reverse
from django.utils import timezone
from PIL import Image
from playwright.sync_api import expect

from demo.county import COUNTY, PARENT_CODE, seed_county
from demo.tree import DEMO_PASSWORD, DEMO_TREE
from documents.models import GeneratedDocument
from funds.bank import bank_reconciliation
from funds.choices import DisbursementStatus
from funds.models import Disbursement, DisbursementBatch
from funds.selectors import ledger_problems
from people.services import union_unit_create
from reports.tallies import refresh_tallies, window_months
from tests.browser.conftest import ARTIFACTS
from tests.documents.test_pdf import pdf_words
from tests.workers import database_url_for_other_processes, jobs_on_own_queue, worker_process
from visits.choices import VisitListStatus
from visits.models import Campaign, Visit, VisitList, VisitListRow

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

HOUSEHOLDS = int(os.environ.get("WARMTH_WALK_HOUSEHOLDS", "600"))
CLICK_BUDGET = 60  # the "no more than about 60 clicks", visits aside
# A job's wait (ms): a real worker on a shared two-core machine, PDFs of every household.
JOB = 120_000 + 120 * HOUSEHOLDS
PAGE = 30_000 + 10 * HOUSEHOLDS
TIMING = re.compile(r"\bapp;dur=([\d.]+)")


# ====================================================================== the counting


@dataclass
class Answer:
    """One answer of the server to the browser: a page, a form's post, a download, a poll."""

    ms: float | None
    method: str
    path: str
    kind: str  # document (a page load or a redirect), fetch (the progress bar's poll)
    status: int

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}" if self.method != "GET" else self.path


@dataclass
class Step:
    name: str
    who: str
    in_budget: bool = True
    loads: int = 0
    clicks: int = 0
    answers: list[Answer] = field(default_factory=list)

    @property
    def slowest(self) -> Answer | None:
        timed = [a for a in self.answers if a.ms is not None]
        return max(timed, key=lambda a: a.ms) if timed else None


class Walk:
    """Counts what a person does and what the server answers, step by step."""

    def __init__(self) -> None:
        self.steps: list[Step] = []
        self.current: Step | None = None

    def watch(self, page) -> None:
        page.on("response", self._heard)

    def step(self, name: str, who: str, *, in_budget: bool = True) -> Step:
        self.current = Step(name, who, in_budget)
        self.steps.append(self.current)
        return self.current

    def pause(self) -> None:
        """Stop counting (pages looked at for their pictures only)."""
        self.current = None

    def _heard(self, response) -> None:
        request = response.request
        if self.current is None or request.resource_type not in ("document", "fetch"):
            return
        found = TIMING.search(response.headers.get("server-timing", ""))
        answer = Answer(
            ms=float(found.group(1)) if found else None,
            method=request.method,
            path=urlparse(response.url).path,
            kind=request.resource_type,
            status=response.status,
        )
        self.current.answers.append(answer)
        if answer.kind == "document" and not 300 <= answer.status < 400:
            self.current.loads += 1

    # What the person does. Typing is free; every click, tick and file chosen counts one.
    def click(self, locator) -> None:
        self.current.clicks += 1
        locator.click()

    def reload(self, page) -> None:
        """The person comes back to the page (or presses reload): one click."""
        self.current.clicks += 1
        page.reload()

    def tick(self, locator, *, on: bool) -> None:
        self.current.clicks += 1
        locator.set_checked(on)

    def choose_file(self, locator, path: Path) -> None:
        self.current.clicks += 1
        locator.set_input_files(str(path))

    def download(self, page, locator, saved: Path) -> Path:
        with page.expect_download(timeout=PAGE) as downloading:
            self.click(locator)
        downloading.value.save_as(saved)
        return saved

    # ------------------------------------------------------------------ the table

    def table(self) -> str:
        rows = [("step", "who", "page loads", "clicks", "slowest page (ms)", "the page")]
        counted = [s for s in self.steps if s.in_budget]
        for step in self.steps:
            slowest = step.slowest
            rows.append(
                (
                    step.name + ("" if step.in_budget else " (not in the budget)"),
                    step.who,
                    str(step.loads),
                    str(step.clicks),
                    f"{slowest.ms:.0f}" if slowest else "—",
                    slowest.label if slowest else "—",
                )
            )
        slowest = max((s.slowest for s in counted if s.slowest), key=lambda a: a.ms, default=None)
        rows.append(
            (
                "total",
                "",
                str(sum(s.loads for s in counted)),
                str(self.clicks),
                f"{slowest.ms:.0f}" if slowest else "—",
                slowest.label if slowest else "—",
            )
        )
        # A Markdown table, its columns lined up, as README shows it.
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
        lines = [
            "| " + " | ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) + " |"
            for row in rows
        ]
        lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
        return "\n".join(lines)

    def answer_lines(self) -> str:
        return "\n".join(
            f"{step.name} ({step.who}): {a.ms if a.ms is not None else '—'} {a.status} {a.label}"
            for step in self.steps
            for a in step.answers
        )

    @property
    def clicks(self) -> int:
        return sum(s.clicks for s in self.steps if s.in_budget)

    def answers(self) -> list[Answer]:
        return [a for s in self.steps if s.in_budget for a in s.answers]


# ====================================================================== the county


@pytest.fixture
def county(settings, tmp_path):
    """红安县 as `seed_demo --county` loads it (``seed_county``), at the walk's size, under the
    demo's province; the rest of the demo (江岸区's households, a minute of seeding through
    the services) is left out: nothing of it is in the county's branch."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.SERVER_TIMING = True
    code, name, level, division_code, provinces = DEMO_TREE
    top = union_unit_create(
        name=name, code=code, level=level, division_code=division_code, parent=None
    )
    province = next(p for p in provinces if p[0] == PARENT_CODE)
    union_unit_create(
        name=province[1], code=province[0], level=province[2], division_code=province[3],
        parent=top,
    )  # fmt: skip
    seed_county(households=HOUSEHOLDS)
    # As seed_demo does after loading: the dashboards' precomputed figures.
    refresh_tallies(months=window_months(timezone.localdate()))
    return Campaign.objects.get(organiser__code=COUNTY[0])


@pytest.fixture
def worker(county, tmp_path):
    """A real worker on a queue of its own, reading the test database and the test's media."""
    env = {
        "DATABASE_URL": database_url_for_other_processes(),
        "MEDIA_ROOT": str(tmp_path / "media"),
    }
    with (
        jobs_on_own_queue() as queue,
        worker_process(env=env, log_path=tmp_path / "worker.log", queue=queue) as running,
    ):
        yield running


def sign_in(walk: Walk, page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/")  # the address typed in: no click
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(DEMO_PASSWORD)
    walk.click(page.get_by_role("button", name="登录"))
    expect(page.get_by_test_id("unit-name")).to_have_text(COUNTY[1])


def open_campaign(walk: Walk, page, campaign: Campaign) -> None:
    """From any page, through the menu's 活动 (Campaigns), to the campaign's page."""
    walk.click(page.get_by_role("link", name="活动", exact=True))
    walk.click(page.get_by_role("link", name=campaign.name))


def wait_for_job(page) -> None:
    """The job's page follows the worker and reloads itself when it is done (no click)."""
    expect(page.get_by_test_id("document-status")).to_have_text("已完成", timeout=JOB)


def bank_results(payment_file: Path, *, fail: int) -> tuple[Path, str]:
    """The bank's result file for ``payment_file``: every line paid but the ``fail``-th, whose
    account was closed. Returns the file and the failed line's payee."""
    from openpyxl import load_workbook

    sheet = load_workbook(payment_file, read_only=True).active
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    header = next(i for i, row in enumerate(rows) if "付款编号" in row)
    columns = rows[header]
    serial, name, amount = (columns.index(h) for h in ("付款编号", "收款户名", "金额（元）"))
    lines = [row for row in rows[header + 1 :] if row[serial]]
    result = payment_file.with_name("bank-result.csv")
    with result.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["付款编号", "金额", "结果", "银行流水号", "失败原因"])
        for n, row in enumerate(lines):
            if n == fail:
                writer.writerow([row[serial], row[amount], "失败", "", "账户已销户"])
            else:
                writer.writerow([row[serial], row[amount], "成功", f"B{n + 1:08d}", ""])
    return result, lines[fail][name]


def team_of_several(page):
    """The roster's first team with more than one line (its row)."""
    teams = page.get_by_test_id("roster-team")
    for n in range(teams.count()):
        team = teams.nth(n)
        if int(team.locator("td").nth(2).inner_text()) > 1:
            return team
    raise AssertionError("no team has more than one line on the roster")


def scan(path: Path) -> Path:
    Image.new("RGB", (1240, 1754), color=(250, 250, 245)).save(path, "JPEG")
    return path


def pdf_of(path: Path) -> str:
    content = path.read_bytes()
    assert content[:5] == b"%PDF-"
    return pdf_words(content)


# ====================================================================== the walk


def test_one_caseworker_and_one_approver_walk_the_countys_winter_campaign_within_the_budget(
    live_server, browser, screenshot, county, worker, tmp_path
):
    campaign = county
    walk = Walk()
    contexts = [
        browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 800}),
        browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 800}),
        browser.new_context(
            locale="zh-CN", viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
        ),
    ]
    caseworker, approver, phone = (context.new_page() for context in contexts)
    for page in (caseworker, approver, phone):
        page.set_default_timeout(PAGE)
        walk.watch(page)
        # A server that has answered before, as one in use has: the first answer of a fresh
        # process (its URLs, templates and catalogues loaded) is not a page's own time.
        page.goto(f"{live_server.url}/accounts/login/")

    # ------------------------------------------------------------------ the lists
    walk.step("sign in", "caseworker")
    sign_in(walk, caseworker, live_server, "hongan.caseworker")

    walk.step("build the visit lists", "caseworker")
    open_campaign(walk, caseworker, campaign)
    walk.click(caseworker.get_by_test_id("build-lists"))
    wait_for_job(caseworker)
    walk.click(caseworker.get_by_test_id("document-back"))
    expect(caseworker.get_by_test_id("listed")).to_have_text(str(HOUSEHOLDS))
    screenshot(caseworker, "80-walk-lists-built")

    walk.step("sign in", "approver")
    sign_in(walk, approver, live_server, "hongan.approver")

    walk.step("approve every list", "approver")
    open_campaign(walk, approver, campaign)
    walk.click(approver.get_by_test_id("approve-lists"))
    expect(approver.get_by_test_id("ready-households")).to_have_text(str(HOUSEHOLDS))
    screenshot(approver, "81-walk-approve-every-list")
    walk.click(approver.get_by_test_id("confirm-approve-all"))
    expect(approver.locator("main")).to_contain_text("份名单")
    lists = VisitList.objects.filter(campaign=campaign)
    assert set(lists.values_list("status", flat=True)) == {VisitListStatus.APPROVED}

    walk.step("print the teams' lists", "caseworker")
    walk.click(caseworker.get_by_test_id("print-lists"))
    wait_for_job(caseworker)
    words = pdf_of(
        walk.download(
            caseworker, caseworker.get_by_test_id("document-download"), tmp_path / "lists.pdf"
        )
    )
    first = VisitListRow.objects.filter(campaign=campaign).order_by("visit_list__unit__path")[0]
    assert first.name in words and campaign.name in words
    walk.click(caseworker.get_by_test_id("document-back"))

    # One visit, logged on a phone from the list in the household's home: visits are the
    # teams' work, household by household, and stay out of the budget.
    walk.step("log a visit on a phone", "caseworker", in_budget=False)
    sign_in(walk, phone, live_server, "hongan.caseworker")
    walk.click(phone.locator("details.menu > summary"))  # the menu, folded on a phone
    open_campaign(walk, phone, campaign)
    walk.click(phone.get_by_role("link", name=first.visit_list.unit.name, exact=True))
    row = phone.locator(f"#row-{first.file_id}")
    expect(row).to_contain_text(first.address)
    screenshot(phone, "82-walk-visit-list-phone")
    walk.click(row.get_by_test_id("log-visit-from-list"))
    phone.get_by_label("走访情况").fill("老人卧床，冬衣不足，已送棉被和慰问信。")
    walk.click(phone.get_by_test_id("save-visit"))
    expect(phone).to_have_url(re.compile(rf"#row-{first.file_id}$"))
    assert Visit.objects.filter(file_id=first.file_id, campaign=campaign).exists()

    # ------------------------------------------------------------------ the money
    walk.step("propose the visit money", "caseworker")
    walk.click(caseworker.get_by_test_id("propose-batch"))
    fund = caseworker.get_by_test_id("batch-form").locator("#id_fund")
    expect(fund.locator("option:checked")).to_contain_text("送温暖资金")  # the budget's
    screenshot(caseworker, "83-walk-propose")
    walk.click(caseworker.get_by_test_id("batch-form").locator("button[type=submit]"))
    batch = DisbursementBatch.objects.get(campaign=campaign)
    proposed = Disbursement.objects.filter(batch=batch)
    expect(caseworker.get_by_test_id("batch-payments")).to_have_text(str(proposed.count()))
    assert proposed.count() + batch.left_out == HOUSEHOLDS

    walk.step("approve the visit money", "approver")
    walk.click(approver.get_by_role("link", name="资金", exact=True))
    walk.click(approver.get_by_test_id("funds-tabs").get_by_role("link", name="待审批"))
    walk.click(approver.get_by_test_id("waiting-batches").get_by_role("link", name=campaign.name))
    screenshot(approver, "84-walk-batch-to-approve")
    walk.click(approver.get_by_test_id("approve-form").locator("button[type=submit]"))
    expect(approver.get_by_test_id("batch-status")).to_have_text("已审批")

    walk.step("pay by bank", "caseworker")
    walk.click(caseworker.get_by_test_id("batch-campaign"))
    walk.click(caseworker.get_by_test_id("campaign-bank"))
    export = caseworker.get_by_test_id("bank-export-form")
    export.get_by_label("为什么需要导出完整银行账号？").fill("送温暖资金银行代发")
    payment_file = walk.download(
        caseworker, export.locator("button[type=submit]"), tmp_path / "payment.xlsx"
    )
    results, failed_payee = bank_results(payment_file, fail=0)
    # Back from the bank with its result file: the page again, now waiting for it.
    walk.reload(caseworker)
    upload = caseworker.get_by_test_id("bank-result-form")
    walk.choose_file(upload.locator("input[type=file]"), results)
    walk.click(upload.locator("button[type=submit]"))
    wait_for_job(caseworker)
    walk.click(caseworker.get_by_test_id("document-back"))
    failed = caseworker.locator("table[data-testid=bank-failed]")
    expect(failed).to_contain_text(failed_payee)
    failed.get_by_test_id("cash-form").get_by_label("理由").fill("账户已销户，改发现金")
    walk.click(failed.get_by_test_id("cash-form").locator("button[type=submit]"))
    expect(caseworker.get_by_test_id("reconciliation-agrees")).to_be_visible()
    screenshot(caseworker, "85-walk-bank-reconciled")

    # ------------------------------------------------------------------ the rosters
    walk.step("print the cash rosters", "caseworker")
    walk.click(caseworker.get_by_role("link", name="现金发放花名册"))
    walk.click(caseworker.get_by_test_id("roster-pdf"))
    wait_for_job(caseworker)
    words = pdf_of(
        walk.download(
            caseworker, caseworker.get_by_test_id("document-download"), tmp_path / "roster.pdf"
        )
    )
    assert failed_payee in words
    walk.click(caseworker.get_by_test_id("document-back"))

    walk.step("mark the signed rosters", "caseworker")
    scan_form = caseworker.get_by_test_id("scan-form")
    walk.choose_file(scan_form.locator("input[type=file]"), scan(tmp_path / "签领表.jpg"))
    walk.click(scan_form.locator("button[type=submit]"))
    # One household of a team did not sign: that team is marked on its own page.
    walk.click(team_of_several(caseworker).get_by_test_id("team-link"))
    exception = caseworker.get_by_test_id("roster-line").first
    unsigned_name = exception.get_by_role("link").inner_text()
    walk.tick(exception.get_by_role("checkbox"), on=False)
    walk.click(caseworker.get_by_test_id("sign-team"))
    expect(caseworker.get_by_test_id("team-exceptions")).to_contain_text(unsigned_name)
    screenshot(caseworker, "86-walk-team-with-exception")
    walk.click(caseworker.get_by_test_id("roster-link"))
    walk.click(caseworker.get_by_test_id("sign-teams"))
    expect(caseworker.get_by_test_id("roster-unsigned")).to_have_text("1")
    screenshot(caseworker, "87-walk-rosters-signed")

    walk.step("print the campaign report", "caseworker")
    walk.click(caseworker.get_by_test_id("roster-campaign"))
    walk.click(caseworker.get_by_test_id("campaign-report"))
    wait_for_job(caseworker)
    words = pdf_of(
        walk.download(
            caseworker, caseworker.get_by_test_id("document-download"), tmp_path / "report.pdf"
        )
    )
    assert campaign.name in words

    # The pages of the walk as the caseworker's phone shows them (not counted).
    walk.pause()
    for name, url in (
        ("88-walk-campaign-phone", f"{campaign.get_absolute_url()}"),
        ("89-walk-bank-phone", reverse("funds:bank_detail", args=[batch.pk])),
        ("90-walk-roster-phone", reverse("funds:roster_detail", args=[campaign.pk, batch.unit_id])),
    ):
        phone.goto(f"{live_server.url}{url}")
        expect(phone.locator("h1")).to_be_visible()
        screenshot(phone, name)

    # The machine's load beside the times: on a shared machine they stretch with it.
    load = ", ".join(f"{figure:.1f}" for figure in os.getloadavg())
    table = f"{walk.table()}\n\n{HOUSEHOLDS} households; load average at the end: {load}"
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "campaign-walk.txt").write_text(
        f"{table}\n\nEvery answer (ms):\n{walk.answer_lines()}\n"
    )
    print(f"\nThe county's campaign walk:\n{table}")

    # The whole campaign within the budget, every page answered and timed.
    assert walk.clicks <= CLICK_BUDGET
    assert all(a.status < 400 for a in walk.answers())
    assert all(a.ms is not None for a in walk.answers())
    # Every line paid (by bank or against a signature) but the one that was not signed for,
    # which stays approved and flagged on its team's page.
    lines = Disbursement.objects.filter(batch=batch)
    assert set(lines.values_list("status", flat=True)) == {
        DisbursementStatus.PAID,
        DisbursementStatus.APPROVED,
    }
    unpaid = lines.exclude(status=DisbursementStatus.PAID).get()
    assert (unpaid.file.name, unpaid.signed_at) == (unsigned_name, None)
    assert lines.filter(method="bank").count() == lines.exclude(file__bank_account="").count() - 1
    # The ledger balances and the bank's payments agree three ways.
    assert ledger_problems() == []
    reconciliation = bank_reconciliation(batch)
    assert reconciliation.agrees
    assert reconciliation.paid_lines == sum(
        lines.filter(method="bank").values_list("amount", flat=True), Decimal(0)
    )
    # The report is made, and it is the one of this campaign.
    report = GeneratedDocument.objects.filter(kind="campaign_report").latest("pk")
    assert report.status == GeneratedDocument.Status.DONE
    for context in contexts:
        context.close()
