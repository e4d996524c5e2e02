"""Every write to a complaint goes through these services, split by sub-domain:

* ``orders``: the machinery every service shares (lock, side, transition check,
  events, timers, input checks) and the platform's own moves (``_process_due``,
  ``complaint_process_due``: what the sweep and a late action apply);
* ``intake``: filing, the council's forwarding or rejection of what was queued, and the
  delivery of what waited for its business to claim an account;
* ``negotiation``: messages, offers, refusal, withdrawal, urging, fulfilment, rating;
* ``mediation``: the council's mediation after a failure.

The public services are named here, so a caller writes
``from hejie.complaints import services; services.proposal_accept(...)``. A test or
module that needs a private helper or a constant imports it from its sub-module.
"""

from hejie.complaints.services.intake import (
    FILING_LIMIT,
    business_claim,
    complaint_forward,
    complaint_reject,
    complaint_submit,
    review_reason_label,
)
from hejie.complaints.services.mediation import (
    MEDIATION_ROUTES,
    mediation_extend,
    mediation_record_outcome,
    mediation_request,
)
from hejie.complaints.services.negotiation import (
    complaint_rate,
    complaint_refuse,
    complaint_urge,
    complaint_withdraw,
    fulfilment_confirm,
    fulfilment_mark,
    message_post,
    proposal_accept,
    proposal_make,
    proposal_reject,
    urge_acknowledge,
)
from hejie.complaints.services.orders import (
    JUST_AFTER,
    MAX_TEXT,
    complaint_process_due,
    complaint_viewed,
    side_of,
)

__all__ = [
    "FILING_LIMIT", "JUST_AFTER", "MAX_TEXT", "MEDIATION_ROUTES", "side_of", "complaint_submit", "complaint_forward",
    "business_claim", "review_reason_label",
    "complaint_reject", "message_post", "proposal_make", "proposal_accept", "proposal_reject", "complaint_refuse",
    "complaint_withdraw", "complaint_urge", "urge_acknowledge", "mediation_request", "mediation_record_outcome",
    "mediation_extend",
    "fulfilment_mark", "fulfilment_confirm", "complaint_rate", "complaint_process_due",
    "complaint_viewed",
]
