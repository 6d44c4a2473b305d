"""Input fields shared by every API: integers bounded by the column they are stored in or compared with.

A value outside its column's range is refused with 400 naming the field, on every database: the
range is the one PostgreSQL's column type holds (SQLite would take any 64-bit value, and a value
past that is an OverflowError there), so a value is stored exactly as accepted, or refused.
"""

from django.db import models
from django.db.backends.base.operations import BaseDatabaseOperations
from rest_framework import serializers

_AUTO_FIELDS = {"AutoField", "SmallAutoField", "BigAutoField"}


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


class ModelSerializer(serializers.ModelSerializer):
    """DRF's ModelSerializer whose integer fields and related ids are bounded by their columns' ranges."""

    serializer_related_field = PrimaryKeyRelatedField

    def build_standard_field(self, field_name, model_field):
        field_class, kwargs = super().build_standard_field(field_name, model_field)
        if issubclass(field_class, serializers.IntegerField) and not kwargs.get("read_only"):
            kwargs = _bounded(*column_range(model_field), kwargs)
        return field_class, kwargs
