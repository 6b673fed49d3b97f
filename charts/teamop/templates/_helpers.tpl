{{/* Labels of every object of the release. */}}
{{- define "teamop.labels" -}}
app.kubernetes.io/name: teamop
app.kubernetes.io/part-of: teamop
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | quote }}
{{- end }}

{{/* The manager pods' labels that the Deployment, the metrics Service and the NetworkPolicy select (those of
config/manager, so both installs select the same pods). */}}
{{- define "teamop.selectorLabels" -}}
app.kubernetes.io/name: teamop
app.kubernetes.io/component: manager
{{- end }}

{{- define "teamop.serviceAccountName" -}}
{{ .Values.controllerManager.serviceAccountName }}
{{- end }}

{{/* The operator's image: repository:tag, or repository@sha256:... when the tag is a digest "@sha256:...". */}}
{{- define "teamop.image" -}}
{{- $image := .Values.controllerManager.container.image -}}
{{- if hasPrefix "@" $image.tag -}}
{{ $image.repository }}{{ $image.tag }}
{{- else -}}
{{ $image.repository }}:{{ $image.tag }}
{{- end -}}
{{- end }}

{{/* The value of a `teamop run` flag in controllerManager.container.args ("--flag=value" or "--flag value"; the
last one counts, as for `teamop run`), else "". Call with (list $args "--flag"). */}}
{{- define "teamop.argValue" -}}
{{- $flag := index . 1 -}}
{{- $value := "" -}}
{{- $next := false -}}
{{- range (index . 0) -}}
{{- if $next -}}
{{- $value = . -}}
{{- $next = false -}}
{{- else if eq . $flag -}}
{{- $next = true -}}
{{- else if hasPrefix (printf "%s=" $flag) . -}}
{{- $value = trimPrefix (printf "%s=" $flag) . -}}
{{- end -}}
{{- end -}}
{{- $value -}}
{{- end }}

{{/* The environment of `teamop run` the chart derives from its values, before controllerManager.container.env
(which wins), as a JSON object of name: value. */}}
{{- define "teamop.settingsEnv" -}}
{{- $settings := dict
  "WATCH_NAMESPACES" .Values.watchNamespace
  "LEADER_ELECT" (toString .Values.leaderElection.enable)
  "LEADER_ELECTION_ID" .Values.leaderElection.id
  "METRICS_BIND_ADDRESS" (ternary (printf ":%v" .Values.metrics.port) "0" .Values.metrics.enable)
  "HEALTH_PROBE_BIND_ADDRESS" (printf ":%v" .Values.healthProbe.port)
  "LOG_FORMAT" .Values.logging.format
  "LOG_LEVEL" .Values.logging.level
  "MAX_CONCURRENT_RECONCILES" (toString .Values.maxConcurrentReconciles)
  "MAX_PARALLEL_APPLIES" (toString .Values.maxParallelApplies)
  "TEAMOP_IMAGE" (.Values.operatorImage | default (include "teamop.image" .))
  "TAKE_OVER_FIELD_MANAGERS" (join "," .Values.takeOverFieldManagers)
  "SHUTDOWN_GRACE_PERIOD" (toString .Values.controllerManager.terminationGracePeriodSeconds)
-}}
{{- with .Values.leaderElection.namespace }}
{{- $_ := set $settings "LEADER_ELECTION_NAMESPACE" . }}
{{- end }}
{{- mergeOverwrite $settings (.Values.controllerManager.container.env | default dict) | toJson -}}
{{- end }}

{{/* The address `teamop run` will serve `setting` on: its flag in args, else its environment variable. Call with
(list $ "--metrics-bind-address" "METRICS_BIND_ADDRESS"). */}}
{{- define "teamop.address" -}}
{{- $root := index . 0 -}}
{{- $fromArgs := include "teamop.argValue" (list $root.Values.controllerManager.container.args (index . 1)) -}}
{{- $env := include "teamop.settingsEnv" $root | fromJson -}}
{{- $fromArgs | default (get $env (index . 2) | toString) -}}
{{- end }}

{{/* The port of an address ("host:port" or ":port"), or "" when the address turns the server off ("0", ""). */}}
{{- define "teamop.port" -}}
{{- if not (has . (list "" "0")) -}}
{{- splitList ":" . | last -}}
{{- end -}}
{{- end }}

{{- define "teamop.metricsPort" -}}
{{- include "teamop.port" (include "teamop.address" (list . "--metrics-bind-address" "METRICS_BIND_ADDRESS")) -}}
{{- end }}

{{- define "teamop.healthPort" -}}
{{- include "teamop.port" (include "teamop.address" (list . "--health-probe-bind-address" "HEALTH_PROBE_BIND_ADDRESS")) -}}
{{- end }}

{{/* A memory quantity in bytes (a whole number of the suffixes Kubernetes knows), or 0 when it cannot be read. */}}
{{- define "teamop.bytes" -}}
{{- $units := dict "Ki" 1024 "Mi" 1048576 "Gi" 1073741824 "Ti" 1099511627776 "k" 1000 "M" 1000000 "G" 1000000000 "T" 1000000000000 "" 1 -}}
{{- $match := regexFindAll "^([0-9]+)(Ki|Mi|Gi|Ti|k|M|G|T)?$" (toString .) 1 -}}
{{- if $match -}}
{{- $suffix := regexReplaceAll "^[0-9]+" (first $match) "" -}}
{{- mul (regexFind "^[0-9]+" (first $match) | int64) (get $units $suffix) -}}
{{- else -}}
0
{{- end -}}
{{- end }}
