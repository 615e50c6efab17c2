"""Contact imports in the background: started from the back office, then run by the outbox's sweep a time slice at
a time (which also resumes a job whose worker stopped: it goes on after the last committed chunk). contacts cannot
reach the sweep (messaging is above it), so the glue is here, beside the import's views."""
import logging
import time

from flask_babel import lazy_gettext as _l

from eventapp.contacts import importing
from eventapp.contacts.models import ImportJob
from eventapp.extensions import db
from eventapp.messaging.operations import every_sweep
from eventapp.messaging.tasks import run_sweep_now

log = logging.getLogger(__name__)

# A sweep imports for this long at most, then asks for another sweep: the mail the sweep delivers after its jobs
# waits no longer, and a 50,000-row list still goes on without a pause.
SECONDS_PER_SWEEP = 15
# A worker holds a job this long after its last chunk; one that died gives it back to a sweep after that.
LEASE_SECONDS = 120


def start_in_background(job: ImportJob, mapping: list[str], consent_text: str) -> None:
    """The organiser chose the mapping: the import runs from the next sweep, which is asked for at once."""
    importing.start(job, mapping, consent_text)
    db.session.commit()
    run_sweep_now()


@every_sweep
def continue_imports() -> None:
    """A slice of each running import nobody holds, within the sweep's time for imports."""
    stop_at = time.monotonic() + SECONDS_PER_SWEEP
    for job_id in importing.runnable_jobs():
        left = stop_at - time.monotonic()
        if left <= 0:
            run_sweep_now()
            return
        if not importing.claim(job_id, LEASE_SECONDS):
            continue  # another worker has it
        try:
            done = importing.run(db.session.get(ImportJob, job_id), seconds=left, lease_seconds=LEASE_SECONDS)
        except Exception:  # noqa: BLE001  (a bug must fail this import once, not at every sweep for ever)
            log.exception("import %s failed", job_id)
            importing.fail(job_id, _l("The import stopped because of an error on our side. The rows in the "
                                      "report were imported; upload the file again to import the rest."))
            continue
        if not done:
            run_sweep_now()  # the rest at once, not in a minute

