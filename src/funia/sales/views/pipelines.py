"""Pipelines with their ordered stages (administrators)."""

from django.utils.text import capfirst

from funia.sales import pipelines, selectors
from funia.sales.filters import PipelineFilter
from funia.sales.forms import PipelineForm
from funia.sales.models import Opportunity
from funia.sales.pipelines import GATE_FIELDS
from funia.sales.views.admin_pages import AdminRecordPages


def _detail_context(*, actor, record):
    gate_labels = {n: capfirst(Opportunity._meta.get_field(n).verbose_name) for n in GATE_FIELDS}
    stages = selectors.stages_of(tenant=actor.tenant, pipeline_id=record.pk)
    for stage in stages:
        stage.required_labels = [gate_labels[f] for f in stage.required_fields if f in gate_labels]
    return {"stages": stages}


pipeline_pages = AdminRecordPages(
    name="pipeline",
    app="sales",
    filter_class=PipelineFilter,
    list_selector=selectors.pipeline_list,
    get_selector=selectors.pipeline_get,
    form_class=PipelineForm,
    create=pipelines.pipeline_create,
    update=pipelines.pipeline_update,
    delete=pipelines.pipeline_delete,
    restore=pipelines.pipeline_restore,
    detail_context=_detail_context,
)
