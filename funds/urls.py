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
