"""Input fields shared by every API: integers bounded by the column they are stored in or compared with,
and date-times whose wall-clock form (no offset) means the organization's local time.

A value outside its column's range is refused with 400 naming the field, on every database: the
range is the one PostgreSQL's column type holds (SQLite would take any 64-bit value, and a value
past that is an OverflowError there), so a value is stored exactly as accepted, or refused.
"""

from contextvars import ContextVar
from datetime import UTC, datetime, tzinfo

import django_filters
from django.core.exceptions import ValidationError
from django.db import models
from django.db.backends.base.operations import BaseDatabaseOperations
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from rest_framework import serializers

_AUTO_FIELDS = {"AutoField", "SmallAutoField", "BigAutoField"}
# The time zone a wall-clock date-time of this request means: the caller's organization's, set by
# IsOrganizationPrincipal once it knows the organization (every API view taking a date-time has one).
_wall_clock_zone: ContextVar[tzinfo] = ContextVar("wall_clock_zone", default=UTC)


def wall_clock_zone_activate(zone: tzinfo) -> None:
    """Read date-times without an offset in `zone` for the rest of this request."""
    _wall_clock_zone.set(zone)


def wall_clock_aware(value: datetime) -> datetime:
    """`value` as given if it has an offset, else as a wall-clock time in the organization's time zone.
    Raises ValueError for a wall-clock time that zone skips (the hour clocks jump forward)."""
    if timezone.is_aware(value):
        return value
    zone = _wall_clock_zone.get()
    aware = value.replace(tzinfo=zone)
    try:
        exists = aware.astimezone(UTC).astimezone(zone).replace(tzinfo=None) == value
    except OverflowError as error:  # year 1 or 9999 pushed past the calendar by the zone's offset
        raise ValueError(f"{value.isoformat()} is out of range in {zone}") from error
    if not exists:
        raise ValueError(f"{value.isoformat()} does not exist in {zone} (the clocks skip it)")
    return aware


def column_range(column: models.Field) -> tuple[int, int]:
    """(lowest, highest) value the column of this integer model field (or foreign key) holds; ids start at 1."""
    if column.is_relation:
        column = column.target_field
    kind = column.get_internal_type()
    low, high = BaseDatabaseOperations.integer_field_ranges[kind]
    return (1 if kind in _AUTO_FIELDS else low), high


def _bounded(low: int, high: int, kwargs: dict) -> dict:
    given_low, given_high = kwargs.get("min_value"), kwargs.get("max_value")
    return {
        **kwargs,
        "min_value": low if given_low is None else max(low, given_low),
        "max_value": high if given_high is None else min(high, given_high),
    }


def column_integer(column: models.Field, **kwargs) -> serializers.IntegerField:
    """An integer input stored in (or compared with) `column`, e.g. `Booking._meta.get_field("amount_paid_pennies")`;
    `min_value`/`max_value` may narrow the column's range, never widen it."""
    return serializers.IntegerField(**_bounded(*column_range(column), kwargs))


def id_integer(model: type[models.Model], **kwargs) -> serializers.IntegerField:
    """An input naming a row of `model` by id."""
    return column_integer(model._meta.pk, **kwargs)


class PrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """DRF's primary-key field; an id outside the key's range is "does not exist", not a database error."""

    def to_internal_value(self, data):
        if isinstance(data, int | str) and not isinstance(data, bool):
            try:
                number = int(data)
            except ValueError:
                number = None
            low, high = column_range(self.get_queryset().model._meta.pk)
            if number is not None and not low <= number <= high:
                self.fail("does_not_exist", pk_value=data)
        return super().to_internal_value(data)


class DateTimeField(serializers.DateTimeField):
    """A date-time input. One with an offset is taken as given; one without an offset is a wall-clock
    time in the organization's own time zone (`wall_clock_zone_activate`), and a wall-clock time that time zone skips (the hour clocks jump at the start of summer
    time) is refused. An ambiguous one (the repeated hour in autumn) is its first occurrence.
    Output is UTC, as everywhere in the API."""

    def default_timezone(self):
        return UTC

    def enforce_timezone(self, value):
        try:
            value = wall_clock_aware(value)
        except ValueError:
            self.fail("make_aware", timezone=_wall_clock_zone.get())
        return super().enforce_timezone(value)


class _WallClockIsoDateTimeField(django_filters.fields.IsoDateTimeField):
    def to_python(self, value):
        try:
            parsed = parse_datetime(value.strip()) if isinstance(value, str) else None
            return super().to_python(value) if parsed is None else wall_clock_aware(parsed)
        except ValueError as error:  # a well-formed date that does not exist (2026-02-30, a skipped hour)
            raise ValidationError(str(error), code="invalid") from error


class DateTimeFilter(django_filters.IsoDateTimeFilter):
    """A query-string date-time (ISO 8601) read like DateTimeField: without an offset, the organization's time."""

    field_class = _WallClockIsoDateTimeField


class ModelSerializer(serializers.ModelSerializer):
    """DRF's ModelSerializer whose integer fields and related ids are bounded by their columns' ranges and
    whose date-times read a time without an offset in the organization's time zone."""

    serializer_related_field = PrimaryKeyRelatedField
    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.DateTimeField: DateTimeField,
    }

    def build_standard_field(self, field_name, model_field):
        field_class, kwargs = super().build_standard_field(field_name, model_field)
        if issubclass(field_class, serializers.IntegerField) and not kwargs.get("read_only"):
            kwargs = _bounded(*column_range(model_field), kwargs)
        return field_class, kwargs
