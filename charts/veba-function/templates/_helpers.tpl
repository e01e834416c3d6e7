{{/*
The function's name: functionName, else the release name. DNS-1035, at most 63 characters.
*/}}
{{- define "veba-function.name" -}}
{{- default .Release.Name .Values.functionName | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
Name of the Knative Service (and prefix of the Triggers).
*/}}
{{- define "veba-function.fullname" -}}
{{- default (include "veba-function.name" .) .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "veba-function.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
Selector labels: stable across upgrades.
*/}}
{{- define "veba-function.selectorLabels" -}}
app.kubernetes.io/name: {{ include "veba-function.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/*
Labels on every resource.
*/}}
{{- define "veba-function.labels" -}}
{{ include "veba-function.selectorLabels" . }}
app.kubernetes.io/component: function
app.kubernetes.io/part-of: veba-functions
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ include "veba-function.chart" . }}
{{- if .Values.vebaUiLabel }}
app: veba-ui
{{- end }}
{{- with .Values.labels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/*
Image reference: repository (or registry/name), then @digest if set, else :tag (or appVersion).
*/}}
{{- define "veba-function.image" -}}
{{- $repo := .Values.image.repository | default (printf "%s/%s" (trimSuffix "/" .Values.image.registry) (include "veba-function.name" .)) -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" $repo .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" $repo (.Values.image.tag | default .Chart.AppVersion | toString) -}}
{{- end -}}
{{- end -}}

{{- define "veba-function.secretName" -}}
{{- .Values.secret.name | default (printf "%s-secret" (include "veba-function.fullname" .)) -}}
{{- end -}}

{{/*
Scale and concurrency after the ordering option: ordering pins one replica, one request at a time.
*/}}
{{- define "veba-function.minScale" -}}
{{- if .Values.ordering.enabled }}1{{ else }}{{ .Values.minScale }}{{ end -}}
{{- end -}}
{{- define "veba-function.maxScale" -}}
{{- if .Values.ordering.enabled }}1{{ else }}{{ .Values.maxScale }}{{ end -}}
{{- end -}}
{{- define "veba-function.containerConcurrency" -}}
{{- if .Values.ordering.enabled }}1{{ else }}{{ .Values.containerConcurrency }}{{ end -}}
{{- end -}}

{{/*
The broker: `broker` is { name, class, parallelism } or, in the older form, the name as a string.
*/}}
{{- define "veba-function.brokerName" -}}
{{- if kindIs "string" .Values.broker }}{{ .Values.broker }}{{ else }}{{ .Values.broker.name }}{{ end -}}
{{- end -}}
{{- define "veba-function.brokerClass" -}}
{{- if kindIs "string" .Values.broker }}rabbitmq{{ else }}{{ .Values.broker.class | default "rabbitmq" }}{{ end -}}
{{- end -}}

{{/*
Events one Trigger delivers at once on the RabbitMQ broker (rabbitmq.eventing.knative.dev/parallelism).
The broker reads only this annotation and defaults to 1 without it (eventing-rabbitmq
pkg/reconciler/trigger/resources/dispatcher.go), so the chart always writes it: 1 with ordering,
else broker.parallelism, else the Service's containerConcurrency — capped at 100, and 100 for 0
(unlimited), because the dispatcher's channel prefetch is fixed at 100 unacknowledged events
(pkg/rabbit/connections_handler.go, ChannelQoS) and more workers than that never get one.
*/}}
{{- define "veba-function.parallelism" -}}
{{- $explicit := "" }}
{{- if and (kindIs "map" .Values.broker) (hasKey .Values.broker "parallelism") (not (kindIs "invalid" .Values.broker.parallelism)) }}
{{- $explicit = int .Values.broker.parallelism | toString }}
{{- end }}
{{- if .Values.ordering.enabled }}1
{{- else if $explicit }}{{ $explicit }}
{{- else }}
{{- $cc := int .Values.containerConcurrency }}
{{- if or (eq $cc 0) (gt $cc 100) }}100{{ else }}{{ $cc }}{{ end }}
{{- end -}}
{{- end -}}

{{/*
A Trigger's name: <fullname>-<trigger name>. Past 63 characters it is cut to 54 and given `-` and
the first 8 hex of the full name's sha256, so two long names that share a prefix stay distinct.
Takes (dict "fullname" ... "name" ...).
*/}}
{{- define "veba-function.triggerName" -}}
{{- $full := printf "%s-%s" .fullname .name -}}
{{- if gt (len $full) 63 -}}
{{- printf "%s-%s" ($full | trunc 54 | trimSuffix "-") ($full | sha256sum | trunc 8) -}}
{{- else -}}
{{- $full -}}
{{- end -}}
{{- end -}}

{{/*
One probe: httpGet on the path, plus the timing fields that are set.
*/}}
{{- define "veba-function.probe" -}}
httpGet:
  path: {{ .path }}
{{- range $k := list "initialDelaySeconds" "periodSeconds" "timeoutSeconds" "failureThreshold" "successThreshold" }}
{{- if hasKey $ $k }}
{{ $k }}: {{ index $ $k }}
{{- end }}
{{- end }}
{{- end -}}
