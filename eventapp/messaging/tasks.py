"""Queue tasks: deliver after each commit that queued messages (in batches); sweep every minute for anything due."""
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
    def deliver_task(message_id: int):
        """Handed one message, deliver whatever is due, in batches: with a backlog the first tasks send it all and
        the later ones find nothing left (an idle check is one read)."""
        from eventapp.messaging.operations import anything_due, deliver_waiting

        with app.app_context():
            if deliver_waiting(MESSAGES_PER_TASK) == MESSAGES_PER_TASK and anything_due():
                deliver_task(message_id)  # more is waiting: a fresh task, so this thread serves the queue again

    @huey.periodic_task(crontab(minute="*"), name="eventapp.sweep")
    def sweep_task():
        from eventapp.messaging.operations import sweep

        with app.app_context():
            sweep()

    app.extensions["tasks"] = {"deliver": deliver_task, "sweep": sweep_task}


@sa.event.listens_for(Session, "after_commit")
def _hand_over_after_commit(session):
    """Nothing is enqueued before the commit; an enqueue lost here is picked up by the sweep."""
    message_ids = session.info.pop("outbox", [])
    if not message_ids:
        return
    from flask import current_app, has_app_context

    if not has_app_context() or "tasks" not in current_app.extensions:
        return
    deliver_task = current_app.extensions["tasks"]["deliver"]
    for message_id in message_ids:
        try:
            deliver_task(message_id)
        except Exception:  # noqa: BLE001  (queue down: the sweep delivers it)
            log.warning("could not enqueue message %s; the sweep will pick it up", message_id, exc_info=True)


@sa.event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session):
    session.info.pop("outbox", None)
