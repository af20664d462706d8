"""The admin site: Django's, with list filters that refuse a date no database can hold.

Django's admin turns a lookup it cannot build into a redirect to `?e=1`, but a date part out
of range (`?performed_on__year=99999999`, a drill-down to year 9999 whose end is year 10000)
only fails when the query is compiled or run, which answered 500 (and DataError on
PostgreSQL). Every registered ModelAdmin, third-party ones included, gets a changelist that
compiles its query before running it and treats those errors as bad lookup parameters.
"""

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import EmptyResultSet, FullResultSet


class BoundedChangeList(ChangeList):
    def get_queryset(self, request, exclude_parameters=None):
        try:
            qs = super().get_queryset(request, exclude_parameters)
            qs.query.sql_with_params()
        except (EmptyResultSet, FullResultSet):
            return qs
        except (ValueError, OverflowError) as e:
            raise IncorrectLookupParameters(e) from e
        return qs


class BoundedChangeListMixin:
    def get_changelist(self, request, **kwargs):
        return BoundedChangeList


class PreceptAdminSite(admin.AdminSite):
    def register(self, model_or_iterable, admin_class=None, **options):
        admin_class = admin_class or admin.ModelAdmin
        bounded = type(admin_class.__name__, (BoundedChangeListMixin, admin_class), {})
        bounded.__module__ = admin_class.__module__
        super().register(model_or_iterable, bounded, **options)


class PreceptAdminConfig(AdminConfig):
    default_site = "config.admin_site.PreceptAdminSite"
