"""The one idempotency mechanism of the API: `Idempotency-Key` headers and offline batches' event ids.

A key is bound to the request that first used it — the caller (user or device), the method, the
path and a hash of the body, as the payment APIs do. The same key with the same request answers the
first result again (header `Idempotent-Replayed: true`) without running anything; with another
request it answers 422 `idempotency_key_reused`. Keys are at most 255 characters (400 otherwise).

The first request claims the key with an INSERT before anything runs (the unique constraint decides
races between retries), runs, and stores its answer. A retry that arrives while the first still runs
waits for that answer and replays it (simultaneous retries of one clock all answer the first
result); only if the first has not finished within FIRST_RESULT_WAIT does it answer 409
`idempotency_key_in_use` with `Retry-After`. An answer with a 5xx status, or an exception, releases
the claim, and a waiting retry then claims the key and runs itself.
"""

import functools
import hashlib
import json
import time
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from config.errors import Conflict, DomainError
from organizations.models import IdempotencyKey

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
# A claim whose request died without releasing it (a killed process) is taken over after this long.
ABANDONED_AFTER = timedelta(seconds=60)
# How long a retry waits for the first request's answer before it answers 409 `idempotency_key_in_use`.
FIRST_RESULT_WAIT = timedelta(seconds=10)
_POLL_FIRST, _POLL_MAX = 0.01, 0.2  # seconds between looks at a running claim (doubling)
_UNSTORED_HEADERS = {"content-type", "vary", "allow"}

HEADER_PARAMETER = OpenApiParameter(
    HEADER, location=OpenApiParameter.HEADER, required=False,
    description="At most 255 characters. A retry with the same key and the same request runs once and answers "
    "the first result (header Idempotent-Replayed: true); the same key with another request answers 422 "
    "idempotency_key_reused.",
)


class KeyReused(DomainError):
    status_code = 422
    code = "idempotency_key_reused"


class KeyInUse(Conflict):
    code = "idempotency_key_in_use"


def principal_of(request) -> str:
    """`device:<id>` or `user:<id>`: whose keys these are (needs `request.principal`)."""
    device = request.principal.device
    return f"device:{device.pk}" if device is not None else f"user:{request.user.pk}"


def fingerprint(method: str, path: str, body) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{method}\n{path}\n{canonical}".encode()).hexdigest()


def header_key(request) -> str | None:
    """The request's Idempotency-Key, None without one; 400 `invalid_idempotency_key` when too long."""
    key = request.headers.get(HEADER) or None
    if key is not None and len(key) > IdempotencyKey.MAX_LENGTH:
        raise DomainError(
            f"Idempotency-Key is at most {IdempotencyKey.MAX_LENGTH} characters; this one has {len(key)}.",
            code="invalid_idempotency_key",
        )
    return key


def key_claim(*, organization, principal: str, key: str, print_: str, scope: str = IdempotencyKey.Scope.REQUEST):
    """Claim `key` for a request with this fingerprint.

    Returns (row, True) when this request must run (and then `key_complete` or `key_release`), or
    (row, False) with the stored answer of the first request, waiting up to FIRST_RESULT_WAIT for
    it while that request still runs. Raises KeyReused for another request's key, and KeyInUse when
    the first request has not finished in time. Call outside any transaction.
    """
    scope_filter = {"organization": organization, "principal": principal, "scope": scope, "key": key}
    deadline = time.monotonic() + FIRST_RESULT_WAIT.total_seconds()
    pause = _POLL_FIRST
    while True:
        try:
            with transaction.atomic():
                return IdempotencyKey.objects.create(**scope_filter, fingerprint=print_), True
        except IntegrityError:
            pass
        row = IdempotencyKey.objects.filter(**scope_filter).first()
        if row is not None:
            if row.fingerprint != print_:
                raise KeyReused(
                    "This Idempotency-Key was already used for a different request (another path, body or caller); "
                    "use a new key for a new request."
                )
            if row.status_code is not None:
                return row, False
            now = timezone.now()
            if row.created_at < now - ABANDONED_AFTER and IdempotencyKey.objects.filter(
                pk=row.pk, status_code__isnull=True, created_at=row.created_at
            ).update(created_at=now):
                return row, True
        # Running (or released a moment ago: the next INSERT claims it): wait for the first answer.
        if time.monotonic() + pause > deadline:
            raise KeyInUse("A request with this Idempotency-Key is still being processed; retry shortly.", retry_after=1)
        time.sleep(pause)
        pause = min(pause * 2, _POLL_MAX)


def key_complete(row: IdempotencyKey, *, status_code: int, response) -> None:
    """Store the first request's answer on its claim."""
    IdempotencyKey.objects.filter(pk=row.pk).update(status_code=status_code, response=response)


def key_release(row: IdempotencyKey) -> None:
    """Drop a claim whose request failed, so a retry runs again."""
    IdempotencyKey.objects.filter(pk=row.pk, status_code__isnull=True).delete()


def _replay(row: IdempotencyKey) -> Response:
    stored = row.response
    headers = {**stored["headers"], REPLAYED_HEADER: "true"}
    return Response(stored["body"], status=row.status_code, headers=headers)


def _in_use(error: KeyInUse) -> Response:
    return Response(error.as_dict(), status=error.status_code, headers={"Retry-After": "1"})


def idempotent(handler):
    """Make a DRF view method honour `Idempotency-Key` (see the module docstring).

    Runs after authentication and permissions (`request.principal` is set); errors raised by the
    handler are answered (and stored) through the view's exception handler like any other answer.
    """

    @functools.wraps(handler)
    def wrapper(view, request, *args, **kwargs):
        key = header_key(request)
        if key is None:
            return handler(view, request, *args, **kwargs)
        print_ = fingerprint(request.method, request.get_full_path(), request.data)
        try:
            row, claimed = key_claim(organization=request.principal.organization, principal=principal_of(request),
                                     key=key, print_=print_)
        except KeyInUse as error:
            return _in_use(error)
        if not claimed:
            return _replay(row)
        try:
            try:
                response = handler(view, request, *args, **kwargs)
            except Exception as exc:
                response = view.handle_exception(exc)  # re-raises what the API does not answer
        except BaseException:
            key_release(row)
            raise
        if response.status_code >= 500 or not hasattr(response, "data"):
            key_release(row)
            return response
        headers = {name: value for name, value in response.items() if name.lower() not in _UNSTORED_HEADERS}
        body = json.loads(JSONRenderer().render(response.data) or b"null")
        key_complete(row, status_code=response.status_code, response={"body": body, "headers": headers})
        return response

    return wrapper


def events_claim(request, events: dict[int, tuple[str, dict]]) -> tuple[dict[int, IdempotencyKey], dict[int, dict]]:
    """Claim the event ids of an offline batch, each bound to its item: `events` maps an item's
    index to (event_id, item). Returns the claims whose items must run, and the answers known
    already: the stored result of a replayed event ("duplicate" when it was recorded) or a refusal
    (`idempotency_key_reused`, `idempotency_key_in_use`). Store each run item's result with
    `events_complete`."""
    claims, known = {}, {}
    organization, principal = request.principal.organization, principal_of(request)
    # In event-id order: two pushes sharing events wait for each other in one order, never in a circle.
    for index, (event_id, item) in sorted(events.items(), key=lambda pair: str(pair[1][0])):
        try:
            row, claimed = key_claim(organization=organization, principal=principal, key=event_id,
                                     print_=fingerprint("EVENT", request.path, item), scope=IdempotencyKey.Scope.EVENT)
        except DomainError as error:
            known[index] = {"event_id": event_id, "status": "refused", "code": error.code, "detail": error.detail}
            continue
        if claimed:
            claims[index] = row
        else:
            stored = row.response
            known[index] = {**stored, "status": "duplicate"} if stored["status"] == "recorded" else stored
    return claims, known


def events_complete(claims: dict[int, IdempotencyKey], results: dict[int, dict]) -> None:
    """Store each claimed event's result; release the claims left without one."""
    for index, row in claims.items():
        if index in results:
            key_complete(row, status_code=200, response={k: v for k, v in results[index].items() if k != "index"})
        else:
            key_release(row)
