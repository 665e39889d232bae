{{- define "brokerload.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "brokerload.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "brokerload.labels" -}}
app.kubernetes.io/name: {{ include "brokerload.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "brokerload.selectorLabels" -}}
app.kubernetes.io/name: {{ include "brokerload.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* HTTPS when the metrics endpoint is served over TLS (config.metrics.tls). */}}
{{- define "brokerload.probeScheme" -}}
{{- $config := include "brokerload.config" . | fromYaml -}}
{{- if and $config.metrics (hasKey $config.metrics "tls") }}HTTPS{{ else }}HTTP{{ end }}
{{- end }}

{{/*
brokerload's configuration file: each top-level section of .Values.config replaces the section of
the same name in .Values.configDefaults whole (no merge: a profile of stages gets no default rate
beside it, targets written are the only targets); workload.topics_per_replica is true unless the
workload sets it. Also checks what brokerload would refuse and Helm can see, so that
`helm template`/`install` fails with the reason rather than the pod with exit 2.
*/}}
{{- define "brokerload.config" -}}
{{- $config := dict -}}
{{- range $section, $value := .Values.configDefaults -}}
{{- $_ := set $config $section (deepCopy $value) -}}
{{- end -}}
{{- range $section, $value := .Values.config -}}
{{- if kindIs "invalid" $value -}}
{{- $_ := unset $config $section -}}
{{- else -}}
{{- $_ := set $config $section (deepCopy $value) -}}
{{- end -}}
{{- end -}}
{{- $workload := $config.workload | default dict -}}
{{- if not (hasKey $workload "topics_per_replica") -}}
{{- $_ := set $workload "topics_per_replica" true -}}
{{- end -}}
{{- $_ := set $config "workload" $workload -}}
{{- /* What brokerload's loader refuses, in its own words (service/src/config/loader.cpp, targets_reader.cpp). */ -}}
{{- $targets := $config.targets | default dict -}}
{{- $enabled := 0 -}}
{{- range $name, $target := $targets -}}
{{- if or (not (kindIs "map" $target)) (ne (toString (dig "enabled" true $target)) "false") -}}
{{- $enabled = add1 $enabled -}}
{{- end -}}
{{- end -}}
{{- if eq $enabled 0 -}}
{{- fail "config.targets: expected at least one enabled target (kafka or nats), got none" -}}
{{- end -}}
{{- with $config.profile -}}
{{- if and (hasKey . "stages") (or (hasKey . "rate") (hasKey . "builtin")) -}}
{{- fail "config.profile: expected either stages, or rate (with an optional builtin), not both (a config section replaces the chart's default whole: write the profile you want, values.yaml)" -}}
{{- end -}}
{{- if and (eq (toString (.rate | default "")) "max") (or (hasKey . "stages") (hasKey . "builtin") (hasKey . "repeat")) -}}
{{- fail "config.profile.rate: expected a rate in messages per second with stages, builtin or repeat (max is a constant, unpaced profile of its own)" -}}
{{- end -}}
{{- if and (hasKey . "max_in_flight") (ne (toString (.rate | default "")) "max") -}}
{{- fail "config.profile.max_in_flight: expected no value without rate: max" -}}
{{- end -}}
{{- if and (hasKey . "burst_interval") (ne (toString .burst_interval) "auto") (eq (toString (.rate | default "")) "max") -}}
{{- fail "config.profile.burst_interval: expected no value but auto with rate: max (nothing is due at a time)" -}}
{{- end -}}
{{- range $i, $stage := (.stages | default list) -}}
{{- if eq (hasKey $stage "duration") (hasKey $stage "messages") -}}
{{- fail (printf "config.profile.stages[%d]: expected exactly one of duration and messages" $i) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- toYaml $config -}}
{{- end -}}

{{/* The image: repository@digest when a digest is given, else repository:tag (appVersion). */}}
{{- define "brokerload.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) -}}
{{- end -}}
{{- end -}}

{{/*
The brokers' ports, from the config's targets, for the NetworkPolicy: each HOST:PORT of
kafka.bootstrap_servers, each NATS server URL's port (4222 when it has none). One per line.
*/}}
{{- define "brokerload.brokerPorts" -}}
{{- $config := include "brokerload.config" . | fromYaml -}}
{{- $ports := list -}}
{{- with $config.targets.kafka -}}
{{- if ne (toString (dig "enabled" true .)) "false" -}}
{{- range (splitList "," (.bootstrap_servers | default "127.0.0.1:9092")) -}}
{{- $ports = append $ports (regexFind "[0-9]+$" (trim .)) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- with $config.targets.nats -}}
{{- if ne (toString (dig "enabled" true .)) "false" -}}
{{- $servers := .servers | default (list "nats://127.0.0.1:4222") -}}
{{- if kindIs "string" $servers -}}{{- $servers = list $servers -}}{{- end -}}
{{- range $servers -}}
{{- $hostport := regexReplaceAll "/.*$" (regexReplaceAll "^[a-z]+://" (trim .) "") "" -}}
{{- $ports = append $ports (regexFind ":[0-9]+$" $hostport | trimPrefix ":" | default "4222") -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- range ($ports | compact | uniq) }}
{{ . }}
{{- end -}}
{{- end -}}

{{/* The pods' way out (networkpolicy.yaml, and the uninstall hook's): DNS and the brokers' ports. */}}
{{- define "brokerload.egress" -}}
- ports:
    - {port: 53, protocol: UDP}
    - {port: 53, protocol: TCP}
- ports:
    {{- range (include "brokerload.brokerPorts" . | trim | splitList "\n") }}
    - {port: {{ . }}, protocol: TCP}
    {{- end }}
    {{- range .Values.networkPolicy.extraPorts }}
    - {port: {{ .port }}, protocol: {{ .protocol | default "TCP" }}}
    {{- end }}
  {{- with .Values.networkPolicy.egressTo }}
  to:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end }}
