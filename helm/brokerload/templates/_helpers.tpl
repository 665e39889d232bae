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
{{- if and .Values.config.metrics (hasKey .Values.config.metrics "tls") }}HTTPS{{ else }}HTTP{{ end }}
{{- end }}
