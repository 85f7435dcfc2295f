"""The one exception hierarchy for mistakes a user can fix.

A pipeline raises :class:`UserError` (or a subclass) with a message written for the person
who gave the input: it reaches them as a plain notice, and the server logs one line. Any other
exception is the server's fault: the UI edge logs its traceback and shows a short
"something went wrong on the server" message (see ``tabs/common.py``, docs/ARCHITECTURE.md).

``UserError`` derives from ``ValueError`` so that callers who caught ``ValueError`` before the
hierarchy existed keep working; the UI edge no longer treats a bare ``ValueError`` (often a
numpy or library bug) as the user's fault.
"""

from __future__ import annotations


class UserError(ValueError):
    """Input or a choice the user can change; the message says what to do."""


class AudioError(UserError):
    """Audio a user gave that cannot be used (empty, corrupt, too long, NaN...)."""


class ModelUnavailable(UserError):
    """The model cannot be used here (not installed, needs the hub, bad folder); says why and what to do."""
