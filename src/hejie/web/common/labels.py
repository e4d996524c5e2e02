"""Names people read: of timeline events (their ``EventType`` labels), inbox views and notices."""

from django.utils.translation import gettext_lazy as _

from hejie.complaints.events import EventType


def event_label(event_type: str) -> str:
    """A timeline event's name as people read it: its ``EventType`` label, translated."""
    try:
        return str(EventType(event_type).label)
    except ValueError:
        return event_type


_INBOX_VIEWS = {
    "open": _("进行中"),
    "waiting": _("待我方处理"),
    "overdue": _("已超期"),
    "urged": _("被催办"),
    "closed": _("已结束"),
    "all": _("全部"),
}


def inbox_view_label(view: str, *, consumer: bool = False) -> str:
    return str(_INBOX_VIEWS.get(view, view))


# What each notice is about, in the reader's language (the notice's own title
# and body are written by the services in Chinese; the daily digest's are stored
# bilingual and the notices page shows the reader's half).
NOTICE_LABELS = {
    "delivered": _("新投诉"),
    "submitted": _("投诉已提交"),
    "queued": _("待审核投诉"),
    "forwarded": _("投诉已转交"),
    "rejected": _("投诉不予受理"),
    "message": _("新消息"),
    "proposal": _("新的和解方案"),
    "proposal_rejected": _("消费者拒绝了方案"),
    "settled": _("和解成功"),
    "failed": _("和解终止"),
    "withdrawn": _("投诉已撤回"),
    "urge": _("催办"),
    "reminder": _("请回复和解方案"),
    "unresponsive": _("因未回复结案"),
    "mediation": _("进入消委调解"),
    "mediation_settled": _("调解成功"),
    "mediation_failed": _("调解未成功"),
    "mediation_extended": _("调解期限已延长"),
    "council_queue_due": _("待办即将到期"),
    "council_queue_overdue": _("待办已超期"),
    "fulfilment_claimed": _("商家称已履行"),
    "fulfilment": _("消费者确认履行情况"),
    "blacklist_published": _("黑榜公布"),
    "blacklist_dismissed": _("黑榜候选已驳回"),
    "blacklist_removed": _("已移出黑榜"),
    "redlist_confirmed": _("入选消费者满意商户"),
    "redlist_removed": _("移出消费者满意商户"),
    "partner_applied": _("合作方申请"),
    "partner_approved": _("合作方申请已通过"),
    "partner_refused": _("合作方申请未通过"),
    "partner_import": _("批量入驻"),
    "blacklist_candidate": _("黑榜候选"),
    "blacklist_appealed": _("黑榜申诉"),
    "blacklist_appeal_decided": _("黑榜申诉结果"),
    "business_applied": _("新的入驻申请"),
    "business_approved": _("入驻申请已通过"),
    "business_refused": _("入驻申请未通过"),
    "business_suspended": _("入驻已暂停"),
    "business_reactivated": _("入驻已恢复"),
    "staff_invited": _("员工账号"),
    "digest": _("每日摘要"),
}


def notice_label(event: str) -> str:
    return str(NOTICE_LABELS.get(event, _("通知")))
