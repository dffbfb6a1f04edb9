from django.urls import path

from funds.views import funds as views

app_name = "funds"

urlpatterns = [
    # Funds, money in and down
    path("", views.fund_list, name="fund_list"),
    path("new/", views.fund_new, name="fund_new"),
    path("<int:pk>/", views.fund_detail, name="fund_detail"),
    path("<int:pk>/receipts/new/", views.receipt_new, name="receipt_new"),
    path("<int:pk>/allocations/new/", views.allocation_new, name="allocation_new"),
    # Payments to households
    path("files/<int:file_pk>/payments/new/", views.disbursement_new, name="disbursement_new"),
    path("payments/waiting/", views.disbursement_waiting, name="disbursement_waiting"),
    path("payments/<int:pk>/", views.disbursement_detail, name="disbursement_detail"),
    path("payments/<int:pk>/approve/", views.disbursement_approve, name="disbursement_approve"),
    path("payments/<int:pk>/reject/", views.disbursement_reject, name="disbursement_reject"),
    path("payments/<int:pk>/cancel/", views.disbursement_cancel, name="disbursement_cancel"),
    path("payments/<int:pk>/pay/", views.disbursement_pay, name="disbursement_pay"),
]

# Rosters (发放花名册/签领表) and the printed statement. Appended with its own import so
# that other areas can add their routes above without touching these lines.
from funds.views import rosters as roster_views  # noqa: E402

urlpatterns += [
    path("rosters/", roster_views.roster_list, name="roster_list"),
    path(
        "rosters/<int:campaign_pk>/<int:unit_pk>/",
        roster_views.roster_detail,
        name="roster_detail",
    ),
    path(
        "rosters/<int:campaign_pk>/<int:unit_pk>/documents/<str:kind>/",
        roster_views.roster_document,
        name="roster_document",
    ),
    path(
        "rosters/<int:campaign_pk>/<int:unit_pk>/scans/",
        roster_views.roster_scan_upload,
        name="roster_scan_upload",
    ),
    path(
        "rosters/<int:campaign_pk>/<int:unit_pk>/sign/",
        roster_views.roster_sign_teams,
        name="roster_sign_teams",
    ),
    # A team is its visit list's pk; 0 for the payments of households on no list.
    path(
        "rosters/<int:campaign_pk>/<int:unit_pk>/teams/<int:team>/",
        roster_views.roster_team,
        name="roster_team",
    ),
    path(
        "rosters/<int:campaign_pk>/<int:unit_pk>/teams/<int:team>/sign/",
        roster_views.roster_sign,
        name="roster_sign",
    ),
    path("rosters/scans/<int:pk>/", roster_views.roster_scan_download, name="roster_scan_download"),
    path(
        "<int:pk>/statement.pdf",
        roster_views.fund_statement_document,
        name="fund_statement_document",
    ),
]

# Bulk payments (批量发放): a campaign's visit money for a branch's frozen visit lists.
from funds.views import batches as batch_views  # noqa: E402

urlpatterns += [
    path("batches/", batch_views.batch_list, name="batch_list"),
    path(
        "batches/new/<int:campaign_pk>/<int:unit_pk>/",
        batch_views.batch_new,
        name="batch_new",
    ),
    path("batches/<int:pk>/", batch_views.batch_detail, name="batch_detail"),
    path("batches/<int:pk>/approve/", batch_views.batch_approve, name="batch_approve"),
    path("batches/<int:pk>/reject/", batch_views.batch_reject, name="batch_reject"),
]

# Money by unit (资金收支汇总): a unit's branch over a period, drilled down by child unit.
from funds.views import units as unit_views  # noqa: E402

urlpatterns += [
    path("units/", unit_views.money_by_unit_page, name="money_by_unit"),
    path("units/<int:pk>/", unit_views.money_by_unit_page, name="money_by_unit_unit"),
]

# Campaign budgets, reversing money in and down (冲正), confirming an allocation arrived.
from funds.views import budgets as budget_views  # noqa: E402

urlpatterns += [
    path("budgets/", budget_views.budget_index, name="budget_index"),
    path("budgets/<int:campaign_pk>/", budget_views.budget_list, name="budget_list"),
    path("budgets/<int:campaign_pk>/set/", budget_views.budget_set, name="budget_set"),
    path("budgets/<int:campaign_pk>/split/", budget_views.budget_split, name="budget_split"),
    path("receipts/<int:pk>/reverse/", budget_views.receipt_reverse, name="receipt_reverse"),
    path(
        "allocations/<int:pk>/reverse/",
        budget_views.allocation_reverse,
        name="allocation_reverse",
    ),
    path(
        "allocations/<int:pk>/confirm/",
        budget_views.allocation_confirm,
        name="allocation_confirm",
    ),
]

# Schooling grants on a public notice (公示) before payment.
from funds.views import grant_notices  # noqa: E402

urlpatterns += [
    path("grant-notices/new/", grant_notices.grant_notice_new, name="grant_notice_new"),
]

# Bank payments in bulk (银行代发): an approved batch's payment files and the bank's results.
from funds.views import bank as bank_views  # noqa: E402

urlpatterns += [
    path("batches/<int:pk>/bank/", bank_views.bank_detail, name="bank_detail"),
    path("batches/<int:pk>/bank/export/", bank_views.bank_export, name="bank_export"),
    path("batches/<int:pk>/bank/results/", bank_views.bank_results, name="bank_results"),
    path("bank/files/<int:pk>/download/", bank_views.bank_download, name="bank_download"),
    path("bank/lines/<int:pk>/reissue/", bank_views.bank_line_reissue, name="bank_line_reissue"),
    path("bank/lines/<int:pk>/cash/", bank_views.bank_line_cash, name="bank_line_cash"),
]

# Schooling grants (金秋助学 standards), kept by the unit administrators of the branch.
from funds.views import standards as standard_views  # noqa: E402

urlpatterns += [
    path(
        "schooling-grants/", standard_views.schooling_standard_list, name="schooling_standard_list"
    ),
    path(
        "schooling-grants/new/",
        standard_views.schooling_standard_new,
        name="schooling_standard_new",
    ),
    path(
        "schooling-grants/<int:pk>/",
        standard_views.schooling_standard_edit,
        name="schooling_standard_edit",
    ),
]
