"""The kinds of message, and which channels carry each by default: the one table of it.

Every notice has an ``event`` (what happened, as the notice pages name it); each event
belongs to one *kind*, and a person chooses per kind which channels carry it (the in-app
notice is always kept). ``DEFAULTS`` are the choices of someone who has chosen nothing:
new orders and urges by SMS (to the business's on-duty staff), the consumer's order news
by SMS and WeChat, the rest by WeChat and email where the person has bound them.

A few kinds are not preferences: a one-time code (``otp``) and a claim invitation
(``claim``) go by SMS to the number given, at once, whatever the hour.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

SMS, WECHAT, EMAIL = "sms", "wechat", "email"
CHANNELS = (SMS, WECHAT, EMAIL)
CHANNEL_LABELS = {SMS: _("短信"), WECHAT: _("微信"), EMAIL: _("邮件")}

NEW_ORDER = "new_order"
URGE = "urge"
OFFER = "offer"
FULFILMENT = "fulfilment"
LISTS = "lists"
APPEAL = "appeal"
APPLICATION = "application"
ORDER_UPDATE = "order_update"
DIGEST = "digest"
ACCOUNT = "account"
COUNCIL_QUEUE = "council_queue"
# not preferences: sent at once by SMS to the number given
OTP = "otp"
CLAIM = "claim"
URGENT = frozenset({OTP, CLAIM})

# The kinds a person chooses channels for, in the order the settings page lists them.
KIND_LABELS = {
    NEW_ORDER: _("新投诉"),
    URGE: _("催办"),
    OFFER: _("和解方案及答复"),
    FULFILMENT: _("履行确认"),
    LISTS: _("黑名单、红名单通知及决定"),
    APPEAL: _("申诉及其决定"),
    APPLICATION: _("入驻申请及其决定"),
    ORDER_UPDATE: _("投诉的其他进展"),
    DIGEST: _("每日摘要"),
    ACCOUNT: _("账号"),
    COUNCIL_QUEUE: _("消委待办期限提醒及超期督办"),
}
# Every kind's name, the ones that are not preferences included (the list of what was sent).
MESSAGE_LABELS = {**KIND_LABELS, OTP: _("验证码"), CLAIM: _("认领邀请"), "notice": _("通知")}
# Which kinds each audience is offered on the settings page.
AUDIENCE_KINDS = {
    "consumer": (OFFER, FULFILMENT, ORDER_UPDATE),
    "staff": (NEW_ORDER, URGE, OFFER, FULFILMENT, LISTS, APPEAL, APPLICATION, ORDER_UPDATE, DIGEST, ACCOUNT,
              COUNCIL_QUEUE),
}

DEFAULTS: dict[str, dict[str, frozenset[str]]] = {
    "consumer": {
        OFFER: frozenset({SMS, WECHAT}),
        FULFILMENT: frozenset({SMS, WECHAT}),
        ORDER_UPDATE: frozenset({SMS, WECHAT}),
    },
    "staff": {
        NEW_ORDER: frozenset({SMS, WECHAT, EMAIL}),
        URGE: frozenset({SMS, WECHAT, EMAIL}),
        OFFER: frozenset({WECHAT, EMAIL}),
        FULFILMENT: frozenset({WECHAT, EMAIL}),
        LISTS: frozenset({SMS, WECHAT, EMAIL}),
        APPEAL: frozenset({SMS, WECHAT, EMAIL}),
        APPLICATION: frozenset({SMS, WECHAT, EMAIL}),
        ORDER_UPDATE: frozenset({WECHAT}),
        DIGEST: frozenset({EMAIL}),
        ACCOUNT: frozenset({EMAIL}),
        COUNCIL_QUEUE: frozenset({WECHAT, EMAIL}),
    },
}
# Kinds that go to business staff by SMS or WeChat only while they are on duty.
ON_DUTY_KINDS = frozenset({NEW_ORDER, URGE})

# Each notice event (``notify(event=...)``) and the kind it belongs to.
KIND_OF_EVENT = {
    "delivered": NEW_ORDER,
    "queued": NEW_ORDER,
    "urge": URGE,
    "proposal": OFFER,
    "proposal_rejected": OFFER,
    "settled": OFFER,
    "reminder": OFFER,
    "fulfilment_claimed": FULFILMENT,
    "fulfilment": FULFILMENT,
    "blacklist_candidate": LISTS,
    "blacklist_published": LISTS,
    "blacklist_dismissed": LISTS,
    "blacklist_removed": LISTS,
    "redlist_confirmed": LISTS,
    "redlist_removed": LISTS,
    "blacklist_appealed": APPEAL,
    "blacklist_appeal_decided": APPEAL,
    "business_applied": APPLICATION,
    "business_approved": APPLICATION,
    "business_refused": APPLICATION,
    "business_suspended": APPLICATION,
    "business_reactivated": APPLICATION,
    "partner_applied": APPLICATION,
    "partner_approved": APPLICATION,
    "partner_refused": APPLICATION,
    "staff_invited": ACCOUNT,
    "partner_import": ACCOUNT,
    "digest": DIGEST,
    "council_queue_due": COUNCIL_QUEUE,
    "council_queue_overdue": COUNCIL_QUEUE,
}


def kind_of(event: str) -> str:
    """The kind of a notice event; events not listed are news on an order (``order_update``)."""
    return KIND_OF_EVENT.get(event, ORDER_UPDATE)


def default_channels(audience: str, kind: str) -> frozenset[str]:
    return DEFAULTS.get(audience, DEFAULTS["staff"]).get(kind, frozenset())
