"""Logbook filters (django-filter): status, procedure, guidance, date range."""

import django_filters
from django import forms

from .models import Entry, Modality, ProcedureType


class LogbookFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Entry.Status.choices, empty_label="Any status")
    # Plain choices from one values_list query: cheaper than model instances per option.
    procedure = django_filters.ChoiceFilter(
        choices=lambda: ProcedureType.objects.order_by("name").values_list("pk", "name"),
        empty_label="Any procedure",
    )
    guidance = django_filters.ChoiceFilter(choices=Modality.choices, empty_label="Any guidance")
    performed_from = django_filters.DateFilter(
        field_name="performed_on",
        lookup_expr="gte",
        label="From",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    performed_to = django_filters.DateFilter(
        field_name="performed_on",
        lookup_expr="lte",
        label="To",
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    class Meta:
        model = Entry
        fields = ["status", "procedure", "guidance", "performed_from", "performed_to"]
