"""The attendee models the engine may touch, and the check-in methods it accepts."""

from django.contrib.contenttypes.models import ContentType
from django.db import models

from attendance.models import AttendeeMixin, Method
from config.errors import DomainError

_attendee_models: dict[str, type[models.Model]] = {}
_methods: set[str] = set(Method.values)


class UnknownAttendeeType(DomainError):
    code = "unknown_attendee_type"


class InvalidMethod(DomainError):
    code = "invalid_method"


def register_attendee(model: type[models.Model], *, label: str | None = None) -> type[models.Model]:
    """Register an attendee model under a short label ('member', 'staff', ...). Usable as decorator."""
    if not issubclass(model, AttendeeMixin):
        raise TypeError(f"{model.__name__} must inherit attendance.models.AttendeeMixin")
    _attendee_models[label or model._meta.model_name] = model
    return model


def register_method(name: str) -> None:
    _methods.add(name)


def attendee_labels() -> list[str]:
    return sorted(_attendee_models)


def attendee_model(label: str) -> type[models.Model]:
    try:
        return _attendee_models[label]
    except KeyError:
        raise UnknownAttendeeType(
            f"Unknown attendee type {label!r}; registered types: {', '.join(attendee_labels())}."
        ) from None


def label_for(model_or_instance) -> str:
    model = model_or_instance if isinstance(model_or_instance, type) else type(model_or_instance)
    model = model._meta.concrete_model
    for label, registered in _attendee_models.items():
        if registered is model:
            return label
    raise UnknownAttendeeType(f"{model.__name__} is not a registered attendee model.")


def attendee_stand_in(label: str, pk: int, organization) -> models.Model:
    """An unsaved instance naming attendee `pk` of `organization`, for a service that locks (and so
    reads) the row itself: `attendee_get_for_update` raises AttendeeNotFound if it is not there.

    Built like a row loaded with two columns, the rest deferred: a plain constructor would run every
    field default (a member's new QR token comes from os.urandom) for values nobody reads.
    """
    model = attendee_model(label)
    known = {model._meta.pk.attname: pk, "organization_id": organization.pk}
    names = [f.attname for f in model._meta.concrete_fields if f.attname in known]
    return model.from_db(None, names, [known[name] for name in names])


def content_type_for(model_or_instance) -> ContentType:
    label_for(model_or_instance)  # refuse unregistered models
    return ContentType.objects.get_for_model(model_or_instance, for_concrete_model=True)


def model_for_content_type_id(content_type_id: int) -> type[models.Model]:
    model = ContentType.objects.get_for_id(content_type_id).model_class()
    label_for(model)
    return model


def check_method(method: str) -> str:
    if method not in _methods:
        raise InvalidMethod(f"Unknown check-in method {method!r}; use one of: {', '.join(sorted(_methods))}.")
    return method


def registered_models() -> list[type[models.Model]]:
    return list(_attendee_models.values())
