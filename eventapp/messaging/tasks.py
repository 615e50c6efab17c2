"""Queue tasks: deliver (in batches) after a commit that queued messages; sweep every minute for anything due."""
import logging

import sqlalchemy as sa
from huey import crontab
from sqlalchemy.orm import Session


log = logging.getLogger(__name__)

# How many messages one queue task sends at most before it hands the rest to a fresh task.
MESSAGES_PER_TASK = 200


def register_tasks(app) -> None:
    huey = app.extensions["huey"]

    @huey.task(name="eventapp.deliver")
    def deliver_task(message_id: int | None = None):  # the id is not needed (older versions passed one)
        """Deliver whatever is due, in batches. After each full batch another task is put in the queue (unless
        one waits there already), so idle workers join in on a backlog."""
        from eventapp.messaging.operations import anything_due, deliver_waiting

        with app.app_context():
            if deliver_waiting(MESSAGES_PER_TASK, on_full_batch=lambda: request_delivery(app)) == \
                    MESSAGES_PER_TASK and anything_due():
                request_delivery(app)  # more is waiting: a fresh task, so this thread serves the queue again

    @huey.periodic_task(crontab(minute="*"), name="eventapp.sweep")
    def sweep_task():
        from eventapp.messaging.operations import sweep

        with app.app_context():
            sweep()

    app.extensions["tasks"] = {"deliver": deliver_task, "sweep": sweep_task}


def request_delivery(app) -> None:
    """Make sure a delivery task waits in the queue. One is enough: it runs after the commit that asked for it, so
    it sees that commit's rows, and a second one would find nothing the first does not send (a task per message
    was most of an idle worker's work). Any waiting task will do because every task in this queue delivers: the
    deliver task and the sweep (tests/messaging/test_delivery.py checks that no other kind is registered). A sweep
    put in the queue by run_sweep_now delivers too, after the background work it was asked for, which does a time
    slice per run (an import: 15 s), so the mail behind such a sweep waits that long at most."""
    if app.extensions["huey"].pending_count() == 0:
        app.extensions["tasks"]["deliver"]()


def run_sweep_now(app=None) -> None:
    """Start background work now rather than at the next minute: a job kicked now and continued by the sweep.
    Such work is a step of the sweep (messaging.operations.every_sweep), which resumes it after a restart too, and
    does a slice per run, asking for the next run with this when there is more. No new kind of task: the sweep
    task is put in the queue, and it delivers, so request_delivery's rule holds. A queue that is down costs only
    the head start: the minute's sweep runs the work."""
    from flask import current_app

    app = app or current_app
    try:
        app.extensions["tasks"]["sweep"]()
    except Exception:  # noqa: BLE001  (queue down: the periodic sweep runs it)
        log.warning("could not put a sweep in the queue; the minute's sweep will run it", exc_info=True)


@sa.event.listens_for(Session, "after_commit")
def _hand_over_after_commit(session):
    """Nothing is enqueued before the commit; an enqueue lost here is picked up by the sweep."""
    if not session.info.pop("outbox", None):
        return
    from flask import current_app, has_app_context

    if not has_app_context() or "tasks" not in current_app.extensions:
        return
    try:
        request_delivery(current_app)
    except Exception:  # noqa: BLE001  (queue down: the sweep delivers it)
        log.warning("could not hand the outbox to the queue; the sweep will pick it up", exc_info=True)


@sa.event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session):
    session.info.pop("outbox", None)
