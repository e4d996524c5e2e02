"""WeChat Official Account: template messages (the ``wechat`` channel's backend) and the web
sign-in (OAuth ``snsapi_base``: the person's openid, nothing else).

Settings: ``HEJIE_WECHAT`` (``app_id``, ``app_secret``, ``api_base``, ``oauth_base`` and
``templates``, the template id for each kind of message) and ``HEJIE_PUBLIC_URL`` (a message's
link is made absolute with it). The calls go through wechatpy's ``WeChatClient`` and
``WeChatOAuth``, pointed at ``api_base``/``oauth_base`` so that the tests reach the fake server
(``tests/fakes/wechat.py``).

Outcomes of ``message/template/send`` (WeChat's global return codes):

- ``0``: ``Sent(provider="wechat", provider_id=msgid)``.
- ``40001``/``40014``/``42001`` (access token invalid or expired): a new token is fetched and the
  message sent once more; the same answer again is ``Retryable``.
- ``-1`` (system busy), ``45009`` (API quota), ``45047`` (too many messages to the person):
  ``Retryable``.
- ``43004`` (the person does not follow the account), ``40003`` (invalid openid), ``40037``
  (invalid template id), ``47003`` (template argument invalid), any other code: ``Permanent``
  (the pipeline falls back to SMS).
- No answer in time after the request was sent: ``Unknown`` (never sent twice). The token is
  fetched before the message is sent, so a failure to get one is ``Retryable`` (or ``Permanent``
  for bad credentials).
"""

from __future__ import annotations

import threading
import time
from typing import Any
from urllib.parse import quote

import requests
from django.conf import settings
from django.utils.translation import gettext as _
from wechatpy import WeChatClient, WeChatOAuth
from wechatpy.exceptions import WeChatClientException, WeChatOAuthException
from wechatpy.session.memorystorage import MemoryStorage

from hejie.notifications.backends import OutboundMessage, Permanent, Retryable, Sent, Unknown

PROVIDER = "wechat"
TOKEN_ERRORS = frozenset({40001, 40014, 42001})
RETRYABLE = frozenset({-1, 45009, 45047})
# Answers to the token request that no retry will change: wrong app id or secret, IP not allowed.
BAD_CREDENTIALS = frozenset({40001, 40002, 40013, 40125, 40164, 41002, 41004})


def config() -> dict[str, Any]:
    conf: dict[str, Any] = dict(getattr(settings, "HEJIE_WECHAT", {}) or {})
    for key in ("api_base", "oauth_base"):
        base = str(conf.get(key) or "")
        conf[key] = base if base.endswith("/") else base + "/"
    return conf


def enabled() -> bool:
    """WeChat is configured (an app id and its secret)."""
    conf = config()
    return bool(conf.get("app_id") and conf.get("app_secret"))


def _timeout() -> float:
    return float(getattr(settings, "HEJIE_CHANNEL_TIMEOUT", 10))


# --- template messages ---------------------------------------------------------------------


class _Client(WeChatClient):
    """wechatpy's client on a configurable base URL, with a timeout on the token request too
    (wechatpy 1.8 sends it without one and only to api.weixin.qq.com)."""

    def __init__(self, app_id: str, secret: str, api_base: str, timeout: float) -> None:
        super().__init__(app_id, secret, session=MemoryStorage(), timeout=timeout, auto_retry=False)
        self.API_BASE_URL = api_base + "cgi-bin/"
        self._token_url = api_base + "cgi-bin/token"

    def fetch_access_token(self) -> dict[str, Any]:
        res = self._http.get(self._token_url, timeout=self.timeout, params={
            "grant_type": "client_credential", "appid": self.appid, "secret": self.secret})
        res.raise_for_status()
        result: dict[str, Any] = res.json()
        errcode = int(result.get("errcode") or 0)
        if errcode or not result.get("access_token"):
            raise WeChatClientException(errcode, result.get("errmsg", ""), client=self, request=res.request,
                                        response=res)
        expires_in = int(result.get("expires_in") or 7200)
        self.session.set(self.access_token_key, result["access_token"], expires_in)
        self.expires_at = int(time.time()) + expires_in
        return result


# One client per configuration, so that the access token (valid two hours) is fetched once
# per process, not once per message.
_clients: dict[tuple[str, str, str], _Client] = {}
_clients_lock = threading.Lock()


def _client(conf: dict[str, Any]) -> _Client:
    key = (str(conf["app_id"]), str(conf["app_secret"]), str(conf["api_base"]))
    with _clients_lock:
        client = _clients.get(key)
        if client is None:
            client = _clients[key] = _Client(key[0], key[1], key[2], _timeout())
        client.timeout = _timeout()
        return client


def _code(exc: WeChatClientException) -> int | None:
    try:
        return int(exc.errcode)
    except (TypeError, ValueError):
        return None


def _absolute(url: str) -> str:
    if not url or url.startswith(("http://", "https://")):
        return url
    base = str(getattr(settings, "HEJIE_PUBLIC_URL", "")).rstrip("/")
    return f"{base}/{url.lstrip('/')}"


def template_data(message: OutboundMessage) -> dict[str, dict[str, str]]:
    """The template's fields (``{"name": {"value": ...}}``): the message's ``params`` in order (a
    notice's are ``title``, unless its sender gave others), and ``first`` (the whole title) and
    ``remark`` (the body) where the params do not name them. WeChat fills the fields its template
    names (``{{first.DATA}}``, ``{{title.DATA}}`` …) and ignores the others."""
    params: dict[str, str] = {str(k): str(v) for k, v in (message.params or {}).items()}
    for key, value in (("first", message.title), ("remark", message.body)):
        if value:
            params.setdefault(key, value)
    return {k: {"value": v} for k, v in params.items()}


class WeChatTemplate:
    """The ``wechat`` channel: a template message to a follower of the Official Account."""

    def send(self, message: OutboundMessage) -> Sent:
        conf = config()
        if not enabled():
            raise Permanent("WeChat is not configured (HEJIE_WECHAT app_id and app_secret)", code="config")
        template_id = (conf.get("templates") or {}).get(message.kind)
        if not template_id:
            raise Permanent(f"no WeChat template for messages of kind {message.kind!r} "
                            f"(HEJIE_WECHAT['templates'])", code="no_template")
        if not message.to:
            raise Permanent("no openid to send to", code="40003")
        client = _client(conf)
        self._token(client)
        data, url = template_data(message), _absolute(message.url)
        for attempt in (1, 2):
            try:
                result = client.message.send_template(message.to, template_id, data, url=url or None)
            except WeChatClientException as exc:
                code = _code(exc)
                if code in TOKEN_ERRORS and attempt == 1:
                    client.session.delete(client.access_token_key)
                    self._token(client)
                    continue
                raise self._error(exc, code) from exc
            except requests.ConnectionError as exc:  # refused or not connected: nothing was sent
                raise Retryable(f"WeChat unreachable: {exc}", code="connect") from exc
            except requests.Timeout as exc:  # sent, no answer in time: it may have been taken
                raise Unknown(f"WeChat did not answer in time: {exc}", code="timeout") from exc
            if not isinstance(result, dict):  # an answer that is not WeChat's JSON: it may have been taken
                raise Unknown("WeChat's answer was not JSON", code="answer")
            return Sent(provider=PROVIDER, provider_id=str(result.get("msgid", "")))
        raise AssertionError("unreachable")  # pragma: no cover

    @staticmethod
    def _token(client: _Client) -> None:
        """Make sure the client holds an access token; before the message is sent, so any
        failure here certainly sent nothing."""
        try:
            client.access_token  # noqa: B018 (the property fetches the token when there is none)
        except WeChatClientException as exc:
            code = _code(exc)
            if code in BAD_CREDENTIALS:
                raise Permanent(f"WeChat refused the app's credentials: {exc}", code=str(code)) from exc
            raise Retryable(f"WeChat access token not obtained: {exc}", code=str(code or "token")) from exc
        except (requests.RequestException, ValueError) as exc:
            raise Retryable(f"WeChat access token not obtained: {exc}", code="token") from exc

    @staticmethod
    def _error(exc: WeChatClientException, code: int | None) -> Exception:
        text = f"WeChat errcode {exc.errcode}: {exc.errmsg}"
        if code is None:  # an HTTP error status: the request reached WeChat and may have been taken
            return Unknown(f"WeChat answered HTTP {getattr(exc.response, 'status_code', '?')}", code="http")
        if code in TOKEN_ERRORS or code in RETRYABLE:
            return Retryable(text, code=str(code))
        return Permanent(text, code=str(code))


# --- web sign-in (OAuth, snsapi_base) ------------------------------------------------------


class OAuthRefused(Exception):
    """WeChat did not give the person's openid; ``str()`` is the message for the person."""

    def __init__(self, message: str, *, code: str = "") -> None:
        super().__init__(message)
        self.code = code


class _OAuth(WeChatOAuth):
    def __init__(self, conf: dict[str, Any], redirect_uri: str, state: str) -> None:
        super().__init__(conf["app_id"], conf["app_secret"], redirect_uri, scope="snsapi_base", state=state)
        self.API_BASE_URL = conf["api_base"]
        self.OAUTH_BASE_URL = conf["oauth_base"]

    def _request(self, method: str, url_or_endpoint: str, **kwargs: Any) -> dict[str, Any]:
        kwargs.setdefault("timeout", _timeout())
        result: dict[str, Any] = super()._request(method, url_or_endpoint, **kwargs)
        return result


def authorize_url(*, redirect_uri: str, state: str) -> str:
    """Where to send the person's browser (inside WeChat) to ask for their openid."""
    conf = config()
    url: str = _OAuth(conf, redirect_uri, quote(state, safe="")).authorize_url
    return url


def openid_for_code(code: str) -> str:
    """The openid WeChat gives for the ``code`` it put on the callback; ``OAuthRefused`` otherwise."""
    if not enabled():
        raise OAuthRefused(_("本站尚未开通微信登录。"), code="config")
    if not code:
        raise OAuthRefused(_("微信没有给出授权，请重新用微信登录。"), code="no_code")
    oauth = _OAuth(config(), "", "")
    try:
        result = oauth.fetch_access_token(code)
    except WeChatOAuthException as exc:
        errcode = str(exc.errcode)
        if errcode == "40029":
            raise OAuthRefused(_("微信授权码无效，请重新用微信登录。"), code=errcode) from exc
        if errcode == "40163":
            raise OAuthRefused(_("微信授权码已经用过，请重新用微信登录。"), code=errcode) from exc
        raise OAuthRefused(_("微信登录失败（错误码 %(code)s），请稍后再试。") % {"code": errcode or "HTTP"},
                           code=errcode) from exc
    except (requests.RequestException, ValueError, KeyError) as exc:
        raise OAuthRefused(_("暂时无法连接微信，请稍后再试。"), code="network") from exc
    openid = str(result.get("openid") or "")
    if not openid:
        raise OAuthRefused(_("微信没有给出授权，请重新用微信登录。"), code="no_openid")
    return openid
