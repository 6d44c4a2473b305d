import django_filters
from django.contrib.contenttypes.models import ContentType

from attendance import registry
from attendance.models import CheckIn, Refusal
from config.fields import DateTimeFilter


class CheckInFilter(django_filters.FilterSet):
    attendee_type = django_filters.CharFilter(method="filter_attendee_type")
    attendee_id = django_filters.NumberFilter()
    method = django_filters.CharFilter()
    source = django_filters.CharFilter()
    location = django_filters.CharFilter()
    since = DateTimeFilter(field_name="checked_in_at", lookup_expr="gte")
    until = DateTimeFilter(field_name="checked_in_at", lookup_expr="lt")
    open = django_filters.BooleanFilter(field_name="checked_out_at", lookup_expr="isnull")
    auto_closed = django_filters.BooleanFilter()

    class Meta:
        model = CheckIn
        fields = ["attendee_type", "attendee_id", "method", "source", "location", "since", "until", "open", "auto_closed"]

    def filter_attendee_type(self, queryset, name, value):
        model = registry.attendee_model(value)
        return queryset.filter(attendee_type=ContentType.objects.get_for_model(model))


class RefusalFilter(django_filters.FilterSet):
    code = django_filters.CharFilter()
    attendee_id = django_filters.NumberFilter()
    since = DateTimeFilter(field_name="attempted_at", lookup_expr="gte")
    until = DateTimeFilter(field_name="attempted_at", lookup_expr="lt")

    class Meta:
        model = Refusal
        fields = ["code", "attendee_id", "since", "until"]
