"""The pages every face shares: signing in and out, the inbox and the order page of both parties,
the notices, and the person's own account."""

from django.urls import path

from hejie.web.common import account, auth, notices, orders, wechat

urlpatterns = [
    path("signin/", auth.signin_phone, name="signin"),
    path("signin/code/", auth.signin_code, name="signin-code"),
    path("signin/staff/", auth.signin_staff, name="signin-staff"),
    path("signin/wechat/", wechat.signin_start, name="signin-wechat"),
    path("signin/wechat/callback/", wechat.callback, name="signin-wechat-callback"),
    path("signin/wechat/cancel/", wechat.cancel, name="signin-wechat-cancel"),
    path("signout/", auth.signout, name="signout"),
    path("complaints/", orders.complaint_list, name="complaints"),
    path("complaints/<id:complaint_id>/", orders.complaint_detail, name="complaint"),
    path("complaints/<id:complaint_id>/reply/", orders.order_reply, name="order-reply"),
    path("complaints/<id:complaint_id>/offer/", orders.order_offer, name="order-offer"),
    path("complaints/<id:complaint_id>/accept/", orders.order_accept, name="order-accept"),
    path("complaints/<id:complaint_id>/reject/", orders.order_reject, name="order-reject"),
    path("complaints/<id:complaint_id>/counter/", orders.order_counter, name="order-counter"),
    path("complaints/<id:complaint_id>/refuse/", orders.order_refuse, name="order-refuse"),
    path("complaints/<id:complaint_id>/mediation/", orders.order_mediation, name="order-mediation"),
    path("complaints/<id:complaint_id>/fulfilled/", orders.order_fulfilled, name="order-fulfilled"),
    path("complaints/<id:complaint_id>/confirm/", orders.order_confirm, name="order-confirm"),
    path("complaints/<id:complaint_id>/rate/", orders.order_rate, name="order-rate"),
    path("complaints/<id:complaint_id>/acknowledge/", orders.order_acknowledge, name="order-acknowledge"),
    path("complaints/<id:complaint_id>/withdraw/", orders.order_withdraw, name="order-withdraw"),
    path("notices/", notices.notice_list, name="notices"),
    path("notices/read/", notices.notices_mark_read, name="notices-read"),
    path("account/password/", account.password, name="account-password"),
    path("account/channels/", account.channels, name="account-channels"),
    path("account/data/", account.my_data, name="account-data"),
    path("account/close/", account.close, name="account-close"),
    path("account/wechat/bind/", wechat.bind_start, name="account-wechat-bind"),
]
