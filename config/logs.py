"""Log filters: a refused request is one line, not a traceback."""

import logging


class ForbiddenWithoutTraceback(logging.Filter):
    """Django logs "Forbidden (Permission denied)" with the exception's traceback; a 403 is an answer, not a bug."""

    def filter(self, record):
        if getattr(record, "status_code", None) == 403:
            record.exc_info = None
            record.exc_text = None
        return True
