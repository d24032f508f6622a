"""How one personal field is sealed: AES-256-GCM under the owner's data key, written into
the field as text, so events keep their shape and the stores need not know (ADR 27).

A sealed field reads `sealed:1:<key id>:<nonce and ciphertext, base64url>`. The event's id
and the field's path are authenticated with it, so a sealed value copied into another
field or event does not open. The nonce is synthetic, an HMAC of the key, the binding and
the text: sealing the same field twice gives the same value (a rewrite of a log can be
verified byte for byte), and two different texts never share a nonce under one key.
A field that was forgotten when it was sealed (a log rewritten after forgetting) names a
key that never exists, so it reads as forgotten for good.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

PREFIX = "sealed:1:"
FORGOTTEN_SEAL = f"{PREFIX}forgotten:"
_NONCE_BYTES = 12
_PREFIX_LENGTH = len(PREFIX)
_FROM_URLSAFE = bytes.maketrans(b"-_", b"+/")


class SealBrokenError(ValueError):
    """A sealed value does not open with its key: the log or the key store was altered."""


def seal(cipher: AESGCM, secret: bytes, key_id: str, text: str, bound_to: bytes) -> str:
    plain = text.encode()
    nonce = hmac.digest(secret, bound_to + b"\x00" + plain, hashlib.sha256)[:_NONCE_BYTES]
    sealed = cipher.encrypt(nonce, plain, bound_to)
    return f"{PREFIX}{key_id}:{base64.urlsafe_b64encode(nonce + sealed).decode()}"


def key_id_of(value: str) -> str | None:
    """The key a sealed value needs; None for a value written in the clear (before
    sealing, or not personal)."""
    parts = split_sealed(value)
    return None if parts is None else parts[0]


def split_sealed(value: str) -> tuple[str, str] | None:
    """(key id, sealed text) of a sealed value; None for a value written in the clear."""
    if not value.startswith(PREFIX):
        return None
    key_id, separator, blob = value[_PREFIX_LENGTH:].partition(":")
    return (key_id, blob) if separator else None


def unseal(cipher: AESGCM, blob: str, bound_to: bytes) -> str:
    """The text sealed as `blob` (the part of a sealed value after its key id)."""
    try:
        # What base64.urlsafe_b64decode does, without its layers: every field of every
        # event read passes here.
        raw = binascii.a2b_base64(blob.encode("ascii").translate(_FROM_URLSAFE))
        return cipher.decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], bound_to).decode()
    except (InvalidTag, ValueError) as error:
        raise SealBrokenError("a sealed field does not open with its key") from error


def binding(event_id: str, path: str) -> bytes:
    return f"{event_id}\x1f{path}".encode()
