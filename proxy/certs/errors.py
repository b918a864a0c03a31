"""The one exception family of the certificate manager.

Messages are written for the user ("the private key does not match ...")
and never carry key material: callers may log or display them as they are.
"""

from __future__ import annotations

__all__ = ["CertError", "InvalidName"]


class CertError(Exception):
    """A certificate operation was refused or failed; the message says why."""


class InvalidName(CertError):
    """One or more host names cannot go into a certificate."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems
