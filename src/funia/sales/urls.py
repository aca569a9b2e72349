"""Pages of the pipeline board, deals, pipelines and exchange rates."""

from django.urls import path

from funia.sales.views import board, opportunities
from funia.sales.views.exchange_rates import exchange_rate_pages
from funia.sales.views.opportunities import opportunity_pages
from funia.sales.views.pipelines import pipeline_pages
from funia.web import converters  # noqa: F401  (the <id:...> converter)

urlpatterns = [
    path("opportunities/board/", board.board_view, name="opportunity_board"),
    path("opportunities/board/more/", board.column_view, name="opportunity_board_column"),
    path("opportunities/bulk/", opportunities.bulk_view, name="opportunity_bulk"),
    path(
        "opportunities/stage-options/",
        opportunities.stage_options_view,
        name="opportunity_stage_options",
    ),
    path("opportunities/<id:pk>/move/", board.move_view, name="opportunity_move"),
    path("opportunities/<id:pk>/quick-edit/", board.quick_edit_view, name="opportunity_quickedit"),
    *opportunity_pages.urlpatterns("opportunities"),
    *pipeline_pages.urlpatterns("settings/pipelines"),
    *exchange_rate_pages.urlpatterns("settings/exchange-rates"),
]
