"""Tencent Cloud SMS (SendSms, API version 2021-01-11) through Tencent's SDK
(``tencentcloud-sdk-python-sms``).

Settings: ``HEJIE_TENCENT_SMS`` (``secret_id``, ``secret_key``, ``region``, ``sdk_app_id``,
``endpoint``, ``scheme``), ``HEJIE_SMS_SIGN_NAME``, ``HEJIE_SMS_TEMPLATES`` (kind -> template id;
the template's variables ``{1}``, ``{2}`` … take the message's ``params`` in order) and
``HEJIE_CHANNEL_TIMEOUT``. The delivery key goes as ``SessionContext``; the ``SerialNo`` that
comes back is the id the delivery reports quote (``sid``).

Outcomes: ``Ok`` -> ``Sent``; throttling, rate and transient internal errors -> ``Retryable``;
bad number, template, signature, credentials or permissions -> ``Permanent``; no answer in time
after the request left -> ``Unknown`` (never sent twice).
"""

from __future__ import annotations

from typing import Any

import requests
from django.conf import settings
from tencentcloud.common import credential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.sms.v20210111 import models, sms_client

from hejie.notifications.backends import DeliveryError, OutboundMessage, Permanent, Retryable, Sent, Unknown
from hejie.notifications.channels import _sms

PROVIDER = "tencent"

# Error codes (Tencent's SMS error code list and the common API errors) that mean "not now":
# the message was not taken and may be later.
_RETRYABLE_PREFIXES = ("LimitExceeded.", "RequestLimitExceeded", "InternalError", "ResourceUnavailable")
_RETRYABLE = frozenset({"FailedOperation.OtherError"})
# ... except these, which no wait mends.
_PERMANENT = frozenset({
    "LimitExceeded.PhoneNumberCountLimit",  # more numbers in one request than allowed
    "LimitExceeded.AppCountryOrRegionInBlacklist",  # the country is blocked for this app
    "InternalError.SigFieldMissing", "InternalError.SigVerificationFail",  # a bad request signature
    "InternalError.RestApiInterfaceNotExist",
})


def classify(code: str, message: str) -> DeliveryError:
    """The delivery error for one of Tencent's error codes (``Response.Error.Code`` or a
    ``SendStatus.Code``): throttling and transient errors are retried, the rest are permanent
    (an invalid number, template, signature, credentials, permissions, or a code we do not know)."""
    text = f"Tencent SMS: {code}: {message}"[:500]
    if code not in _PERMANENT and (code in _RETRYABLE or code.startswith(_RETRYABLE_PREFIXES)):
        return Retryable(text, code=code)
    return Permanent(text, code=code)


def _sdk_error(exc: TencentCloudSDKException) -> DeliveryError:
    code = str(exc.get_code() or "")
    message = str(exc.get_message() or "")
    cause = exc.__context__
    if isinstance(cause, requests.RequestException):
        # the SDK wraps the HTTP library's errors (ClientNetworkError, or a body it could not read)
        return _sms.network_error(cause)
    if cause is not None and not isinstance(cause, TencentCloudSDKException):
        # ... and its own, by class name: an answer it could not read
        return Unknown(f"Tencent SMS: unreadable answer: {code}: {message}"[:500], code="bad_answer")
    if code == "ServerNetworkError":
        # a non-200 answer without Tencent's error body (a gateway's): the API itself answers 200
        # even for errors, so whether the request got through is not known
        return Unknown(f"Tencent SMS: HTTP error answer: {message[:300]}", code="http_error")
    if code == "ClientNetworkError":
        return Unknown(f"Tencent SMS: {message}"[:500], code="network_error")
    return classify(code, message)


class TencentSms:
    """The ``sms`` channel by Tencent Cloud SMS."""

    def _client(self) -> Any:
        conf = settings.HEJIE_TENCENT_SMS
        http = HttpProfile(protocol=conf.get("scheme") or "https", endpoint=conf.get("endpoint") or None,
                           reqMethod="POST", reqTimeout=_sms.timeout())
        profile = ClientProfile(httpProfile=http)
        cred = credential.Credential(conf.get("secret_id", ""), conf.get("secret_key", ""))
        return sms_client.SmsClient(cred, conf.get("region") or "ap-guangzhou", profile)

    def send(self, message: OutboundMessage) -> Sent:
        conf = settings.HEJIE_TENCENT_SMS
        if not (conf.get("secret_id") and conf.get("secret_key") and conf.get("sdk_app_id")):
            raise Permanent("Tencent SMS is not configured (HEJIE_TENCENT_SECRET_ID, HEJIE_TENCENT_SECRET_KEY, "
                            "HEJIE_TENCENT_SMS_APP_ID)", code="not_configured")
        request = models.SendSmsRequest()
        request.SmsSdkAppId = str(conf["sdk_app_id"])
        request.SignName = _sms.sign_name()
        request.TemplateId = _sms.template_for(message.kind)
        request.TemplateParamSet = list(_sms.values(message).values())
        request.PhoneNumberSet = [_sms.e164(message.to)]
        request.SessionContext = message.key
        try:
            response = self._client().SendSms(request)
        except TencentCloudSDKException as exc:
            raise _sdk_error(exc) from exc
        statuses = list(response.SendStatusSet or [])
        if not statuses:
            raise Unknown(f"Tencent SMS: an answer without a send status (request {response.RequestId})",
                          code="bad_answer")
        status = statuses[0]
        if status.Code == "Ok":
            return Sent(provider=PROVIDER, provider_id=str(status.SerialNo or ""))
        raise classify(str(status.Code or ""), str(status.Message or ""))
