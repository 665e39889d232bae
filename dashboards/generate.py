#!/usr/bin/env python3
"""Writes brokerload's Grafana dashboards (the *.json beside this file).

The JSON files are checked in; edit this generator and run it again, and
tests/deploy/dashboards_test.py checks that both agree. Every panel uses the datasource variable,
rates use $__rate_interval, heatmaps read the _bucket series.
"""
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = HERE  # main() may point it elsewhere: generate.py [OUTPUT_DIR]
DS = {"type": "prometheus", "uid": "${datasource}"}
SEL = 'job=~"$job", instance=~"$instance", target=~"$target"'
PROC = 'job=~"$job", instance=~"$instance"'


def templating(with_target=True):
    variables = [
        {"name": "datasource", "label": "Data source", "type": "datasource", "query": "prometheus",
         "current": {}, "hide": 0},
        {"name": "job", "label": "Job", "type": "query", "datasource": DS,
         "query": {"query": "label_values(brokerload_build_info, job)", "refId": "job"},
         "definition": "label_values(brokerload_build_info, job)", "refresh": 2,
         "includeAll": True, "multi": True, "current": {}, "hide": 0},
        {"name": "instance", "label": "Instance", "type": "query", "datasource": DS,
         "query": {"query": 'label_values(brokerload_build_info{job=~"$job"}, instance)',
                   "refId": "instance"},
         "definition": 'label_values(brokerload_build_info{job=~"$job"}, instance)', "refresh": 2,
         "includeAll": True, "multi": True, "current": {}, "hide": 0},
    ]
    if with_target:
        variables.append(
            {"name": "target", "label": "Target", "type": "query", "datasource": DS,
             "query": {"query": 'label_values(brokerload_messages_published_total{job=~"$job"}, target)',
                       "refId": "target"},
             "definition": 'label_values(brokerload_messages_published_total{job=~"$job"}, target)',
             "refresh": 2, "includeAll": True, "multi": True, "current": {}, "hide": 0})
    return {"list": variables}


class Board:
    def __init__(self, uid, title, with_target=True):
        self.uid, self.title, self.with_target = uid, title, with_target
        self.panels, self.next_id, self.y = [], 1, 0

    def panel(self, title, exprs, kind="timeseries", unit="short", width=12, height=8,
              description=""):
        x = 0 if not self.panels or self.panels[-1]["gridPos"]["x"] + \
            self.panels[-1]["gridPos"]["w"] + width > 24 else \
            self.panels[-1]["gridPos"]["x"] + self.panels[-1]["gridPos"]["w"]
        if x == 0 and self.panels:
            self.y += self.panels[-1]["gridPos"]["h"]
        targets = []
        for i, (expr, legend) in enumerate(exprs):
            t = {"datasource": DS, "expr": expr, "legendFormat": legend,
                 "refId": chr(ord("A") + i)}
            if kind == "heatmap":
                t.update({"format": "heatmap", "legendFormat": "{{le}}"})
            targets.append(t)
        p = {"id": self.next_id, "type": kind, "title": title, "description": description,
             "datasource": DS, "gridPos": {"x": x, "y": self.y, "w": width, "h": height},
             "targets": targets, "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
             "options": {}}
        if kind == "heatmap":
            p["options"] = {"calculate": False, "yAxis": {"unit": "s"},
                            "cellGap": 1, "color": {"scheme": "Spectral", "mode": "scheme"}}
        self.next_id += 1
        self.panels.append(p)

    def write(self):
        board = {"uid": self.uid, "title": self.title, "tags": ["brokerload"],
                 "schemaVersion": 38, "version": 1, "editable": True, "refresh": "10s",
                 "time": {"from": "now-1h", "to": "now"}, "timezone": "",
                 "templating": templating(self.with_target), "panels": self.panels,
                 "annotations": {"list": []}}
        with open(os.path.join(OUT, self.uid + ".json"), "w") as f:
            json.dump(board, f, indent=2)
            f.write("\n")


def quantiles(metric, by="target"):
    return [(f'histogram_quantile({q}, sum by ({by}, le) (rate({metric}_bucket{{{SEL}}}[$__rate_interval])))',
             f"{{{{{by}}}}} p{label}") for q, label in ((0.5, "50"), (0.99, "99"), (0.999, "99.9"))]


def exact(metric, window):
    """The exact window quantiles: per instance, not aggregated (quantiles do not add up)."""
    return [(f'{metric}_window_seconds{{{SEL}, window="{window}"}}',
             "{{instance}} {{target}} p{{quantile}}")]


def overview():
    b = Board("brokerload-overview", "brokerload: overview")
    b.panel("Offered vs achieved rate", [
        (f"sum by (target) (brokerload_target_messages_per_second{{{SEL}}})", "{{target}} offered"),
        (f"sum by (target) (rate(brokerload_messages_acked_total{{{SEL}}}[$__rate_interval]))", "{{target}} acked"),
        (f"sum by (target) (rate(brokerload_messages_consumed_total{{{SEL}}}[$__rate_interval]))", "{{target}} consumed"),
    ], unit="short", description="messages per second")
    b.panel("End-to-end latency (from scheduled send)", quantiles("brokerload_end_to_end_latency_seconds"), unit="s")
    b.panel("Publish latency (send to ack)", quantiles("brokerload_publish_latency_seconds"), unit="s")
    b.panel("End-to-end latency, exact over the last 5 minutes",
            exact("brokerload_end_to_end_latency", "5m"), unit="s",
            description="brokerload's own quantiles (0.8 % resolution), per instance")
    b.panel("Publish errors by reason", [
        (f"sum by (target, reason) (rate(brokerload_publish_errors_total{{{SEL}}}[$__rate_interval]))", "{{target}} {{reason}}")],
        unit="short")
    b.panel("Lost, duplicated, redelivered, out of order", [
        (f"sum by (target) (increase(brokerload_messages_lost_total{{{SEL}}}[$__rate_interval]))", "{{target}} lost"),
        (f"sum by (target) (increase(brokerload_messages_duplicated_total{{{SEL}}}[$__rate_interval]))", "{{target}} duplicated (broker)"),
        (f"sum by (target) (increase(brokerload_messages_redelivered_total{{{SEL}}}[$__rate_interval]))", "{{target}} redelivered (consumer)"),
        (f"sum by (target) (increase(brokerload_messages_out_of_order_total{{{SEL}}}[$__rate_interval]))", "{{target}} out of order"),
    ])
    b.panel("Current stage", [(f"brokerload_stage_info{{{SEL}}}", "{{target}}: {{stage}}")], kind="stat")
    b.panel("brokerload behind schedule (send lag p99)", [
        (f'histogram_quantile(0.99, sum by (target, le) (rate(brokerload_send_lag_seconds_bucket{{{SEL}}}[$__rate_interval])))', "{{target}} send lag p99"),
        (f"sum by (target) (rate(brokerload_sends_dropped_total{{{SEL}}}[$__rate_interval]))", "{{target}} dropped/s"),
    ], unit="s")
    b.panel("Broker connection and target health", [
        (f"brokerload_broker_connected{{{SEL}}}", "{{target}} connected"),
        (f"increase(brokerload_broker_disconnects_total{{{SEL}}}[$__rate_interval])", "{{target}} disconnects"),
        (f"brokerload_target_healthy{{{SEL}}}", "{{target}} healthy"),
        (f"brokerload_target_health{{{SEL}}}", "{{target}} {{check}}"),
    ])
    b.write()


def latency():
    b = Board("brokerload-latency", "brokerload: latency detail")
    for metric, title in (("brokerload_end_to_end_latency_seconds", "End-to-end latency"),
                          ("brokerload_end_to_end_service_latency_seconds", "End-to-end latency from actual send"),
                          ("brokerload_publish_latency_seconds", "Publish latency")):
        b.panel(title + " heatmap",
                [(f"sum by (le) (rate({metric}_bucket{{{SEL}}}[$__rate_interval]))", "{{le}}")],
                kind="heatmap", width=12)
        b.panel(title + " percentiles", quantiles(metric), unit="s")
        if "service" not in metric:
            b.panel(title + ", exact over the last minute",
                    exact(metric.removesuffix("_seconds"), "1m"), unit="s", width=24,
                    description="brokerload's own quantiles (0.8 % resolution), per instance; "
                                "histogram_quantile above is within 10 % and aggregates instances")
    b.panel("Send lag heatmap",
            [(f"sum by (le) (rate(brokerload_send_lag_seconds_bucket{{{SEL}}}[$__rate_interval]))", "{{le}}")],
            kind="heatmap")
    b.panel("Send lag, exact over the last minute", exact("brokerload_send_lag", "1m"), unit="s")
    b.panel("In flight", [(f"brokerload_in_flight_messages{{{SEL}}}", "{{target}}")])
    b.write()


def compare():
    b = Board("brokerload-compare", "brokerload: Kafka vs NATS side by side")
    for target in ("kafka", "nats"):
        sel = f'job=~"$job", instance=~"$instance", target="{target}"'
        b.panel(f"{target}: acked msg/s",
                [(f"sum (rate(brokerload_messages_acked_total{{{sel}}}[$__rate_interval]))", target)], width=12)
    for target in ("kafka", "nats"):
        sel = f'job=~"$job", instance=~"$instance", target="{target}"'
        b.panel(f"{target}: end-to-end p99",
                [(f"histogram_quantile(0.99, sum by (le) (rate(brokerload_end_to_end_latency_seconds_bucket{{{sel}}}[$__rate_interval])))", target)],
                unit="s", width=12)
    b.panel("p99 end-to-end, both", quantiles("brokerload_end_to_end_latency_seconds")[1:2], unit="s", width=12)
    b.panel("p99 end-to-end, both, exact over the last minute",
            [(f'brokerload_end_to_end_latency_window_seconds{{{SEL}, quantile="0.99", window="1m"}}',
              "{{instance}} {{target}}")], unit="s", width=12)
    b.write()


def resources():
    b = Board("brokerload-resources", "brokerload: own resources", with_target=False)
    b.panel("Resident memory", [(f"process_resident_memory_bytes{{{PROC}}}", "{{instance}}")], unit="bytes")
    b.panel("Threads", [(f"process_threads{{{PROC}}}", "{{instance}}")])
    b.panel("CPU (cores)", [(f"rate(process_cpu_seconds_total{{{PROC}}}[$__rate_interval])", "{{instance}}")])
    b.panel("Open file descriptors", [(f"process_open_fds{{{PROC}}}", "{{instance}}")])
    b.panel("Worker queue depth", [(f"brokerload_worker_queue_depth{{{PROC}}}", "{{instance}}")])
    b.panel("Version", [(f"brokerload_build_info{{{PROC}}}", "{{version}}")], kind="stat")
    b.write()


if __name__ == "__main__":
    import sys
    if len(sys.argv) > 1:
        OUT = sys.argv[1]
    overview()
    latency()
    compare()
    resources()
