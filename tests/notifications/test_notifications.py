import pytest
import redis
from django.db import transaction

from hejie.notifications.backends import MemoryBackend, OutboundMessage
from hejie.notifications.models import Delivery, Notification
from hejie.notifications.services import notify
from tests.conftest import redis_url

MEMORY = "hejie.notifications.backends.MemoryBackend"


@pytest.fixture
def outbox(settings):
    settings.HEJIE_NOTIFICATION_BACKENDS = {c: MEMORY for c in ("sms", "wechat", "email", "webhook")}
    MemoryBackend.outbox.clear()
    yield MemoryBackend.outbox
    MemoryBackend.outbox.clear()


def test_notice_is_stored_and_sent_after_commit(consumer, outbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        notify(users=[consumer], event="x", title="标题", body="内容")
        assert outbox == []  # nothing leaves before the transaction commits
    assert Notification.objects.filter(user=consumer, event="x").count() == 1
    [delivery] = Delivery.objects.filter(user=consumer)
    assert outbox == [OutboundMessage("sms", consumer.phone, "标题", "内容", {"event": "x", "lang": "zh-hans"},
                                      kind="order_update",
                                      params={"title": "标题"}, key=f"hejie-{delivery.pk}")]
    assert delivery.status == "sent" and delivery.provider == "memory" and delivery.provider_id == "mem-1"


def test_nothing_is_sent_for_a_rolled_back_change(consumer, outbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        try:
            with transaction.atomic():
                notify(users=[consumer], event="x", title="t")
                raise RuntimeError
        except RuntimeError:
            pass
    assert callbacks == [] and outbox == []
    assert not Notification.objects.exists()


def test_a_broken_channel_does_not_break_the_action(consumer, settings, django_capture_on_commit_callbacks):
    settings.HEJIE_NOTIFICATION_BACKENDS = {"sms": "hejie.notifications.backends.DoesNotExist"}
    with django_capture_on_commit_callbacks(execute=True):
        notify(users=[consumer], event="x", title="t")
    assert Notification.objects.count() == 1


def test_lifecycle_events_tell_the_right_people(delivered, staff, consumer):
    events = set(Notification.objects.filter(user=staff).values_list("event", flat=True))
    assert "delivered" in events
    assert set(Notification.objects.filter(user=consumer).values_list("event", flat=True)) == {"submitted"}


BROKER = redis_url(1)  # this run's own Redis database for this test


def _redis_up() -> bool:
    try:
        return redis.Redis.from_url(BROKER, socket_connect_timeout=1).ping()
    except redis.RedisError:
        return False


@pytest.mark.skipif(not _redis_up(), reason="needs the Redis on localhost")
def test_with_a_broker_messages_go_through_a_celery_worker(settings, outbox, reference_data, make_user,
                                                           django_capture_on_commit_callbacks):
    """A real Redis broker and a real (in-thread) Celery worker. Transactional: the worker's
    thread reads the delivery rows through its own connection."""
    consumer = make_user("consumer")
    from celery import Celery
    from celery.contrib.testing.worker import start_worker

    import hejie.notifications.tasks  # noqa: F401 - registers the shared task

    url = BROKER
    redis.Redis.from_url(url).flushdb()
    settings.CELERY_BROKER_URL = url
    # The project's app carries Celery's Django fixup, which closes database
    # connections around tasks: right for a worker process, wrong inside a test
    # transaction. The same shared task runs on a bare app here.
    app = Celery("hejie-test", broker=url, fixups=[], set_as_current=False)
    app.conf.task_ignore_result = True
    app.set_current()
    try:
        with start_worker(app, perform_ping_check=False, pool="solo", shutdown_timeout=10):
            with django_capture_on_commit_callbacks(execute=True):
                notify(users=[consumer], event="x", title="经由队列", body="b")
            import time

            for _ in range(100):
                if outbox:
                    break
                time.sleep(0.1)
        assert [m.title for m in outbox] == ["经由队列"]
    finally:
        from hejie.celery import app as project_app

        project_app.set_current()
        redis.Redis.from_url(url).flushdb()
