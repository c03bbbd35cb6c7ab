"""A single-file HTML page of the provenance of logs: sessions, timeline, graph, activities and
lineages, readable offline (no network, scripts and styles inline)."""

from .page import GRAPH_NODES, report_data, write_report

__all__ = ["write_report", "report_data", "GRAPH_NODES"]
