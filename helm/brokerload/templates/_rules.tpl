{{- /*
brokerload's recording and alerting rules: the `groups:` list, from .Values.rules. Both the
PrometheusRule (templates/prometheusrule.yaml) and deploy/prometheus/brokerload-rules.yml (its
default rendering, written by deploy/prometheus/render.sh through templates/rules-file.yaml) come
from here. Annotations carry Prometheus' own template text ({{ $labels.x }}, {{ $value }}): it
is kept in Helm variables or printed with {{ "{{" }} so that Helm passes it through.
*/ -}}

{{- /* for, labels and the runbook_url of one alert; the caller goes on with its annotations.
  dict: r (.Values.rules), name, a (the alert's values: for, severity), labels (more, optional) */ -}}
{{- define "brokerload.rules.meta" -}}
for: {{ .a.for }}
labels: {severity: {{ .a.severity }}
{{- range $k, $v := .labels }}, {{ $k }}: {{ $v }}{{ end }}
{{- range $k, $v := .r.extraLabels }}, {{ $k }}: {{ $v | quote }}{{ end -}}
}
annotations:
  runbook_url: {{ printf "%s#%s" .r.runbookBaseUrl (lower .name) | quote }}
{{- end -}}

{{- /* Prometheus template text: the value of the recorded series NAME for the alert's (job,
  replica, target), through the humanize function FUNC. list: NAME FUNC */ -}}
{{- define "brokerload.rules.valueOf" -}}
{{ "{{" }} with printf `{{ index . 0 }}{job=%q,replica=%q,target=%q}` $labels.job $labels.replica $labels.target | query {{ "}}" }}{{ "{{" }} . | first | value | {{ index . 1 }} {{ "}}" }}{{ "{{" }} else {{ "}}" }}none{{ "{{" }} end {{ "}}" }}
{{- end -}}

{{- /* The baseline of a per-replica series: the median over the configured offsets of its average
  over the range before each, each day kept only where the offered rate then equals the offered
  rate now (+Inf == +Inf: unpaced compares with unpaced). list: SERIES .Values.rules.baseline */ -}}
{{- define "brokerload.rules.baseline" -}}
{{- $series := index . 0 -}}
{{- $b := index . 1 -}}
quantile by (job, replica, target) (0.5,
{{- range $i, $d := $b.offsets }}
  {{ if $i }}or {{ end }}label_replace(
    avg_over_time({{ $series }}[{{ $b.range }}] offset {{ $d }})
    and on (job, replica, target)
      (brokerload:replica_offered_rate:max == brokerload:replica_offered_rate:max offset {{ $d }}),
    "baseline_offset", "{{ $d }}", "", ""
  )
{{- end }}
)
{{- end -}}

{{- define "brokerload.rules" -}}
{{- $r := .Values.rules -}}
{{- $a := $r.alerts -}}
{{- $b := $r.baseline -}}
{{- $slo := $r.availability -}}
{{- $windows := list $slo.fastBurn.shortWindow $slo.slowBurn.shortWindow $slo.fastBurn.longWindow $slo.slowBurn.longWindow | uniq -}}
{{- $target := "{{ $labels.target }}" -}}
{{- /* who: the replica (the pod name under Kubernetes) or, without that label, the instance */ -}}
{{- $who := "{{ with $labels.replica }}{{ . }}{{ else }}{{ $labels.instance }}{{ end }}" -}}
{{- $value := "{{ $value | humanize }}" -}}
{{- $valueDuration := "{{ $value | humanizeDuration }}" -}}
{{- $valuePercent := "{{ $value | humanizePercentage }}" -}}
{{- $offsets := join ", " $b.offsets -}}
{{- $holdOff := printf "unless on (job, replica)\n  (time() - max by (job, replica) (brokerload_config_loaded_timestamp_seconds) < %v)" $b.configLoadHoldOffSeconds -}}
# Two kinds of latency figures (docs/metrics.md):
# - brokerload_*_window_seconds{quantile, window}: exact quantiles (to 0.8 %) of one instance over
#   the last 1m or 5m. The alerts use these: a threshold means what it says, wherever it lies.
#   They cannot be aggregated across instances (a max or an average of quantiles is no quantile).
# - histogram_quantile over the *_seconds_bucket series: within 10 % with the default buckets
#   (geometric, ratio 2^(1/8)), and the one form that aggregates across instances (sum by le).
#   The recording rules below keep it, per instance, for fleet views and dashboards.
# Identity: `instance` is a pod IP under Kubernetes, new at every restart; `replica` (the pod name,
# set by the ServiceMonitor's relabeling or a static label) stays. Rules that compare with the
# past (baselines, error budgets) aggregate by (job, replica, target), never by instance.
# Latency and rate alerts hold off while a target is in its `warmup` stage.
groups:
  - name: brokerload-recording
    interval: 30s
    rules:
      # Per instance, for the dashboards (names and labels fixed: dashboards/ reads them).
      - record: brokerload:messages_published:rate1m
        expr: sum by (job, instance, target) (rate(brokerload_messages_published_total[1m]))
      - record: brokerload:messages_acked:rate1m
        expr: sum by (job, instance, target) (rate(brokerload_messages_acked_total[1m]))
      - record: brokerload:messages_consumed:rate1m
        expr: sum by (job, instance, target) (rate(brokerload_messages_consumed_total[1m]))
      - record: brokerload:publish_errors:rate5m
        expr: sum by (job, instance, target, reason) (rate(brokerload_publish_errors_total[5m]))
      - record: brokerload:messages_lost:increase5m
        expr: sum by (job, instance, target) (increase(brokerload_messages_lost_total[5m]))
      # histogram_quantile: sum by (..., le) may drop `instance` to aggregate a fleet.
      - record: brokerload:end_to_end_latency_seconds:p50_5m
        expr: histogram_quantile(0.5, sum by (job, instance, target, le) (rate(brokerload_end_to_end_latency_seconds_bucket[5m])))
      - record: brokerload:end_to_end_latency_seconds:p99_5m
        expr: histogram_quantile(0.99, sum by (job, instance, target, le) (rate(brokerload_end_to_end_latency_seconds_bucket[5m])))
      - record: brokerload:end_to_end_latency_seconds:p999_5m
        expr: histogram_quantile(0.999, sum by (job, instance, target, le) (rate(brokerload_end_to_end_latency_seconds_bucket[5m])))
      - record: brokerload:publish_latency_seconds:p99_5m
        expr: histogram_quantile(0.99, sum by (job, instance, target, le) (rate(brokerload_publish_latency_seconds_bucket[5m])))
      - record: brokerload:send_lag_seconds:p99_5m
        expr: histogram_quantile(0.99, sum by (job, instance, target, le) (rate(brokerload_send_lag_seconds_bucket[5m])))

      # Per replica, across restarts. One instance per replica at a time, so the max of its exact
      # p99 is that instance's p99; the warm-up is left out before aggregating.
      - record: brokerload:replica_acked:rate5m
        expr: sum by (job, replica, target) (rate(brokerload_messages_acked_total[5m]))
      - record: brokerload:replica_publish_latency_seconds:p99_5m
        expr: |
          max by (job, replica, target) (
            brokerload_publish_latency_window_seconds{quantile="0.99", window="5m"}
            unless on (job, instance, target) (brokerload_stage_info{stage="warmup"} == 1)
          )
      - record: brokerload:replica_end_to_end_latency_seconds:p99_5m
        expr: |
          max by (job, replica, target) (
            brokerload_end_to_end_latency_window_seconds{quantile="0.99", window="5m"}
            unless on (job, instance, target) (brokerload_stage_info{stage="warmup"} == 1)
          )
      # The offered rate: +Inf with `profile.rate: max` (unpaced), 0 once a bounded profile ended.
      - record: brokerload:replica_offered_rate:max
        expr: max by (job, replica, target) (brokerload_target_messages_per_second)

      # Availability SLIs, per replica, over the burn-rate alerts' windows.
      # Publish: the share of publishes that failed. Delivery: net loss (lost minus arrived after
      # all) per acknowledged message.
{{- range $w := $windows }}
      - record: brokerload:replica_publish_errors:ratio_rate{{ $w }}
        expr: |
          sum by (job, replica, target) (rate(brokerload_publish_errors_total[{{ $w }}]))
          /
          (
            sum by (job, replica, target) (rate(brokerload_messages_acked_total[{{ $w }}]))
            + sum by (job, replica, target) (rate(brokerload_publish_errors_total[{{ $w }}]))
          )
      - record: brokerload:replica_delivery_errors:ratio_rate{{ $w }}
        expr: |
          clamp_min(
            sum by (job, replica, target) (increase(brokerload_messages_lost_total[{{ $w }}]))
            - sum by (job, replica, target) (increase(brokerload_messages_arrived_after_loss_total[{{ $w }}])),
            0
          )
          / sum by (job, replica, target) (increase(brokerload_messages_acked_total[{{ $w }}]))
{{- end }}

      # Baselines that survive restarts (per replica): the median, over the offsets, of the
      # average over the range before each, each offset kept only at today's offered rate.
      # Offsets: {{ $offsets }}; range: {{ $b.range }}.
      - record: brokerload:replica_publish_latency_seconds:p99_5m_baseline
        expr: |
          {{- include "brokerload.rules.baseline" (list "brokerload:replica_publish_latency_seconds:p99_5m" $b) | nindent 10 }}
      - record: brokerload:replica_end_to_end_latency_seconds:p99_5m_baseline
        expr: |
          {{- include "brokerload.rules.baseline" (list "brokerload:replica_end_to_end_latency_seconds:p99_5m" $b) | nindent 10 }}
      - record: brokerload:replica_acked:rate5m_baseline
        expr: |
          {{- include "brokerload.rules.baseline" (list "brokerload:replica_acked:rate5m" $b) | nindent 10 }}

  - name: brokerload-alerts
    rules:
      # --- Throughput and latency (hold off during the warm-up) ---
      - alert: BrokerloadAchievedRateLow
        # Paced only: unpaced (`rate: max`) the offered rate is +Inf and every rate is below it.
        expr: |
          (
            sum by (job, instance, replica, target) (rate(brokerload_messages_acked_total[1m]))
              < on (job, instance, replica, target) ({{ $a.achievedRateLow.ratio }} * brokerload_target_messages_per_second)
            and on (job, instance, target) (brokerload_target_messages_per_second > 0)
            and on (job, instance, target) (brokerload_target_messages_per_second < +Inf)
          )
          # Not while the 1m rate still spans the start or the warm-up (the counter's first
          # samples precede the first sends: a rate read then is low without any fault).
          unless on (job, instance, target) (max_over_time(brokerload_stage_info{stage="warmup"}[2m]) == 1)
          unless on (job, instance) (time() - process_start_time_seconds < 180)
        {{- include "brokerload.rules.meta" (dict "r" $r "name" "BrokerloadAchievedRateLow" "a" $a.achievedRateLow) | nindent 8 }}
          summary: "{{ $target }} acks below {{ "{{" }} {{ $a.achievedRateLow.ratio }} | humanizePercentage {{ "}}" }} of the offered rate"
          description: "{{ $who }}: {{ $target }} acknowledged {{ $value }} msg/s for {{ $a.achievedRateLow.for }}, under {{ "{{" }} {{ $a.achievedRateLow.ratio }} | humanizePercentage {{ "}}" }} of the rate brokerload offers."

      - alert: BrokerloadEndToEndP99High
        # The exact p99 of the last 5 minutes (not histogram_quantile): no interpolation error.
        expr: |
          max without (quantile, window)
            (brokerload_end_to_end_latency_window_seconds{quantile="0.99", window="5m"}) > {{ $a.endToEndP99High.thresholdSeconds }}
          unless on (job, instance, target) (brokerload_stage_info{stage="warmup"} == 1)
        {{- include "brokerload.rules.meta" (dict "r" $r "name" "BrokerloadEndToEndP99High" "a" $a.endToEndP99High) | nindent 8 }}
          summary: "{{ $target }} end-to-end p99 above {{ "{{" }} {{ $a.endToEndP99High.thresholdSeconds }} | humanizeDuration {{ "}}" }}"
          description: "{{ $who }}: end-to-end p99 of {{ $target }} is {{ $valueDuration }} (exact over the last 5 minutes; threshold {{ "{{" }} {{ $a.endToEndP99High.thresholdSeconds }} | humanizeDuration {{ "}}" }}) for {{ $a.endToEndP99High.for }}."

      # Regressions: against the replica's own baseline (above), not within the hold-off after a
      # config load (a start, or a reload that applied a change: what the rate does not show,
      # such as the message size, may have changed). Hold-off: {{ $b.configLoadHoldOffSeconds }} s.
      - alert: BrokerloadPublishP99Regression
        expr: |
          (
            brokerload:replica_publish_latency_seconds:p99_5m
              >= {{ $a.publishP99Regression.ratio }} * brokerload:replica_publish_latency_seconds:p99_5m_baseline
            and brokerload:replica_publish_latency_seconds:p99_5m > {{ $a.publishP99Regression.floorSeconds }}
          )
          {{- $holdOff | nindent 10 }}
        {{- include "brokerload.rules.meta" (dict "r" $r "name" "BrokerloadPublishP99Regression" "a" $a.publishP99Regression) | nindent 8 }}
          summary: "{{ $target }} publish p99 regressed to {{ $a.publishP99Regression.ratio }} times its baseline"
          description: "{{ $who }}: publish p99 of {{ $target }} is {{ $valueDuration }}, at least {{ $a.publishP99Regression.ratio }} times its baseline of {{ include "brokerload.rules.valueOf" (list "brokerload:replica_publish_latency_seconds:p99_5m_baseline" "humanizeDuration") }} (median of the {{ $b.range }} before {{ $offsets }} ago, at the same offered rate) and above {{ "{{" }} {{ $a.publishP99Regression.floorSeconds }} | humanizeDuration {{ "}}" }}."

      - alert: BrokerloadEndToEndP99Regression
        expr: |
          (
            brokerload:replica_end_to_end_latency_seconds:p99_5m
              >= {{ $a.endToEndP99Regression.ratio }} * brokerload:replica_end_to_end_latency_seconds:p99_5m_baseline
            and brokerload:replica_end_to_end_latency_seconds:p99_5m > {{ $a.endToEndP99Regression.floorSeconds }}
          )
          {{- $holdOff | nindent 10 }}
        {{- include "brokerload.rules.meta" (dict "r" $r "name" "BrokerloadEndToEndP99Regression" "a" $a.endToEndP99Regression) | nindent 8 }}
          summary: "{{ $target }} end-to-end p99 regressed to {{ $a.endToEndP99Regression.ratio }} times its baseline"
          description: "{{ $who }}: end-to-end p99 of {{ $target }} is {{ $valueDuration }}, at least {{ $a.endToEndP99Regression.ratio }} times its baseline of {{ include "brokerload.rules.valueOf" (list "brokerload:replica_end_to_end_latency_seconds:p99_5m_baseline" "humanizeDuration") }} (median of the {{ $b.range }} before {{ $offsets }} ago, at the same offered rate) and above {{ "{{" }} {{ $a.endToEndP99Regression.floorSeconds }} | humanizeDuration {{ "}}" }}."

      - alert: BrokerloadThroughputRegression
        # Unpaced only (offered rate +Inf): a paced run acks what it offers, AchievedRateLow's case.
        expr: |
          (
            brokerload:replica_acked:rate5m
              < (1 - {{ $a.throughputRegression.drop }}) * brokerload:replica_acked:rate5m_baseline
            and on (job, replica, target) (brokerload:replica_offered_rate:max == +Inf)
          )
          unless on (job, replica, target) (brokerload_stage_info{stage="warmup"} == 1)
          {{- $holdOff | nindent 10 }}
        {{- include "brokerload.rules.meta" (dict "r" $r "name" "BrokerloadThroughputRegression" "a" $a.throughputRegression) | nindent 8 }}
          summary: "{{ $target }} unpaced throughput fell more than {{ "{{" }} {{ $a.throughputRegression.drop }} | humanizePercentage {{ "}}" }} below its baseline"
          description: "{{ $who }}: {{ $target }} acknowledges {{ $value }} msg/s unpaced, more than {{ "{{" }} {{ $a.throughputRegression.drop }} | humanizePercentage {{ "}}" }} below its baseline of {{ include "brokerload.rules.valueOf" (list "brokerload:replica_acked:rate5m_baseline" "humanize") }} msg/s (median of the {{ $b.range }} before {{ $offsets }} ago) for {{ $a.throughputRegression.for }}."

      # --- Availability: multiwindow, multi-burn-rate alerts (the SRE workbook's): a pair fires
      # when the error ratio over both its windows is above factor x (1 - objective).
      # Objective: {{ $slo.objective }} ---
{{- range $sli := list (list "Publish" "publish" "of publishes failed") (list "Delivery" "delivery" "of acknowledged messages were lost (net of late arrivals)") }}
{{- range $burn := list (list "fast" $slo.fastBurn) (list "slow" $slo.slowBurn) }}
{{- $p := index $burn 1 }}

      - alert: Brokerload{{ index $sli 0 }}ErrorBudgetBurn
        expr: |
          (
            brokerload:replica_{{ index $sli 1 }}_errors:ratio_rate{{ $p.longWindow }} > ({{ $p.factor }} * (1 - {{ $slo.objective }}))
            and
            brokerload:replica_{{ index $sli 1 }}_errors:ratio_rate{{ $p.shortWindow }} > ({{ $p.factor }} * (1 - {{ $slo.objective }}))
          )
        {{- include "brokerload.rules.meta" (dict "r" $r "name" (printf "Brokerload%sErrorBudgetBurn" (index $sli 0)) "a" $p "labels" (dict "burn" (index $burn 0))) | nindent 8 }}
          summary: "{{ $target }} burns its {{ index $sli 1 }} error budget over {{ $p.factor }} times as fast as allowed"
          description: "{{ $who }}: {{ $valuePercent }} {{ index $sli 2 }} over the last {{ $p.longWindow }} (and over {{ $p.shortWindow }} too), over {{ $p.factor }} times the error rate that the {{ "{{" }} {{ $slo.objective }} | humanizePercentage {{ "}}" }} objective allows."
{{- end }}
{{- end }}

      # --- Correctness ---
      - alert: BrokerloadMessagesLost
        # Net loss: a verdict about the broker (a gap behind a later message of the same partition
        # or stream after run.loss_grace, or not received once the consumer caught up with the
        # broker's end), minus those that arrived after all. A backlog is not loss.
        expr: |
          sum by (job, instance, replica, target) (increase(brokerload_messages_lost_total[5m]))
          - sum by (job, instance, replica, target) (increase(brokerload_messages_arrived_after_loss_total[5m]))
          > 0
        {{- include "brokerload.rules.meta" (dict "r" $r "name" "BrokerloadMessagesLost" "a" $a.messagesLost) | nindent 8 }}
          summary: "{{ $target }} lost messages"
          description: "{{ $who }}: {{ $value }} messages of {{ $target }} were lost in the last 5 minutes (net of late arrivals): acknowledged, or followed by a later message of their partition or stream, and never received."

      # Broker-side duplicates only: a second copy of a message in the log or stream. A consumer's
      # redelivery after a restart (brokerload_messages_redelivered_total) is expected
      # at-least-once behaviour and does not page anybody. The share is of acknowledged messages
      # (of consumed ones on a consume-only instance, which sees no acknowledgements).
      - alert: BrokerloadBrokerDuplicates
        expr: |
          sum by (job, instance, replica, target) (increase(brokerload_messages_duplicated_total[10m])) > {{ $a.brokerDuplicates.minCount }}
          and
          (
            sum by (job, instance, replica, target) (increase(brokerload_messages_duplicated_total[10m]))
            /
            (
              sum by (job, instance, replica, target) (increase(brokerload_messages_acked_total[10m]))
              or sum by (job, instance, replica, target) (increase(brokerload_messages_consumed_total[10m]))
            )
            > {{ $a.brokerDuplicates.ratio }}
          )
        {{- include "brokerload.rules.meta" (dict "r" $r "name" "BrokerloadBrokerDuplicates" "a" $a.brokerDuplicates) | nindent 8 }}
          summary: "{{ $target }} stored messages twice"
          description: "{{ $who }}: {{ $value }} messages of {{ $target }} arrived again from a new offset or stream sequence in the last 10 minutes (more than {{ $a.brokerDuplicates.minCount }} and {{ "{{" }} {{ $a.brokerDuplicates.ratio }} | humanizePercentage {{ "}}" }} of those acknowledged): a second copy in the broker (e.g. a producer retry written twice), not a consumer redelivery."

      - alert: BrokerloadPublishErrors
        expr: |
          (
            sum by (job, instance, replica, target) (rate(brokerload_publish_errors_total[5m]))
            /
            (
              sum by (job, instance, replica, target) (rate(brokerload_messages_acked_total[5m]))
              + sum by (job, instance, replica, target) (rate(brokerload_publish_errors_total[5m]))
            )
            > {{ $a.publishErrors.ratio }}
          )
          and sum by (job, instance, replica, target) (rate(brokerload_publish_errors_total[5m])) > {{ $a.publishErrors.minPerSecond }}
        {{- include "brokerload.rules.meta" (dict "r" $r "name" "BrokerloadPublishErrors" "a" $a.publishErrors) | nindent 8 }}
          summary: "{{ $target }} publish errors"
          description: "{{ $who }}: {{ $valuePercent }} of publishes to {{ $target }} failed over the last 5 minutes (over {{ "{{" }} {{ $a.publishErrors.ratio }} | humanizePercentage {{ "}}" }} and {{ $a.publishErrors.minPerSecond }}/s; brokerload_publish_errors_total by reason says why)."

      # --- Consumption ---
      - alert: BrokerloadConsumerBehind
        # Acknowledged and not yet received, in seconds of the acked rate (full role). Not loss:
        # brokerload_broker_backlog_messages says whether the broker still holds it.
        expr: |
          (
            sum by (job, instance, replica, target) (brokerload_consumer_backlog_messages)
            / sum by (job, instance, replica, target) (rate(brokerload_messages_acked_total[5m]))
            > {{ $a.consumerBehind.backlogSeconds }}
          )
          and sum by (job, instance, replica, target) (brokerload_consumer_backlog_messages) > 0
          unless on (job, instance, target) (brokerload_stage_info{stage="warmup"} == 1)
        {{- include "brokerload.rules.meta" (dict "r" $r "name" "BrokerloadConsumerBehind" "a" $a.consumerBehind) | nindent 8 }}
          summary: "{{ $target }} consumers are behind"
          description: "{{ $who }}: the consumers of {{ $target }} have not yet received {{ $valueDuration }} of acknowledged traffic (brokerload_consumer_backlog_messages over the acked rate; threshold {{ $a.consumerBehind.backlogSeconds }} s) for {{ $a.consumerBehind.for }}."

      - alert: BrokerloadConsumptionStopped
        # The broker keeps acknowledging publishes, yet the consumers receive nothing: within one
        # full instance, or across a produce-only and a consume-only instance on the same topic
        # (both must be there: a produce-only instance alone does not fire).
        expr: |
          (
            sum by (job, instance, replica, target) (increase(brokerload_messages_consumed_total[3m])) == 0
            and on (job, instance, target)
              sum by (job, instance, target) (increase(brokerload_messages_acked_total[3m])) > 0
            unless on (job, instance, target) (brokerload_stage_info{stage="warmup"} == 1)
          )
          or
          (
            sum by (target, topic) (
              increase(brokerload_messages_consumed_total[3m])
              and on (job, instance, target) (brokerload_role_info{role="consume-only"} == 1)
            ) == 0
            and on (target, topic)
              sum by (target, topic) (
                increase(brokerload_messages_acked_total[3m])
                and on (job, instance, target) (brokerload_role_info{role="produce-only"} == 1)
                unless on (job, instance, target) (brokerload_stage_info{stage="warmup"} == 1)
              ) > 0
          )
        {{- include "brokerload.rules.meta" (dict "r" $r "name" "BrokerloadConsumptionStopped" "a" $a.consumptionStopped) | nindent 8 }}
          summary: "{{ $target }} consumers receive nothing while publishing goes on"
          description: "{{ "{{" }} if $labels.topic {{ "}}" }}{{ $target }} topic {{ "{{" }} $labels.topic {{ "}}" }}: the consume-only instances received no message{{ "{{" }} else {{ "}}" }}{{ $who }}: {{ $target }} consumed no message{{ "{{" }} end {{ "}}" }} for at least 3m + {{ $a.consumptionStopped.for }} while the broker kept acknowledging publishes."

      # --- What the canary reaches ---
      - alert: BrokerloadBrokerLeadsNoPartition
        # A Kafka broker (a JetStream server) that leads none of the run's partitions (streams)
        # while others lead some: no message goes to it first, so its latency or failure shows in
        # no figure. A cluster of one, where it leads all, never fires.
        expr: |
          brokerload_broker_partitions_led == 0
          and on (job, instance, target)
            max by (job, instance, target) (brokerload_broker_partitions_led) > 0
        {{- include "brokerload.rules.meta" (dict "r" $r "name" "BrokerloadBrokerLeadsNoPartition" "a" $a.brokerLeadsNoPartition) | nindent 8 }}
          summary: "{{ $target }} {{ "{{" }} $labels.broker {{ "}}" }} leads nothing brokerload sends to"
          description: "{{ $who }}: {{ $target }} broker or server {{ "{{" }} $labels.broker {{ "}}" }} has led none of this run's partitions or streams for {{ $a.brokerLeadsNoPartition.for }} while others lead some: brokerload measures nothing of it. Kafka: targets.kafka.topic.partitions per_broker (for new topics) or a preferred leader election; JetStream: more topics, or R3 streams."

      - alert: BrokerloadBrokerSlow
        # One broker's (JetStream: server's) publish p99 far above the others' (the median over
        # the target's brokers with traffic, itself included, per instance), from the per-broker histograms (every message under the
        # broker that acknowledged it). A fault of the cluster (every broker slow) is the regression
        # alerts'; this one names the broker.
        expr: |
          (
            histogram_quantile(0.99, sum by (job, instance, replica, target, broker, le)
              (rate(brokerload_broker_publish_latency_seconds_bucket[5m])))
            > on (job, instance, target) group_left ()
            (
              # `>= 0` drops the NaN of a broker without traffic (its slot stays exported).
              {{ $a.brokerSlow.ratio }} * quantile by (job, instance, target) (0.5,
                histogram_quantile(0.99, sum by (job, instance, replica, target, broker, le)
                  (rate(brokerload_broker_publish_latency_seconds_bucket[5m]))) >= 0)
            )
          ) > {{ $a.brokerSlow.floorSeconds }}
        {{- include "brokerload.rules.meta" (dict "r" $r "name" "BrokerloadBrokerSlow" "a" $a.brokerSlow) | nindent 8 }}
          summary: "{{ $target }} broker {{ "{{" }} $labels.broker {{ "}}" }} publishes {{ $a.brokerSlow.ratio }}x slower than its peers"
          description: "{{ $who }}: {{ $target }} broker {{ "{{" }} $labels.broker {{ "}}" }} has a publish p99 of {{ $valueDuration }} (5 minutes, messages it acknowledged), more than {{ $a.brokerSlow.ratio }} times the median of the target's brokers' (itself included) and above {{ "{{" }} {{ $a.brokerSlow.floorSeconds }} | humanizeDuration {{ "}}" }}, for {{ $a.brokerSlow.for }}."

      # --- brokerload itself ---
      - alert: BrokerloadSaturated
        # brokerload runs behind its own schedule: its own limit, or the broker's backpressure.
        expr: |
          (
            max by (job, instance, replica, target)
              (brokerload_send_lag_window_seconds{quantile="0.99", window="5m"}) > {{ $a.saturated.sendLagP99Seconds }}
            or
            sum by (job, instance, replica, target) (increase(brokerload_sends_dropped_total[5m])) > 0
          )
          unless on (job, instance, target) (max_over_time(brokerload_stage_info{stage="warmup"}[1m]) == 1)
        {{- include "brokerload.rules.meta" (dict "r" $r "name" "BrokerloadSaturated" "a" $a.saturated) | nindent 8 }}
          summary: "brokerload cannot keep its schedule for {{ $target }}"
          description: "{{ $who }}: brokerload sends {{ $target }} messages behind schedule (send lag p99 over {{ "{{" }} {{ $a.saturated.sendLagP99Seconds }} | humanizeDuration {{ "}}" }}, or sends dropped): its figures describe the sender, not only the broker. In-flight at max_pending: the broker pushes back; in-flight low and CPU high: brokerload's host."

      - alert: BrokerloadTargetUnhealthy
        # brokerload_target_healthy: connected, sends acknowledged, acknowledged messages received
        # (each over 10 s). An outage, a stalled consumer or revoked permissions.
        expr: |
          min by (job, instance, replica, target) (brokerload_target_healthy) == 0
          unless on (job, instance, target) (brokerload_stage_info{stage="warmup"} == 1)
          # Not while a process younger than a minute is still being set up: a start that keeps
          # failing alerts after that (its targets export healthy 0 from the first scrape).
          unless on (job, instance)
            (brokerload_ready == 0 and on (job, instance) (time() - process_start_time_seconds < 60))
        {{- include "brokerload.rules.meta" (dict "r" $r "name" "BrokerloadTargetUnhealthy" "a" $a.targetUnhealthy) | nindent 8 }}
          summary: "{{ $target }} does not work end to end"
          description: "{{ $who }}: {{ $target }} has failed a health check (brokerload_target_health: connected, publishing or consuming) for {{ $a.targetUnhealthy.for }}."

      - alert: BrokerloadConfigReloadFailed
        # The config file holds what brokerload refused (a key that needs a restart changed) or
        # cannot load: the previous config keeps running, not the one the file says.
        expr: brokerload_config_last_reload_successful == 0
        {{- include "brokerload.rules.meta" (dict "r" $r "name" "BrokerloadConfigReloadFailed" "a" $a.configReloadFailed) | nindent 8 }}
          summary: "brokerload runs an older config than its file"
          description: "{{ $who }}: the last reload of the config file was refused or found it invalid, {{ $a.configReloadFailed.for }} ago or more; the previous config keeps running (the log's `config reload` line says why)."

      - alert: BrokerloadThreadsGrowing
        expr: |
          deriv(process_threads[1h]) > {{ $a.threadsGrowing.perSecond }}
          and on (job, instance) brokerload_build_info
          # An hour of this process (deriv over [1h]): its start-up allocations are no growth.
          and on (job, instance) (time() - process_start_time_seconds >= 3600)
        {{- include "brokerload.rules.meta" (dict "r" $r "name" "BrokerloadThreadsGrowing" "a" $a.threadsGrowing) | nindent 8 }}
          summary: "brokerload's thread count keeps growing"
          description: "{{ $who }}: threads grow by {{ $value }} per second over the last hour."

      - alert: BrokerloadMemoryGrowing
        expr: |
          deriv(process_resident_memory_bytes[1h]) > {{ $a.memoryGrowing.bytesPerSecond }}
          and on (job, instance) brokerload_build_info
          and on (job, instance) (time() - process_start_time_seconds >= 3600)
        {{- include "brokerload.rules.meta" (dict "r" $r "name" "BrokerloadMemoryGrowing" "a" $a.memoryGrowing) | nindent 8 }}
          summary: "brokerload's memory keeps growing"
          description: "{{ $who }}: resident memory grows by {{ "{{" }} $value | humanize1024 {{ "}}" }}B per second over the last hour."

      # --- Scraping: one target down, or none left (also a target gone from service discovery
      # when it was the last one) ---
      - alert: BrokerloadDown
        expr: up{ {{- $r.jobSelector -}} } == 0
        {{- include "brokerload.rules.meta" (dict "r" $r "name" "BrokerloadDown" "a" $a.down) | nindent 8 }}
          summary: "brokerload target {{ $who }} is down"
          description: "Prometheus cannot scrape {{ "{{" }} $labels.instance {{ "}}" }}{{ "{{" }} with $labels.replica {{ "}}" }} (replica {{ "{{" }} . {{ "}}" }}){{ "{{" }} end {{ "}}" }}, job {{ "{{" }} $labels.job {{ "}}" }}, for {{ $a.down.for }}."

      - alert: BrokerloadAbsent
        expr: absent(up{ {{- $r.jobSelector -}} })
        {{- include "brokerload.rules.meta" (dict "r" $r "name" "BrokerloadAbsent" "a" $a.absent) | nindent 8 }}
          summary: "Prometheus scrapes no brokerload"
          description: {{ printf "No target matches up{%s} for %s: brokerload is not deployed, scaled to 0, or not discovered (ServiceMonitor not selected, job renamed)." $r.jobSelector $a.absent.for | quote }}
{{- end -}}
