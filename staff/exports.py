"""Timesheet as CSV (one row per staff member, then a totals row)."""

import csv
import io

COLUMNS = [
    ("staff_id", "Staff ID"), ("first_name", "First name"), ("last_name", "Last name"), ("department", "Department"),
    ("days_worked", "Days worked"), ("sessions", "Sessions"), ("hours_worked", "Hours worked"),
    ("scheduled_hours", "Scheduled hours"), ("overtime_hours", "Overtime hours"), ("breaks", "Breaks"),
    ("break_hours", "Break hours"), ("half_days", "Half days"),
    ("late_arrivals", "Late arrivals"), ("late_minutes", "Late minutes"), ("early_leaves", "Early leaves"),
    ("auto_closed", "Auto-closed sessions"), ("open_sessions", "Open sessions"), ("hourly_rate", "Hourly rate"),
    ("pay", "Pay"),
]


def timesheet_csv(data: dict) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([label for _, label in COLUMNS])
    for entry in data["staff"]:
        writer.writerow([_cell(entry.get(key, "")) for key, _ in COLUMNS])
    totals = {"first_name": "TOTAL", **data["totals"]}
    writer.writerow([_cell(totals.get(key, "")) for key, _ in COLUMNS])
    return out.getvalue()


def _cell(value) -> str:
    text = str(value)
    # A name starting with = + - @ (or a tab or carriage return before one) would run as a formula in a spreadsheet.
    # A signed number ("-3.50") is a value, not a formula.
    if text[:1] in ("=", "+", "-", "@", "\t", "\r") and not (text[:1] in "+-" and _is_number(text)):
        return "'" + text
    return text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def csv_filename(data: dict) -> str:
    return f"timesheet-{data['hotel']['slug']}-{data['start']}-{data['end']}.csv"
