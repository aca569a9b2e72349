"""Record pages that only administrators open (pipelines, exchange rates)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from funia.web.decorators import admin_required
from funia.web.record_pages import RecordPages


def _admin_only(view):
    return admin_required(view)


class AdminRecordPages(RecordPages):
    """RecordPages for administrators: others get 403; a refused delete shows its reason."""

    def list_view(self):
        return _admin_only(super().list_view())

    def detail_view(self):
        return _admin_only(super().detail_view())

    def form_view(self):
        return _admin_only(super().form_view())

    def restore_view(self):
        return require_POST(_admin_only(super().restore_view()))

    def delete_view(self):
        @require_POST
        @admin_required
        def view(request, pk: int):
            record = self._get(request, pk)
            try:
                self.delete(by=request.actor, **{self.name: record})
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
                return redirect(f"{self.name}_detail", pk=record.pk)
            messages.success(request, _("Moved to the trash. You can restore it from there."))
            return redirect(f"{self.name}_list")

        return view
