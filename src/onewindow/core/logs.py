"""The application log file, kept for at least six months (网络安全法 art. 21(3)).

Rule (issue #9 point 8; GB/T 22239-2019 等保2.0 三级 安全审计: 审计记录保留; OWASP ASVS 5.0 V16):
production writes the application log (logins and lock-outs from django-axes, errors with their
request ids, the scheduler and task workers) to ``ONEWINDOW_LOG_DIR/onewindow.log``, rotated at
midnight and keeping ``ONEWINDOW_LOG_RETENTION_DAYS`` + 10 days of files (at least 190; the
setting's floor of 180 is a system check, core/checks.py).

Every gunicorn worker opens its own handler on the same file, and each would roll it over at
midnight: with the standard handler the second worker deletes the file the first one rotated.
:class:`SharedTimedRotatingFileHandler` rotates under a lock file, and a worker that finds the
day already rotated only reopens the new file.
"""

from __future__ import annotations

import fcntl
import os
import time
from logging.handlers import TimedRotatingFileHandler

RETENTION_FLOOR_DAYS = 180
ROTATION_MARGIN_DAYS = 10


def backup_count(retention_days: int) -> int:
    """Daily files to keep for ``retention_days`` (never fewer than the floor + margin)."""
    return max(retention_days, RETENTION_FLOOR_DAYS) + ROTATION_MARGIN_DAYS


class SharedTimedRotatingFileHandler(TimedRotatingFileHandler):
    """A TimedRotatingFileHandler that several processes may share (one rotation per interval)."""

    def doRollover(self) -> None:
        lock_path = self.baseFilename + ".rotation-lock"
        with open(lock_path, "a") as lock:
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
            try:
                current_time = int(time.time())
                started = self.rolloverAt - self.interval
                rotated_name = self.rotation_filename(self.baseFilename + "." + time.strftime(
                    self.suffix, time.gmtime(started) if self.utc else time.localtime(started)))
                if os.path.exists(rotated_name):
                    # Another process rotated this interval already: write to the new file.
                    if self.stream:
                        self.stream.close()
                        self.stream = None  # type: ignore[assignment]
                    if not self.delay:
                        self.stream = self._open()
                    new_rollover = self.computeRollover(current_time)
                    while new_rollover <= current_time:
                        new_rollover += self.interval
                    self.rolloverAt = new_rollover
                else:
                    super().doRollover()
            finally:
                fcntl.flock(lock.fileno(), fcntl.LOCK_UN)
