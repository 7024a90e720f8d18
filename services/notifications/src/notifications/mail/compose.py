"""The MIME message: a plain-text part always, an HTML alternative, and the headers.

Non-transactional mail carries ``List-Unsubscribe`` (an https URL) and
``List-Unsubscribe-Post: List-Unsubscribe=One-Click`` (RFC 8058). ``Message-ID`` is
made from the delivery key, so a retried delivery carries the same one.
"""

from __future__ import annotations

import email.policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate

from notifications.mail.rendering import RenderedMail

__all__ = ["build_email", "to_bytes"]

#: RFC 5322 allows 998 characters per line. With the usual 78, Python's header folder
#: puts the space between two words in front of the next encoded-word, where decoders
#: drop it: an Arabic subject loses a space at each fold. Long lines keep it whole.
_WIRE_POLICY = email.policy.SMTP.clone(max_line_length=998)


def build_email(
    rendered: RenderedMail,
    *,
    to: str,
    from_address: str,
    from_name: str,
    key: str,
    mail_domain: str,
    category: str,
    unsubscribe_url: str | None,
) -> EmailMessage:
    msg = EmailMessage()
    local, _, domain = from_address.partition("@")
    msg["From"] = Address(display_name=from_name, username=local, domain=domain)
    msg["To"] = to
    msg["Subject"] = rendered.subject
    msg["Date"] = formatdate(usegmt=True)
    msg["Message-ID"] = f"<{key}@{mail_domain}>"
    msg["Auto-Submitted"] = "auto-generated"
    msg["X-Sawt-Category"] = category
    if unsubscribe_url is not None:
        msg["List-Id"] = f"<{category}.{mail_domain}>"
        msg["List-Unsubscribe"] = f"<{unsubscribe_url}>"
        msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    msg.set_content(rendered.text)
    msg.add_alternative(rendered.html, subtype="html")
    # after the parts: set_content and add_alternative move or drop Content-* headers
    msg["Content-Language"] = rendered.language
    return msg


def to_bytes(msg: EmailMessage) -> bytes:
    """The message as it goes on the wire (CRLF line ends, headers kept whole)."""
    return msg.as_bytes(policy=_WIRE_POLICY)
