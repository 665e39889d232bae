#!/usr/bin/env python3
"""Writes brokerload's Grafana dashboards (the *.json beside this file) with grafana-foundation-sdk.

The JSON files are checked in; edit this generator and run it again (python3 generate.py
[OUTPUT_DIR]), and tests/deploy/dashboards_test.py checks that both agree. Every panel uses the
datasource variable, rates use $__rate_interval (the overview's regression row: a fixed 5 minutes,
as its exact quantiles), heatmaps read the _bucket series.

The SDK is pinned in requirements.txt; scripts/install-deps.sh installs it into a venv under the
cache dir, and this script runs itself with that venv's Python when the one that started it lacks
the pinned version (so the output never depends on whichever SDK happens to be installed).
"""
import importlib.metadata
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = HERE  # main() may point it elsewhere: generate.py [OUTPUT_DIR]


def pinned_sdk_version():
    """The version of grafana-foundation-sdk that requirements.txt pins."""
    with open(os.path.join(HERE, "requirements.txt")) as f:
        match = re.search(r"^grafana-foundation-sdk==(\S+)", f.read(), re.MULTILINE)
    if match is None:
        sys.exit("generate.py: requirements.txt pins no grafana-foundation-sdk")
    return match.group(1)


def use_pinned_sdk():
    """Returns when this interpreter has the pinned SDK; else runs this script in the venv."""
    pinned = pinned_sdk_version()
    try:
        found = importlib.metadata.version("grafana-foundation-sdk")
    except importlib.metadata.PackageNotFoundError:
        found = None
    if found == pinned:
        return
    cache = os.environ.get("BROKERLOAD_CACHE_DIR") or os.path.expanduser("~/.cache/brokerload")
    venv = os.path.join(cache, "dashboards-venv")
    python = os.path.join(venv, "bin", "python3")
    if os.path.exists(python) and os.path.realpath(sys.prefix) != os.path.realpath(venv):
        os.execv(python, [python, os.path.abspath(__file__), *sys.argv[1:]])
    sys.exit(f"generate.py: needs grafana-foundation-sdk {pinned} (this Python has {found}); "
             f"scripts/install-deps.sh installs it into {venv}")


use_pinned_sdk()

# pylint: disable=wrong-import-position
from grafana_foundation_sdk.builders import (  # noqa: E402
    common, dashboard, heatmap, prometheus, stat, statetimeline, table, timeseries)
from grafana_foundation_sdk.cog.encoder import JSONEncoder  # noqa: E402
from grafana_foundation_sdk.models import dashboard as model  # noqa: E402
from grafana_foundation_sdk.models.common import (  # noqa: E402
    BigValueColorMode, BigValueGraphMode, BigValueTextMode, VisibilityMode)
from grafana_foundation_sdk.models.dashboard import (  # noqa: E402
    DataSourceRef, DataTransformerConfig, DynamicConfigValue, FieldColorModeId, Threshold,
    ThresholdsMode, ValueMap, ValueMappingResult, VariableRefresh)
from grafana_foundation_sdk.models.heatmap import HeatmapColorMode  # noqa: E402
from grafana_foundation_sdk.models.prometheus import PromQueryFormat  # noqa: E402

# brokerload_config_reloads_total{result} comes with configuration reloading, from another
# branch; until brokerload exports it, its panel stays out, since dashboards_test.py wants every
# panel's query answered. Turn it on: True here, then python3 dashboards/generate.py, and commit
# the regenerated JSON (the test then needs the counter exported before any reload happens).
CONFIG_RELOADS_PANEL = True

DS = DataSourceRef(type_val="prometheus", uid="${datasource}")
SEL = 'job=~"$job", instance=~"$instance", target=~"$target"'
PROC = 'job=~"$job", instance=~"$instance"'


def query_variable(name, label, query):
    return (dashboard.QueryVariable(name).label(label).datasource(DS)
            .query({"query": query, "refId": name})
            .refresh(VariableRefresh.ON_TIME_RANGE_CHANGED).include_all(True).multi(True))


def variables(with_target=True):
    result = [
        dashboard.DatasourceVariable("datasource").label("Data source").type("prometheus"),
        query_variable("job", "Job", "label_values(brokerload_build_info, job)"),
        query_variable("instance", "Instance",
                       'label_values(brokerload_build_info{job=~"$job"}, instance)'),
    ]
    if with_target:
        # brokerload_role_info: every target of every role (full, produce-only, consume-only)
        # exports it; the published counter, say, has no consume-only target.
        result.append(query_variable(
            "target", "Target", 'label_values(brokerload_role_info{job=~"$job"}, target)'))
    return result


def heatmap_panel():
    # A color builder starts from zeros, not from Grafana's defaults (steps must be 2..128):
    # fill, exponent and steps are Grafana's defaults, given here.
    color = (heatmap.HeatmapColorOptions().mode(HeatmapColorMode.SCHEME).scheme("Spectral")
             .fill("dark-orange").exponent(0.5).steps(64))
    return (heatmap.Panel().calculate(False).y_axis(heatmap.YAxisConfig().unit("s")).cell_gap(1)
            .color(color))


def stages_panel():
    """A row per target and stage, drawn while that stage is current; warm-up rows in orange."""
    return (statetimeline.Panel().show_value(VisibilityMode.NEVER).merge_values(True)
            .legend(common.VizLegendOptions().show_legend(False))
            .color_scheme(dashboard.FieldColor().mode(FieldColorModeId.FIXED).fixed_color("green"))
            .override_by_regexp(".*: warmup$", [DynamicConfigValue(
                id_val="color", value={"mode": "fixed", "fixedColor": "orange"})]))


KINDS = {"timeseries": timeseries.Panel, "stat": stat.Panel, "heatmap": heatmap_panel,
         "stages": stages_panel, "table": table.Panel}


def columns(rename, hide=()):
    """A table's transformations: the queries' rows merged on their labels, `hide`, Time and
    __name__ left out, columns renamed ({"Value #A": "end-to-end", ...})."""
    excluded = {name: True for name in ("Time", "__name__", *hide)}
    return [DataTransformerConfig(id_val="merge", options={}),
            DataTransformerConfig(id_val="organize",
                                  options={"excludeByName": excluded, "renameByName": rename})]


class _PrometheusAnnotationModel(model.AnnotationQuery):
    """The SDK's annotation query knows Grafana's own fields and `expr`, not the Prometheus data
    source's step, titleFormat and textFormat: added to its JSON here."""

    def __init__(self, step, title_format, text_format, **kwargs):
        super().__init__(**kwargs)
        self.step, self.title_format, self.text_format = step, title_format, text_format

    def to_json(self):
        payload = super().to_json()
        payload.update({"step": self.step, "titleFormat": self.title_format,
                        "textFormat": self.text_format})
        return payload


class PrometheusAnnotation(dashboard.AnnotationQuery):
    """A region on every time panel wherever `expr` has a sample above 0 (Grafana joins samples
    at most `step` apart)."""

    def __init__(self, name, expr, step, title_format, text_format, color):
        super().__init__()
        self._internal = _PrometheusAnnotationModel(
            step, title_format, text_format, name=name, datasource=DS, enable=True,
            icon_color=color, expr=expr)


# The warm-up (run.warmup) shaded on the dashboards whose panels have a target: its messages are in
# every counter, its latencies in no histogram and no window quantile (docs/metrics.md).
WARMUP = PrometheusAnnotation(
    "Warm-up", f'max by (instance, target) (brokerload_stage_info{{{SEL}, stage="warmup"}})',
    step="5s", title_format="warm-up", text_format="{{instance}} {{target}}", color="orange")

# Events that explain a step in any figure, on every dashboard: each marks the EVENT_SECONDS after
# it (from the first scrape that shows it) with a value of 1 (older Grafana versions draw only
# values of at least 1). None needs a range over the dashboard's interval: the first two compare
# timestamps that brokerload exports, the third compares label sets with an offset.
EVENT_SECONDS = 120


def event_annotations(with_target):
    # A start, not just a restart: the process started less than EVENT_SECONDS ago. This also
    # marks a replacement pod whose `instance` differs from its predecessor's, where
    # changes(process_start_time_seconds[...]) would see a new series and no change.
    started = PrometheusAnnotation(
        "Restart",
        f"count by (job, instance) (time() - process_start_time_seconds{{{PROC}}} < {EVENT_SECONDS})",
        step="10s", title_format="brokerload started", text_format="{{instance}}", color="blue")
    # A reload that applied a change moves brokerload_config_loaded_timestamp_seconds (a refused,
    # invalid or unchanged one does not); so does a start, which the first condition excludes:
    # a config loaded more than 10 s after the process started came from a reload.
    reloaded = PrometheusAnnotation(
        "Config reload",
        f"count by (job, instance) ("
        f"brokerload_config_loaded_timestamp_seconds{{{PROC}}} - on (job, instance) "
        f"process_start_time_seconds{{{PROC}}} > 10 "
        f"and on (job, instance) "
        f"time() - brokerload_config_loaded_timestamp_seconds{{{PROC}}} < {EVENT_SECONDS})",
        step="10s", title_format="config reloaded", text_format="{{instance}}", color="purple")
    # brokerload reads the broker's and the client library's versions at start
    # (brokerload_target_info), so a broker upgrade shows after brokerload's next start, as a new
    # label set. Marked: a (broker_version, client_version) of a job's target that none of its
    # instances had in the hour before, while that target was there with another. By job and
    # target, not instance: a replacement pod with a new `instance` and the same versions is no
    # change, and a rolling upgrade is marked once, at the first instance with the new versions.
    versions = f'job=~"$job", target=~"$target"' if with_target else 'job=~"$job"'
    before = f"max_over_time(brokerload_target_info{{{versions}}}[1h] offset {EVENT_SECONDS}s)"
    changed = PrometheusAnnotation(
        "Version change",
        f"count by (job, target, broker_version, client_version) "
        f"(brokerload_target_info{{{versions}}}) "
        f"unless on (job, target, broker_version, client_version) {before} "
        f"and on (job, target) {before}",
        step="10s", title_format="{{target}}: broker {{broker_version}}, client {{client_version}}",
        text_format="{{job}}: versions not seen in the hour before", color="red")
    return [started, reloaded, changed]


# What panel descriptions say about the warm-up.
WITH_WARMUP = "Includes the warm-up (shaded orange): its messages count in every counter."
IN_WINDOW_WARMUP = "Includes the warm-up's messages while it lies in the window (as every counter)."
NO_WARMUP = "Leaves the warm-up out: brokerload records no latency during it."


class Board:
    """One dashboard: panels are laid out left to right, wrapping at 24 columns (the SDK's
    layout), a row starting a new line, and numbered from 1 in the order added. A panel or row
    added to a dashboard that already had its layout takes an id from LATER_IDS on (`later=True`),
    so that the panels before it keep theirs (links with viewPanel=ID)."""

    LATER_IDS = 100

    def __init__(self, uid, title, with_target=True):
        self.uid = uid
        self.builder = (dashboard.Dashboard(title).uid(uid).tags(["brokerload"]).version(1)
                        .editable().refresh("10s").time("now-1h", "now").timezone("")
                        .variables(variables(with_target)))
        if with_target:
            self.builder.annotation(WARMUP)
        for annotation in event_annotations(with_target):
            self.builder.annotation(annotation)
        self.next_id = 1
        self.later_id = self.LATER_IDS

    def _id(self, later):
        if later:
            self.later_id += 1
            return self.later_id - 1
        self.next_id += 1
        return self.next_id - 1

    def row(self, title, repeat=None, later=True):
        """An expanded row: the panels after it, up to the next row, belong to it; `repeat`: one
        copy of it and of its panels per value of that variable."""
        r = dashboard.Row(title).id(self._id(later))
        if repeat:
            r.repeat(repeat)
        self.builder.with_row(r)

    def panel(self, title, exprs, kind="timeseries", unit="short", width=12, height=8,
              description="", transformations=(), instant=False, configure=None, later=False):
        """A panel of `kind` with a query per (expr, legend); a table's queries are instant, in
        table format; configure(builder) sets what else the panel needs."""
        p = (KINDS[kind]().id(self._id(later)).title(title).description(description)
             .datasource(DS).span(width).height(height).unit(unit))
        for i, (expr, legend) in enumerate(exprs):
            q = (prometheus.Dataquery().expr(expr).legend_format(legend)
                 .ref_id(chr(ord("A") + i)).datasource(DS))
            if kind == "heatmap":
                q.format(PromQueryFormat.HEATMAP).legend_format("{{le}}")
            if kind == "table":
                q.format(PromQueryFormat.TABLE).instant()
            if instant:
                q.instant()
            p.with_target(q)
        for transformation in transformations:
            p.with_transformation(transformation)
        if configure is not None:
            configure(p)
        self.builder.with_panel(p)

    def write(self):
        with open(os.path.join(OUT, self.uid + ".json"), "w") as f:
            json.dump(self.builder.build(), f, cls=JSONEncoder, indent=2)
            f.write("\n")


def quantiles(metric, by="target"):
    return [(f'histogram_quantile({q}, sum by ({by}, le) (rate({metric}_bucket{{{SEL}}}[$__rate_interval])))',
             f"{{{{{by}}}}} p{label}") for q, label in ((0.5, "50"), (0.99, "99"), (0.999, "99.9"))]


def exact(metric, window):
    """The exact window quantiles: per instance, not aggregated (quantiles do not add up)."""
    return [(f'{metric}_window_seconds{{{SEL}, window="{window}"}}',
             "{{instance}} {{target}} p{{quantile}}")]


# The regression row: each figure now against the same figure 1 day and 7 days ago, over the
# same 5 minutes as the exact window quantiles (window="5m") that the alert rules judge latency
# by. Its colours are the alert rules' defaults (deploy/prometheus/brokerload-rules.yml):
LATENCY_FACTOR = 2          # a p99 regressed when over twice its baseline
LATENCY_FLOOR = 0.010       # and above 10 ms (below, a doubling is no regression)
THROUGHPUT_FACTOR = 0.8     # acked msg/s regressed when under 0.8 times its baseline
AVAILABILITY_OBJECTIVE = 0.999  # publish success and delivery ratios
WINDOW = "5m"
BASELINES = (("1d", "1 day ago"), ("7d", "7 days ago"))


def thresholds(*steps):
    """Grafana thresholds: (color, from value) pairs, the first from -infinity (None)."""
    return {"mode": "absolute", "steps": [{"color": c, "value": v} for c, v in steps]}


def as_change(steps):
    """The override properties of a change: in percent, coloured by thresholds `steps`."""
    return [DynamicConfigValue(id_val="unit", value="percentunit"),
            DynamicConfigValue(id_val="decimals", value=0),
            DynamicConfigValue(id_val="thresholds", value=thresholds(*steps)),
            DynamicConfigValue(id_val="color", value={"mode": "thresholds"})]


def regression_stat(judged, steps, below_floor=()):
    """A stat of instant queries: the first (now) in the text colour, the `judged` ref ids'
    changes coloured by `steps`, the `below_floor` ones always green."""
    def configure(p):
        (p.graph_mode(BigValueGraphMode.NONE).color_mode(BigValueColorMode.VALUE)
         .text_mode(BigValueTextMode.VALUE_AND_NAME)
         .reduce_options(common.ReduceDataOptions().calcs(["lastNotNull"]).values(False))
         .color_scheme(dashboard.FieldColor().mode(FieldColorModeId.FIXED).fixed_color("text")))
        for ref in judged:
            p.override_by_query(ref, as_change(steps))
        for ref in below_floor:
            p.override_by_query(ref, as_change((("green", None),)))
    return configure


def objective_stat(p):
    """A stat of ratios against AVAILABILITY_OBJECTIVE: red below it, green from it."""
    (p.graph_mode(BigValueGraphMode.NONE).color_mode(BigValueColorMode.VALUE)
     .text_mode(BigValueTextMode.VALUE_AND_NAME).decimals(3).min(0).max(1)
     .reduce_options(common.ReduceDataOptions().calcs(["lastNotNull"]).values(False))
     .thresholds(dashboard.ThresholdsConfig().mode(ThresholdsMode.ABSOLUTE).steps(
         [Threshold(None, "red"), Threshold(AVAILABILITY_OBJECTIVE, "green")]))
     .color_scheme(dashboard.FieldColor().mode(FieldColorModeId.THRESHOLDS)))


OFF = "<offset>"


def shifted(template, offset):
    """`template` with OFF after every selector or range: now (""), or `offset 1d`."""
    return template.replace(OFF, f" offset {offset}" if offset else "")


def regression_row(b):
    """One row per target ($target repeated): throughput, publish p99, end-to-end p99, publish
    success and delivery, now against 1 and 7 days ago."""
    b.row("$target: the last 5 minutes against 1 day and 7 days ago", repeat="target")
    acked = f"sum by (target) (rate(brokerload_messages_acked_total{{{SEL}}}[{WINDOW}]{OFF}))"
    b.panel("Throughput (acked msg/s)", [(shifted(acked, ""), "now")] + [
        (f"{shifted(acked, '')} / {shifted(acked, off)} - 1", f"vs {ago}") for off, ago in BASELINES],
        kind="stat", width=5, height=5, instant=True, later=True,
        configure=regression_stat(["B", "C"],
                                  steps=(("red", None), ("green", round(THROUGHPUT_FACTOR - 1, 6)))),
        description=f"Messages acknowledged per second over the last {WINDOW}, then the change "
                    f"against the same {WINDOW} 1 day and 7 days ago: red under "
                    f"{THROUGHPUT_FACTOR}x (a fall of over {100 - THROUGHPUT_FACTOR * 100:.0f} %), "
                    "the alert rules' default. A changed offered rate changes it too (Offered vs "
                    "achieved rate, below). " + IN_WINDOW_WARMUP)
    for metric, title in (("brokerload_publish_latency_window_seconds", "Publish p99"),
                          ("brokerload_end_to_end_latency_window_seconds", "End-to-end p99")):
        p99 = f'max by (target) ({metric}{{{SEL}, quantile="0.99", window="{WINDOW}"}}{OFF})'
        exprs = [(shifted(p99, ""), "now")]
        for off, ago in BASELINES:
            change = f"{shifted(p99, '')} / {shifted(p99, off)} - 1"
            above = f"on (target) ({shifted(p99, '')} > {LATENCY_FLOOR})"
            exprs.append((f"({change}) and {above}", f"vs {ago}"))
            exprs.append((f"({change}) unless {above}", f"vs {ago}"))
        b.panel(f"{title} (exact, {WINDOW})", exprs, kind="stat", unit="s", width=5, height=5,
                instant=True, later=True,
                configure=regression_stat(
                    ["B", "D"], below_floor=["C", "E"],
                    steps=(("green", None), ("red", round(LATENCY_FACTOR - 1, 6)))),
                description=f"brokerload's exact p99 over the last {WINDOW} ({metric}, the "
                            "worst instance's when several), then its change against 1 day and "
                            f"7 days ago: red over {LATENCY_FACTOR}x the baseline (+"
                            f"{(LATENCY_FACTOR - 1) * 100:.0f} %) while above "
                            f"{LATENCY_FLOOR * 1000:.0f} ms, the alert rules' defaults; green "
                            f"under {LATENCY_FLOOR * 1000:.0f} ms whatever the change. "
                            + NO_WARMUP)
    errors = f"sum by (target) (increase(brokerload_publish_errors_total{{{SEL}}}[{WINDOW}]{OFF}))"
    acked_n = f"sum by (target) (increase(brokerload_messages_acked_total{{{SEL}}}[{WINDOW}]{OFF}))"
    success = f"{acked_n} / ({acked_n} + {errors})"
    b.panel("Publish success", [(shifted(success, ""), "now")] + [
        (shifted(success, off), ago) for off, ago in BASELINES],
        kind="stat", unit="percentunit", width=5, height=5, instant=True, later=True,
        configure=objective_stat,
        description=f"acked / (acked + publish errors) over the last {WINDOW}, and over the same "
                    f"{WINDOW} 1 day and 7 days ago: red under the {AVAILABILITY_OBJECTIVE:.1%} "
                    "objective. Publishing roles only. " + IN_WINDOW_WARMUP)
    lost = f"sum by (target) (increase(brokerload_messages_lost_total{{{SEL}}}[{WINDOW}]{OFF}))"
    late = (f"sum by (target) (increase(brokerload_messages_arrived_after_loss_total{{{SEL}}}"
            f"[{WINDOW}]{OFF}))")
    delivery = f"clamp_max(1 - ({lost} - {late}) / {acked_n}, 1)"
    b.panel("Delivery", [(shifted(delivery, ""), "now")] + [
        (shifted(delivery, off), ago) for off, ago in BASELINES],
        kind="stat", unit="percentunit", width=4, height=5, instant=True, later=True,
        configure=objective_stat,
        description=f"1 - net loss / acked over the last {WINDOW}, and over the same {WINDOW} 1 "
                    "day and 7 days ago; net loss = lost - arrived after loss (a loss counted "
                    f"in the window and arriving later lifts the ratio back, at most to 1): red "
                    f"under the {AVAILABILITY_OBJECTIVE:.1%} objective. Full role only (a "
                    "produce-only target measures no loss, a consume-only one no acks). "
                    + IN_WINDOW_WARMUP)


def alerts_panel():
    """Per alert, instance and target: pending (orange) or firing (red)."""
    return (statetimeline.Panel().show_value(VisibilityMode.AUTO).merge_values(True)
            .legend(common.VizLegendOptions().show_legend(False))
            .color_scheme(dashboard.FieldColor().mode(FieldColorModeId.FIXED).fixed_color("text"))
            .mappings([ValueMap(options={
                "1": ValueMappingResult(text="pending", color="orange", index=0),
                "2": ValueMappingResult(text="firing", color="red", index=1)})]))


KINDS["alerts"] = alerts_panel


def overview():
    b = Board("brokerload-overview", "brokerload: overview")
    regression_row(b)
    b.row("All selected targets")
    # An alert kept per replica (the regression and availability alerts, across restarts) has no
    # `instance`: the empty one matches too.
    alerts = 'alertname=~"Brokerload.*", job=~"$job", instance=~"$instance|"'
    by = "max by (alertname, replica, instance, target)"
    b.panel("brokerload alerts", [
        (f'2 * {by} (ALERTS{{{alerts}, alertstate="firing"}}) '
         f'or {by} (ALERTS{{{alerts}, alertstate="pending"}})',
         "{{alertname}} {{target}} {{replica}} {{instance}}")],
        kind="alerts", width=24, height=6, later=True,
        description="The alert rules' state (Prometheus' ALERTS series, deploy/prometheus/"
                    "brokerload-rules.yml): a row per alert, target and replica or instance, "
                    "while pending (orange: its condition holds, not yet for its `for`) or firing "
                    "(red). No data: no brokerload alert was pending or firing in the time range. "
                    "The latency and rate alerts hold off during the warm-up.")
    b.panel("Offered vs achieved rate", [
        (f"sum by (target) (brokerload_target_messages_per_second{{{SEL}}})", "{{target}} offered"),
        (f"sum by (target) (rate(brokerload_messages_acked_total{{{SEL}}}[$__rate_interval]))", "{{target}} acked"),
        (f"sum by (target) (rate(brokerload_messages_consumed_total{{{SEL}}}[$__rate_interval]))", "{{target}} consumed"),
    ], unit="short", description="messages per second. " + WITH_WARMUP)
    b.panel("End-to-end latency (from scheduled send)", quantiles("brokerload_end_to_end_latency_seconds"), unit="s",
            description=NO_WARMUP)
    b.panel("Publish latency (send to ack)", quantiles("brokerload_publish_latency_seconds"), unit="s",
            description=NO_WARMUP)
    b.panel("End-to-end latency, exact over the last 5 minutes",
            exact("brokerload_end_to_end_latency", "5m"), unit="s",
            description="brokerload's own quantiles (0.8 % resolution), per instance. " + NO_WARMUP)
    b.panel("Publish errors by reason", [
        (f"sum by (target, reason) (rate(brokerload_publish_errors_total{{{SEL}}}[$__rate_interval]))", "{{target}} {{reason}}")],
        unit="short", description=WITH_WARMUP)
    b.panel("Lost, duplicated, redelivered, out of order", [
        (f"sum by (target) (increase(brokerload_messages_lost_total{{{SEL}}}[$__rate_interval]))", "{{target}} lost"),
        (f"sum by (target) (increase(brokerload_messages_duplicated_total{{{SEL}}}[$__rate_interval]))", "{{target}} duplicated (broker)"),
        (f"sum by (target) (increase(brokerload_messages_redelivered_total{{{SEL}}}[$__rate_interval]))", "{{target}} redelivered (consumer)"),
        (f"sum by (target) (increase(brokerload_messages_out_of_order_total{{{SEL}}}[$__rate_interval]))", "{{target}} out of order"),
    ], description=WITH_WARMUP)
    b.panel("Current stage", [(f"brokerload_stage_info{{{SEL}}}", "{{target}}: {{stage}}")], kind="stat")
    b.panel("brokerload behind schedule (send lag p99)", [
        (f'histogram_quantile(0.99, sum by (target, le) (rate(brokerload_send_lag_seconds_bucket{{{SEL}}}[$__rate_interval])))', "{{target}} send lag p99"),
        (f"sum by (target) (rate(brokerload_sends_dropped_total{{{SEL}}}[$__rate_interval]))", "{{target}} dropped/s"),
    ], unit="s", description="The send lag leaves the warm-up out (no latency is recorded during it); "
                             "the drops include it.")
    b.panel("Broker connection and target health", [
        (f"brokerload_broker_connected{{{SEL}}}", "{{target}} connected"),
        (f"increase(brokerload_broker_disconnects_total{{{SEL}}}[$__rate_interval])", "{{target}} disconnects"),
        (f"brokerload_target_healthy{{{SEL}}}", "{{target}} healthy"),
        (f"brokerload_target_health{{{SEL}}}", "{{target}} {{check}}"),
    ])
    b.panel("Stages over time", [(f"brokerload_stage_info{{{SEL}}}", "{{target}}: {{stage}}")], kind="stages",
            description="A row per target and stage, drawn while that stage is current. The warm-up "
                        "(orange) is in every counter and in no latency figure.")
    b.panel("Publish latency, exact over the last 5 minutes",
            exact("brokerload_publish_latency", "5m"), unit="s",
            description="brokerload's own quantiles (0.8 % resolution), per instance. " + NO_WARMUP)
    b.panel("Bytes per second", [
        (f"sum by (target) (rate(brokerload_bytes_published_total{{{SEL}}}[$__rate_interval]))", "{{target}} published"),
        (f"sum by (target) (rate(brokerload_bytes_consumed_total{{{SEL}}}[$__rate_interval]))", "{{target}} consumed"),
    ], unit="Bps", later=True,
        description="Payload bytes (brokerload's header included) of the messages published "
                    "(accepted by the client library; publishing roles) and of every arrival "
                    "counted in consumed, duplicates included (consuming roles). " + WITH_WARMUP)
    b.panel("Consumer backlog", [
        (f"brokerload_consumer_backlog_messages{{{SEL}}}", "{{instance}} {{target}} brokerload's view"),
        (f"sum by (instance, target) (brokerload_broker_backlog_messages{{{SEL}}})", "{{instance}} {{target}} broker's view"),
    ], later=True,
        description="Messages the consumers have yet to take, per instance. brokerload's view: "
                    "acknowledged and not yet received, lost or discarded (full role only). The "
                    "broker's view: Kafka's end offsets minus the group's positions, JetStream's "
                    "stream end minus what the consumer took (consuming roles); a gap while the "
                    "broker gives no answer for a topic. Growing while the rate holds: the "
                    "consumers fall behind. " + WITH_WARMUP)
    b.panel("Broker backlog by topic", [
        (f"brokerload_broker_backlog_messages{{{SEL}}}", "{{instance}} {{target}} {{topic}}"),
    ], later=True,
        description="The broker's view of each topic's backlog (Kafka: its partitions' end offsets "
                    "minus the consumer's positions; JetStream: the stream's end minus the last "
                    "sequence the consumer took), asked once a second. One topic rising alone: "
                    "its consumer (or its partitions' leader) is slow. Messages the broker lost "
                    "never show here: they are in brokerload_messages_lost_total. A gap while "
                    "the broker gives no answer. " + WITH_WARMUP)
    b.panel("Partitions led per broker", [
        (f"brokerload_broker_partitions_led{{{SEL}}}", "{{instance}} {{target}} {{broker}}"),
    ], description="How many of the run's partitions (Kafka) or streams (JetStream) each broker "
                   "or server leads, asked every 5 s. At 0 while others lead some, brokerload "
                   "sends nothing to it first and measures nothing of it (alert "
                   "BrokerloadBrokerLeadsNoPartition); a leader change shows here. A broker down "
                   "is not in Kafka's metadata: its line ends.")
    b.panel("Errors, losses and duplicates by broker", [
        (f"sum by (target, broker) (rate(brokerload_broker_{metric}{{{SEL}}}[$__rate_interval]))",
         f"{{{{target}}}} broker {{{{broker}}}} {label}")
        for metric, label in (("publish_errors_total", "publish errors"),
                              ("messages_lost_total", "lost"),
                              ("messages_duplicated_total", "duplicated"))],
        unit="ops", description="Per second, by broker: publishes the broker failed (by the broker "
                                "that failed them or they were sent to), losses (by the broker that "
                                "acknowledged the lost message; JetStream: the stream's leader), "
                                "second copies (by the broker they were read from). Their sums over "
                                "brokers can fall short of the target's: see docs/metrics.md.")
    b.write()


def latency():
    b = Board("brokerload-latency", "brokerload: latency detail")
    for metric, title in (("brokerload_end_to_end_latency_seconds", "End-to-end latency"),
                          ("brokerload_end_to_end_service_latency_seconds", "End-to-end latency from actual send"),
                          ("brokerload_publish_latency_seconds", "Publish latency")):
        b.panel(title + " heatmap",
                [(f"sum by (le) (rate({metric}_bucket{{{SEL}}}[$__rate_interval]))", "{{le}}")],
                kind="heatmap", width=12, description=NO_WARMUP)
        b.panel(title + " percentiles", quantiles(metric), unit="s", description=NO_WARMUP)
        if "service" not in metric:
            b.panel(title + ", exact over the last minute",
                    exact(metric.removesuffix("_seconds"), "1m"), unit="s", width=24,
                    description="brokerload's own quantiles (0.8 % resolution), per instance; "
                                "histogram_quantile above is within 10 % and aggregates instances. "
                                + NO_WARMUP)
    b.panel("p99 by broker", [
        (f'histogram_quantile(0.99, sum by (target, broker, le) (rate(brokerload_broker_{metric}_seconds_bucket{{{SEL}}}[$__rate_interval])))',
         f"{{{{target}}}} broker {{{{broker}}}} {label}")
        for metric, label in (("publish_latency", "publish"), ("end_to_end_latency", "end-to-end"))],
        unit="s", width=24,
        description="A line per broker: publish latency by the broker that acknowledged, "
                    "end-to-end by the broker the message was read from (Kafka: its id; "
                    "JetStream: the server leading the stream, asked every 5 s). One broker's "
                    "line far above the others': that broker is the slow one (alert "
                    "BrokerloadBrokerSlow). histogram_quantile "
                    "over every second bound of the target histograms' (within 19 %), all "
                    "instances together. " + NO_WARMUP)
    b.panel("p99 by broker, exact over the last minute", [
        (f'brokerload_broker_{metric}_window_seconds{{{SEL}, quantile="0.99", window="1m"}}',
         f"{{{{instance}}}} {{{{target}}}} broker {{{{broker}}}} {label}")
        for metric, label in (("publish_latency", "publish"), ("end_to_end_latency", "end-to-end"))],
        unit="s", width=24,
        description="brokerload's own quantiles by broker (0.8 % resolution), per instance: the "
                    "precise figure beside the histogram_quantile above. NaN (a gap) while a "
                    "broker had no message in the minute. " + NO_WARMUP)
    commits = "brokerload_broker_commit_latency_seconds"
    b.panel("Offset commit latency by group coordinator (Kafka)", [
        (f"sum by (target, broker) (rate({commits}_sum{{{SEL}}}[$__rate_interval])) / "
         f"sum by (target, broker) (rate({commits}_count{{{SEL}}}[$__rate_interval]))",
         "{{target}} coordinator {{broker}} mean"),
        (f"histogram_quantile(0.99, sum by (target, broker, le) (rate({commits}_bucket{{{SEL}}}[$__rate_interval])))",
         "{{target}} coordinator {{broker}} p99")],
        unit="s", width=24,
        description="From an offset commit request to the consumer group coordinator's answer, "
                    "a line per coordinator (broker id, asked every 5 s: "
                    "brokerload_kafka_group_coordinator). brokerload times one commit of the "
                    "consumed offsets every 5 s per group beside auto-commit. A line that jumps "
                    "when the coordinator moves: that broker is slow to answer commits. Failed "
                    "commits: brokerload_broker_commit_failures_total{reason}.")
    b.panel("Send lag heatmap",
            [(f"sum by (le) (rate(brokerload_send_lag_seconds_bucket{{{SEL}}}[$__rate_interval]))", "{{le}}")],
            kind="heatmap", description=NO_WARMUP)
    b.panel("Send lag, exact over the last minute", exact("brokerload_send_lag", "1m"), unit="s",
            description=NO_WARMUP)
    b.panel("In flight", [(f"brokerload_in_flight_messages{{{SEL}}}", "{{target}}")])
    b.panel("Publishers under real-time scheduling", [
        (f"brokerload_publisher_realtime{{{SEL}}}", "{{instance}} {{target}}")],
        description="1: the publisher thread runs under SCHED_FIFO while on schedule "
                    "(run.realtime_priority). 0: normal priority (no CAP_SYS_NICE, as in the "
                    "chart's default pod): on a busy machine its sends wait for a core, and the "
                    "send lag shows it.")
    b.panel("Exact quantiles over the last 5 minutes", [
        (f'brokerload_{metric}_window_seconds{{{SEL}, window="5m"}}', "")
        for metric in ("end_to_end_latency", "publish_latency", "send_lag")],
        kind="table", unit="s", transformations=columns(
            {"Value #A": "end-to-end", "Value #B": "publish", "Value #C": "send lag"}, ("job", "window")),
        description="The precise figures: brokerload's own quantiles (to 0.4 %), a row per instance, "
                    "target and quantile; quantiles of different instances do not combine. "
                    "NaN while the window holds no value. " + NO_WARMUP)
    b.write()


def compare():
    b = Board("brokerload-compare", "brokerload: Kafka vs NATS side by side")
    for target in ("kafka", "nats"):
        sel = f'job=~"$job", instance=~"$instance", target="{target}"'
        b.panel(f"{target}: acked msg/s",
                [(f"sum (rate(brokerload_messages_acked_total{{{sel}}}[$__rate_interval]))", target)], width=12,
                description=WITH_WARMUP)
    for target in ("kafka", "nats"):
        sel = f'job=~"$job", instance=~"$instance", target="{target}"'
        b.panel(f"{target}: end-to-end p99",
                [(f"histogram_quantile(0.99, sum by (le) (rate(brokerload_end_to_end_latency_seconds_bucket{{{sel}}}[$__rate_interval])))", target)],
                unit="s", width=12, description=NO_WARMUP)
    b.panel("p99 end-to-end, both", quantiles("brokerload_end_to_end_latency_seconds")[1:2], unit="s", width=12,
            description=NO_WARMUP)
    b.panel("p99 end-to-end, both, exact over the last minute",
            [(f'brokerload_end_to_end_latency_window_seconds{{{SEL}, quantile="0.99", window="1m"}}',
              "{{instance}} {{target}}")], unit="s", width=12, description=NO_WARMUP)
    b.panel("p99 publish, both", quantiles("brokerload_publish_latency_seconds")[1:2], unit="s", width=12,
            description="histogram_quantile: within 10 %, all instances together. " + NO_WARMUP)
    b.panel("p99 publish, both, exact over the last minute",
            [(f'brokerload_publish_latency_window_seconds{{{SEL}, quantile="0.99", window="1m"}}',
              "{{instance}} {{target}}")], unit="s", width=12,
            description="brokerload's own quantile (to 0.4 %), per instance: the figure to compare "
                        "the brokers by. " + NO_WARMUP)
    b.write()


def resources():
    b = Board("brokerload-resources", "brokerload: own resources", with_target=False)
    b.panel("Resident memory", [(f"process_resident_memory_bytes{{{PROC}}}", "{{instance}}")], unit="bytes")
    b.panel("Threads", [(f"process_threads{{{PROC}}}", "{{instance}}")])
    b.panel("CPU (cores)", [(f"rate(process_cpu_seconds_total{{{PROC}}}[$__rate_interval])", "{{instance}}")])
    b.panel("Open file descriptors", [(f"process_open_fds{{{PROC}}}", "{{instance}}")])
    b.panel("Worker queue depth", [(f"brokerload_worker_queue_depth{{{PROC}}}", "{{instance}}")])
    b.panel("Versions", [(f"brokerload_build_info{{{PROC}}}", "")], kind="table",
            transformations=columns({"version": "brokerload"}, ("Value",)),
            description="brokerload's version per instance (brokerload_build_info).")
    b.panel("Broker and client versions", [(f"brokerload_target_info{{{PROC}}}", "")], kind="table",
            transformations=columns({"broker_version": "broker", "client_version": "client library"},
                                    ("Value",)),
            description="Per instance and target, the broker's version (Kafka metadata, NATS INFO) "
                        "and the client library's, as read at start (brokerload_target_info): a "
                        "broker upgrade shows here and in the figures beside it.")
    b.panel("Configuration loaded", [
        (f"brokerload_config_loaded_timestamp_seconds{{{PROC}}} * 1000", "{{instance}}")],
        kind="stat", unit="dateTimeFromNow",
        description="When each instance loaded the configuration it runs "
                    "(brokerload_config_loaded_timestamp_seconds).")
    if CONFIG_RELOADS_PANEL:
        b.panel("Configuration reloads", [
            (f"sum by (instance, result) (increase(brokerload_config_reloads_total{{{PROC}}}[$__rate_interval]))",
             "{{instance}} {{result}}")],
            description="Reloads of the configuration per result (brokerload_config_reloads_total); "
                        "one that took effect moves 'Configuration loaded'.")
    b.write()


if __name__ == "__main__":
    if len(sys.argv) > 1:
        OUT = sys.argv[1]
    overview()
    latency()
    compare()
    resources()
