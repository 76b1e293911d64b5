"""Authentication failures, HTTP-free: the Flask layer renders them as 401 + WWW-Authenticate."""

from __future__ import annotations


class InvalidToken(Exception):
    """The bearer token is missing, unknown, malformed, badly signed, expired or for someone else."""

    def __init__(self, message: str, issue_code: str = "security"):
        super().__init__(message)
        self.message = message
        self.issue_code = issue_code  # OperationOutcome issue type: login / security / expired


class AuthConfigError(ValueError):
    """The configured mode cannot work (missing tokens file, no JWKS, ...): refuse to start."""
