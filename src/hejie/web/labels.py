"""Names of timeline events as people read them (the event types are the services')."""

from django.utils.translation import gettext_lazy as _

EVENT_LABELS = {
    "submitted": _("提交投诉"),
    "deliver": _("送达经营者"),
    "queue": _("转消委审核"),
    "forward": _("消委转交经营者"),
    "forward_external": _("消委转交其他部门"),
    "reject": _("不予受理"),
    "respond": _("经营者首次回复"),
    "message": _("留言"),
    "proposal": _("提出和解方案"),
    "proposal_rejected": _("拒绝和解方案"),
    "accept": _("接受和解方案，和解成功"),
    "refuse": _("经营者拒绝和解"),
    "expire": _("14 天未和解，和解终止"),
    "close_unresponsive": _("消费者未回应，结案"),
    "withdraw": _("撤回投诉"),
    "urge": _("催办"),
    "urge_acknowledged": _("经营者确认催办"),
    "consumer_reminded": _("提醒消费者回复"),
    "request_mediation": _("申请调解"),
    "mediation_settle": _("调解成功"),
    "mediation_fail": _("调解失败"),
    "fulfilment_claimed": _("经营者称已履行"),
    "fulfilment_confirmed": _("消费者确认履行情况"),
    "rated": _("消费者评价"),
}


def event_label(event_type: str) -> str:
    return str(EVENT_LABELS.get(event_type, event_type))
