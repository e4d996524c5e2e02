"""The council's console: the dashboard and order list (with bulk urging and exports), the order page
and its actions, its own queues by their clocks, the lists and the businesses."""

from django.urls import path

from hejie.web.council import audit, businesses, clocks, dashboard, lists, orders, report

urlpatterns = [
    path("council/", dashboard.dashboard_view, name="council"),
    path("council/orders/", dashboard.order_list, name="council-orders"),
    path("council/orders/urge/", dashboard.urge_bulk, name="council-urge-bulk"),
    path("council/orders/export.csv", dashboard.export_csv, name="council-export-csv"),
    path("council/orders/export.xlsx", dashboard.export_xlsx, name="council-export-xlsx"),
    path("council/orders/<id:complaint_id>/", orders.order_page, name="council-order"),
    path("council/orders/<id:complaint_id>/urge/", orders.order_urge, name="council-order-urge"),
    path("council/orders/<id:complaint_id>/forward/", orders.order_forward, name="council-order-forward"),
    path("council/orders/<id:complaint_id>/forward-external/", orders.order_forward_external,
         name="council-order-external"),
    path("council/orders/<id:complaint_id>/invite/", orders.order_invite_remind, name="council-order-invite"),
    path("council/orders/<id:complaint_id>/invite-contact/", orders.order_invite_contact,
         name="council-order-invite-contact"),
    path("council/orders/<id:complaint_id>/reject/", orders.order_reject, name="council-order-reject"),
    path("council/orders/<id:complaint_id>/mediate/", orders.order_mediate, name="council-order-mediate"),
    path("council/orders/<id:complaint_id>/message/", orders.order_message, name="council-order-message"),
    path("council/orders/<id:complaint_id>/outcome/", orders.order_outcome, name="council-order-outcome"),
    path("council/report/", report.report_page, name="council-report"),
    path("council/report/report.xlsx", report.report_xlsx_view, name="council-report-xlsx"),
    path("council/report/report.pdf", report.report_pdf_view, name="council-report-pdf"),
    path("council/report/orders-12315.csv", report.orders_12315_view, name="council-report-12315"),
    path("council/orders/<id:complaint_id>/extend/", orders.order_extend, name="council-order-extend"),
    path("council/queues/", clocks.queues_page, name="council-queues"),
    path("council/queues/<slug:queue>/", clocks.queues_page, name="council-queue"),
    path("council/lists/", lists.lists_page, name="council-lists"),
    path("council/audit/", audit.audit_page, name="council-audit"),
    path("council/audit/export.csv", audit.audit_export, name="council-audit-export"),
    path("council/lists/black/<id:pk>/publish/", lists.publish, name="council-black-publish"),
    path("council/lists/black/<id:pk>/dismiss/", lists.dismiss, name="council-black-dismiss"),
    path("council/lists/black/<id:pk>/remove/", lists.remove, name="council-black-remove"),
    path("council/lists/appeals/<id:pk>/decide/", lists.appeal, name="council-appeal-decide"),
    path("council/lists/red/<id:pk>/confirm/", lists.confirm, name="council-red-confirm"),
    path("council/lists/red/<id:pk>/remove/", lists.red_remove, name="council-red-remove"),
    path("council/businesses/", businesses.businesses_page, name="council-businesses"),
    path("council/businesses/<id:business_id>/", businesses.business_page, name="council-business"),
    path("council/businesses/<id:business_id>/approve/", businesses.approve, name="council-business-approve"),
    path("council/businesses/<id:business_id>/refuse/", businesses.refuse, name="council-business-refuse"),
    path("council/businesses/<id:business_id>/suspend/", businesses.suspend, name="council-business-suspend"),
    path("council/businesses/<id:business_id>/reactivate/", businesses.reactivate, name="council-business-reactivate"),
]
