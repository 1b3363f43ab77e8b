"""Opaque secret tokens: shown once, stored hashed, compared by hash."""

import hashlib
import secrets


def new_token(prefix: str = "") -> tuple[str, str]:
    """Return a fresh (token, sha256 hex digest) pair; store only the digest."""
    token = prefix + secrets.token_urlsafe(32)
    return token, hash_token(token)


def hash_token(token: str) -> str:
    """Return the SHA-256 hex digest of a token (tokens are random, so no salt is needed)."""
    return hashlib.sha256(token.encode()).hexdigest()
