"""Health checks of the background machinery, for /health/deep/ (django-health-check).

The load balancer's /health/ asks only whether this process reaches the database. Operators'
/health/deep/ asks more: Redis, a worker answering, beat ticking, the queue's length and the
oldest job waiting. Each check says what is wrong without personal data.
"""

import dataclasses
import datetime
import hmac

from django.conf import settings
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from health_check.base import HealthCheck
from health_check.exceptions import ServiceUnavailable, ServiceWarning
from health_check.views import HealthCheckView

from documents.models import GeneratedDocument
from people.access import public

BEAT_TICK_KEY = "health:beat-tick"
# Beat ticks every minute (the schedule in config/settings.py): three missed ticks are news.
BEAT_TICK_LATE = datetime.timedelta(minutes=3)


def beat_tick_record() -> None:
    """Note that beat is alive (its periodic task ran just now)."""
    cache.set(BEAT_TICK_KEY, timezone.now().isoformat(), timeout=24 * 3600)


@dataclasses.dataclass
class BeatTick(HealthCheck):
    """Beat sent its every-minute task, and a worker ran it, within the last three minutes."""

    def run(self) -> None:
        tick = cache.get(BEAT_TICK_KEY)
        if tick is None:
            raise ServiceUnavailable("beat has not ticked in the last day")
        late = timezone.now() - datetime.datetime.fromisoformat(tick)
        if late > BEAT_TICK_LATE:
            raise ServiceUnavailable(f"beat last ticked {int(late.total_seconds())} s ago")


@dataclasses.dataclass
class QueueLength(HealthCheck):
    """The Celery queue in Redis is not piling up (HEALTH_QUEUE_WARN messages or more)."""

    def run(self) -> None:
        broker = settings.CELERY_BROKER_URL
        if not broker.startswith(("redis://", "rediss://")):
            return  # the filesystem broker of `make run`: nothing to measure
        import redis

        client = redis.Redis.from_url(broker, socket_timeout=2)
        try:
            waiting = client.llen(getattr(settings, "CELERY_TASK_DEFAULT_QUEUE", "celery"))
        except redis.RedisError as error:
            raise ServiceUnavailable("the broker does not answer") from error
        finally:
            client.close()
        if waiting >= settings.HEALTH_QUEUE_WARN:
            raise ServiceWarning(f"{waiting} messages wait in the queue")


@dataclasses.dataclass
class OldestPendingJob(HealthCheck):
    """No document or job has waited for a worker longer than HEALTH_JOB_WAIT_MINUTES."""

    def run(self) -> None:
        oldest = (
            GeneratedDocument.objects.filter(status=GeneratedDocument.Status.PENDING)
            .order_by("created_at")
            .values_list("created_at", flat=True)
            .first()
        )
        if oldest is None:
            return
        waited = timezone.now() - oldest
        if waited > datetime.timedelta(minutes=settings.HEALTH_JOB_WAIT_MINUTES):
            raise ServiceUnavailable(f"a job has waited {int(waited.total_seconds() // 60)} min")


# ---------------------------------------------------------------- the two addresses

# For the load balancer: this process answers and reaches the database. Nothing else, so a
# stopped worker does not take the web nodes out of the pool.
health = public(HealthCheckView.as_view(checks=["health_check.checks.Database"]))

_deep = HealthCheckView.as_view(
    checks=[
        "health_check.checks.Database",
        "health_check.checks.Cache",
        "health_check.checks.Storage",
        ("health_check.contrib.celery.Ping", {"timeout": datetime.timedelta(seconds=2)}),
        BeatTick,
        QueueLength,
        OldestPendingJob,
    ]
)


def _operator_token_matches(request: HttpRequest) -> bool:
    token = settings.HEALTH_TOKEN
    given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    return bool(token) and hmac.compare_digest(given.encode(), token.encode())


@public
async def health_deep(request: HttpRequest) -> HttpResponse:
    """Every part of the installation, for operators: a superuser signed in, or a monitoring
    system sending ``Authorization: Bearer <HEALTH_TOKEN>``. Anyone else: 404."""
    user = await request.auser()
    if not (user.is_superuser or _operator_token_matches(request)):
        raise Http404
    response = await _deep(request)
    # A failing part is the answer asked for, not an error of the app: django-health-check
    # logs it as a warning already, and Django's error log would mail the administrators at
    # every probe while, say, a worker is down.
    response._has_been_logged = True
    return response
