"""CSV output for the billing and payroll reports (`?format=csv` or `Accept: text/csv`)."""

import csv
import io

from rest_framework.renderers import BaseRenderer


class CSVRenderer(BaseRenderer):
    """Render `data["csv"]` (a list of flat dicts, first row's keys as header); errors as code,detail."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        rows = data.get("csv") if isinstance(data, dict) else None
        if rows is None:
            rows = [{"code": data.get("code", ""), "detail": data.get("detail", "")}] if isinstance(data, dict) else []
        out = io.StringIO()
        if rows:
            writer = csv.DictWriter(out, fieldnames=list(rows[0].keys()), lineterminator="\r\n")
            writer.writeheader()
            writer.writerows(rows)
        # Text, not bytes: DRF keeps the Content-Type of an empty text answer (a month with no rows).
        return out.getvalue()
