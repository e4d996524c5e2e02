"""A real SMTP server on 127.0.0.1 (aiosmtpd, on a port of its own) that keeps what it receives.

The email channel is tested against it through Django's SMTP backend and smtplib, the path
production takes. A test makes it answer as real servers do:

- ``refuse``: recipients answered ``550 5.1.1`` (no such mailbox);
- ``temporary``: how many of the next recipients are answered ``451 4.7.1`` (try again later,
  as a greylisting server does);
- ``stall``: seconds to wait after taking the message (``DATA``) before answering; longer than
  the client's timeout, it gives up not knowing that the message was taken;
- ``users``: ``{login: password}``; when set, the server requires AUTH (``530`` without it,
  ``535`` for wrong credentials).

``messages`` holds each message taken (``Received``: the envelope and the parsed message).
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import warnings
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

HOST = "127.0.0.1"


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage
    raw: bytes

    def text(self) -> str:
        return self.message.get_body(preferencelist=("plain",)).get_content()

    def html(self) -> str:
        return self.message.get_body(preferencelist=("html",)).get_content()


@dataclass
class FakeSMTP:
    refuse: set[str] = field(default_factory=set)
    temporary: int = 0
    stall: float = 0.0
    users: dict[str, str] = field(default_factory=dict)
    messages: list[Received] = field(default_factory=list)
    auth_failures: int = 0
    port: int = 0
    _controller: Any = None

    # --- the handler aiosmtpd calls ---

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if address in self.refuse:
            return f"550 5.1.1 <{address}>: Recipient address rejected: no such mailbox"
        if self.temporary > 0:
            self.temporary -= 1
            return f"451 4.7.1 <{address}>: Recipient address rejected: try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        raw = bytes(envelope.original_content or envelope.content)
        message = email.message_from_bytes(raw, policy=email.policy.default)
        self.messages.append(Received(envelope.mail_from, list(envelope.rcpt_tos), message, raw))
        if self.stall:  # taken, but the answer comes late (or never reaches a client that gave up)
            await asyncio.sleep(self.stall)
        return "250 2.0.0 Ok: queued"

    def authenticate(self, server, session, envelope, mechanism, auth_data):
        if isinstance(auth_data, LoginPassword):
            login, password = auth_data.login.decode(), auth_data.password.decode()
            if self.users.get(login) == password:
                return AuthResult(success=True)
        self.auth_failures += 1
        return AuthResult(success=False, handled=False)

    # --- running it ---

    def start(self) -> FakeSMTP:
        self._controller = _Controller(self)
        self._controller.start()
        self.port = self._controller.port
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def __enter__(self) -> FakeSMTP:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class _Controller(Controller):
    """aiosmtpd's threaded controller on a port the system picks, AUTH required while the fake has users."""

    def __init__(self, fake: FakeSMTP) -> None:
        super().__init__(fake, hostname=HOST, port=0, server_hostname="fake-smtp.test", ready_timeout=10,
                         authenticator=fake.authenticate, auth_require_tls=False)
        self.fake = fake

    def factory(self) -> SMTP:
        with warnings.catch_warnings():  # "AUTH without TLS": on 127.0.0.1, in a test, on purpose
            warnings.simplefilter("ignore", UserWarning)
            return SMTP(self.handler, **{**self.SMTP_kwargs, "auth_required": bool(self.fake.users)})

    def _trigger_server(self) -> None:
        # Listening on port 0: read the port it was given before aiosmtpd connects to it.
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()
