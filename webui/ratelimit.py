"""Rate limits of the public pages, kept in the database (engine.ratelimits) so that every web process
shares them.

Dossier codes are sequential (Circular 01/2018: ``<unit>-YYMMDD-NNNN``), so anyone could walk them and
collect statuses and masked names: one client address may look up at most ``PUBLIC_LOOKUP_RATE_LIMIT``
dossiers per window (default 30 per minute, far above what a citizen tracking a dossier needs), on the
portal page, the API and the result download together. The result download also counts wrong receipt
secrets per dossier code *and* address (``RESULT_SECRET_RATE_LIMIT``): someone guessing the secret of a
dossier locks out only their own address, never the applicant, whose right secret is still accepted from
anywhere else (and, from the same address, within the lookup limit once the window has passed).
"""

from __future__ import annotations

from flask import abort, current_app, request
from flask_babel import gettext as _

from engine import RateLimit, TooManyAttempts, count_attempt, forgive_attempt
from webui.extensions import get_engine


def _limit(name: str) -> RateLimit:
    attempts, seconds = current_app.config[name]
    return RateLimit(int(attempts), int(seconds))


def _address() -> str:
    return request.remote_addr or "-"


def client_address() -> str:
    """The client's address as the rate limits key it (behind trusted proxies: the forwarded one)."""
    return _address()


def check_public_lookup() -> None:
    """Abort with 429 when this client address has looked up too many dossiers lately."""
    try:
        count_attempt(get_engine(), {f"lookup:{_address()}": _limit("PUBLIC_LOOKUP_RATE_LIMIT")})
    except TooManyAttempts:
        abort(429, _("Tra cứu quá nhiều hồ sơ trong thời gian ngắn; hãy thử lại sau ít phút."))


def secret_key(code: str) -> str:
    return f"secret:{_address()}|{code.strip().lower()[:64]}"


def check_result_secret(code: str) -> None:
    """Count an attempt at a dossier's receipt secret (and a lookup); 429 when over either limit."""
    try:
        count_attempt(get_engine(), {secret_key(code): _limit("RESULT_SECRET_RATE_LIMIT"),
                                     f"lookup:{_address()}": _limit("PUBLIC_LOOKUP_RATE_LIMIT")})
    except TooManyAttempts:
        abort(429, _("Nhập sai quá nhiều lần; hãy thử lại sau ít phút."))


def right_secret(code: str) -> None:
    """The secret was right: the attempt does not count against this address."""
    forgive_attempt(get_engine(), [secret_key(code)])


def check_feedback_submission() -> None:
    """Abort with 429 when this client address has sent too much feedback lately (FEEDBACK_RATE_LIMIT)."""
    try:
        count_attempt(get_engine(), {f"feedback:{_address()}": _limit("FEEDBACK_RATE_LIMIT")})
    except TooManyAttempts:
        abort(429, _("Gửi quá nhiều phản ánh trong thời gian ngắn; hãy thử lại sau."))
