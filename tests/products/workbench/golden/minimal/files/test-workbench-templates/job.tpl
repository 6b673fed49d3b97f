# Version: 2.5.0
# DO NOT MODIFY the "Version: " key
# Helm Version: v1
{{- /*
  teamop's Job template for the Posit Job Launcher's Kubernetes plugin (templating enabled). The launcher passes
  the job it is starting as .Job; the product's settings for its session pods come from the JSON document
  "rstudio-library.templates.data" (keys job, pod, service). The Job is assembled as a dictionary and written
  once with toYaml, so no indentation is hand-managed.
*/}}
{{- $data := include "rstudio-library.templates.data" nil | mustFromJson }}
{{- $jobData := get $data "job" | default dict }}
{{- $pod := get $data "pod" | default dict }}
{{- $meta := .Job.metadata | default dict }}
{{- $metaJob := get $meta "job" | default dict }}
{{- $metaPod := get $meta "pod" | default dict }}

{{- /* Job labels and annotations: the launcher's, then the job's metadata, then the product's. */}}
{{- $jobLabels := dict "app.kubernetes.io/managed-by" "launcher" }}
{{- with .Job.instanceId }}{{ $_ := set $jobLabels "launcher-instance-id" (toString .) }}{{ end }}
{{- $jobLabels = mergeOverwrite $jobLabels (get $metaJob "labels" | default dict) (get $jobData "labels" | default dict) }}
{{- $jobAnnotations := mergeOverwrite (dict) (get $metaJob "annotations" | default dict) (get $jobData "annotations" | default dict) }}

{{- /* Pod annotations carry what the launcher reads back to describe a running job. */}}
{{- $podAnnotations := dict }}
{{- range $index, $tag := (.Job.tags | default list) }}
{{- $_ := set $podAnnotations (printf "USER_TAG_%d" $index) (toString $tag) }}
{{- end }}
{{- $_ := set $podAnnotations "stdin" (toString (.Job.stdin | default "")) }}
{{- $_ := set $podAnnotations "user" (toString (.Job.user | default "")) }}
{{- $_ := set $podAnnotations "name" (toString (.Job.name | default "")) }}
{{- $_ := set $podAnnotations "service_ports" (toString (.Job.servicePortsJson | default "")) }}
{{- if .Job.metadata }}{{ $_ := set $podAnnotations "user_metadata" (toJson .Job.metadata) }}{{ end }}
{{- $podAnnotations = mergeOverwrite $podAnnotations (get $metaPod "annotations" | default dict) (get $pod "annotations" | default dict) }}
{{- $podLabels := dict }}
{{- with .Job.instanceId }}{{ $_ := set $podLabels "launcher-instance-id" (toString .) }}{{ end }}
{{- $podLabels = mergeOverwrite $podLabels (get $metaPod "labels" | default dict) (get $pod "labels" | default dict) }}

{{- /* The session container. A shell command runs as `/bin/sh -c "<command> <args>"`; an executable with its
  arguments runs directly. A product-wide command (pod.command) wraps either. */}}
{{- $container := dict "name" "rs-launcher-container" "image" .Job.container.image }}
{{- with get $pod "imagePullPolicy" }}{{ $_ := set $container "imagePullPolicy" . }}{{ end }}
{{- $args := .Job.args | default list }}
{{- $shell := false }}
{{- if get $pod "command" }}
{{- $_ := set $container "command" (get $pod "command") }}
{{- if .Job.command }}{{ $shell = true }}{{ end }}
{{- else if .Job.command }}
{{- $_ := set $container "command" (list "/bin/sh") }}
{{- $shell = true }}
{{- else }}
{{- $_ := set $container "command" (list .Job.exe) }}
{{- end }}
{{- if $shell }}
{{- $_ := set $container "args" (list "-c" (cat .Job.command ($args | join " ") | trim)) }}
{{- else if $args }}
{{- $_ := set $container "args" $args }}
{{- end }}
{{- $_ := set $container "stdin" (not (empty .Job.stdin)) }}
{{- $_ := set $container "stdinOnce" true }}
{{- with .Job.workingDirectory }}{{ $_ := set $container "workingDir" . }}{{ end }}

{{- /* Environment: the job's variables, Secrets the job names ("secret" config values are
  <secret>:<key>:<variable>), then the product's. */}}
{{- $env := list }}
{{- range (.Job.environment | default list) }}
{{- $env = append $env (dict "name" .name "value" (toString .value)) }}
{{- end }}
{{- range (.Job.config | default list) }}
{{- if eq .name "secret" }}
{{- $parts := splitList ":" .value }}
{{- $ref := dict "name" (index $parts 0) "key" (index $parts 1) }}
{{- $env = append $env (dict "name" (index $parts 2) "valueFrom" (dict "secretKeyRef" $ref)) }}
{{- end }}
{{- end }}
{{- range (get $pod "env" | default list) }}{{ $env = append $env . }}{{ end }}
{{- if $env }}{{ $_ := set $container "env" $env }}{{ end }}
{{- with get $pod "containerSecurityContext" }}{{ $_ := set $container "securityContext" . }}{{ end }}

{{- /* Ports published on the node (the others are reached through the job's Service). */}}
{{- $ports := list }}
{{- range (.Job.exposedPorts | default list) }}
{{- if .publishedPort }}
{{- $ports = append $ports (dict "containerPort" (int64 .targetPort) "hostPort" (int64 .publishedPort)) }}
{{- end }}
{{- end }}
{{- if $ports }}{{ $_ := set $container "ports" $ports }}{{ end }}

{{- /* Resources: the launcher's resource types become requests and limits (memory is in megabytes). */}}
{{- $requests := dict }}
{{- $limits := dict }}
{{- range (.Job.resourceLimits | default list) }}
{{- $value := toString .value }}
{{- if eq .type "cpuCount" }}{{ $_ := set $limits "cpu" $value }}
{{- else if eq .type "CPU Request" }}{{ $_ := set $requests "cpu" $value }}
{{- else if eq .type "memory" }}{{ $_ := set $limits "memory" (printf "%sM" $value) }}
{{- else if eq .type "Memory Request" }}{{ $_ := set $requests "memory" (printf "%sM" $value) }}
{{- else if and (eq .type "NVIDIA GPUs") (ne (float64 $value) 0.0) }}{{ $_ := set $limits "nvidia.com/gpu" (int64 (float64 $value)) }}
{{- else if and (eq .type "AMD GPUs") (ne (float64 $value) 0.0) }}{{ $_ := set $limits "amd.com/gpu" (int64 (float64 $value)) }}
{{- end }}
{{- end }}
{{- with get $pod "ephemeralStorage" }}
{{- with .request }}{{ $_ := set $requests "ephemeral-storage" . }}{{ end }}
{{- with .limit }}{{ $_ := set $limits "ephemeral-storage" . }}{{ end }}
{{- end }}
{{- $resources := dict }}
{{- if $requests }}{{ $_ := set $resources "requests" $requests }}{{ end }}
{{- if $limits }}{{ $_ := set $resources "limits" $limits }}{{ end }}
{{- if $resources }}{{ $_ := set $container "resources" $resources }}{{ end }}

{{- $mounts := list }}
{{- range (.Job.volumeMounts | default list) }}{{ $mounts = append $mounts . }}{{ end }}
{{- range (get $pod "volumeMounts" | default list) }}{{ $mounts = append $mounts . }}{{ end }}
{{- if $mounts }}{{ $_ := set $container "volumeMounts" $mounts }}{{ end }}

{{- /* Init containers: the job's (command or executable, as for the main container), then the product's. */}}
{{- $initContainers := list }}
{{- range (.Job.initContainers | default list) }}
{{- $init := dict "name" .name "image" .image }}
{{- $initArgs := .args | default list }}
{{- if .command }}
{{- $_ := set $init "command" (list "/bin/sh") }}
{{- $_ := set $init "args" (list "-c" (cat .command ($initArgs | join " ") | trim)) }}
{{- else }}
{{- with .exe }}{{ $_ := set $init "command" (list .) }}{{ end }}
{{- if $initArgs }}{{ $_ := set $init "args" $initArgs }}{{ end }}
{{- end }}
{{- $initEnv := list }}
{{- range (.environment | default list) }}{{ $initEnv = append $initEnv (dict "name" .name "value" (toString .value)) }}{{ end }}
{{- if $initEnv }}{{ $_ := set $init "env" $initEnv }}{{ end }}
{{- with .mounts }}{{ $_ := set $init "volumeMounts" . }}{{ end }}
{{- $initContainers = append $initContainers $init }}
{{- end }}
{{- range (get $metaPod "initContainers" | default list) }}{{ $initContainers = append $initContainers . }}{{ end }}
{{- range (get $pod "initContainers" | default list) }}{{ $initContainers = append $initContainers . }}{{ end }}

{{- /* The pod. */}}
{{- $podSpec := dict "restartPolicy" "Never" "enableServiceLinks" false }}
{{- with .Job.host }}{{ $_ := set $podSpec "nodeName" . }}{{ end }}
{{- $serviceAccount := .Job.serviceAccountName | default (get $pod "serviceAccountName") }}
{{- with $serviceAccount }}{{ $_ := set $podSpec "serviceAccountName" . }}{{ end }}
{{- if .Job.shareProcessNamespace }}{{ $_ := set $podSpec "shareProcessNamespace" true }}{{ end }}
{{- $volumes := list }}
{{- range (.Job.volumes | default list) }}{{ $volumes = append $volumes . }}{{ end }}
{{- range (get $pod "volumes" | default list) }}{{ $volumes = append $volumes . }}{{ end }}
{{- if $volumes }}{{ $_ := set $podSpec "volumes" $volumes }}{{ end }}
{{- with get $pod "tolerations" }}{{ $_ := set $podSpec "tolerations" . }}{{ end }}
{{- with get $pod "affinity" }}{{ $_ := set $podSpec "affinity" . }}{{ end }}
{{- with get $pod "hostAliases" }}{{ $_ := set $podSpec "hostAliases" . }}{{ end }}
{{- with get $pod "priorityClassName" }}{{ $_ := set $podSpec "priorityClassName" . }}{{ end }}
{{- $nodeSelector := dict }}
{{- range (.Job.placementConstraints | default list) }}{{ $_ := set $nodeSelector .name (toString .value) }}{{ end }}
{{- $nodeSelector = mergeOverwrite $nodeSelector (get $pod "nodeSelector" | default dict) }}
{{- if $nodeSelector }}{{ $_ := set $podSpec "nodeSelector" $nodeSelector }}{{ end }}
{{- /* The session runs as the job's user: the product's default pod security context, the user's ids, then
  what the product forces. */}}
{{- $securityContext := mergeOverwrite (dict) (get $pod "defaultSecurityContext" | default dict) }}
{{- with .Job.container.runAsUserId }}{{ $_ := set $securityContext "runAsUser" (int64 .) }}{{ end }}
{{- with .Job.container.runAsGroupId }}{{ $_ := set $securityContext "runAsGroup" (int64 .) }}{{ end }}
{{- with .Job.container.supplementalGroupIds }}
{{- $groups := list }}
{{- range . }}{{ $groups = append $groups (int64 .) }}{{ end }}
{{- $_ := set $securityContext "supplementalGroups" $groups }}
{{- end }}
{{- $securityContext = mergeOverwrite $securityContext (get $pod "securityContext" | default dict) }}
{{- if $securityContext }}{{ $_ := set $podSpec "securityContext" $securityContext }}{{ end }}
{{- with get $pod "imagePullSecrets" }}{{ $_ := set $podSpec "imagePullSecrets" . }}{{ end }}
{{- if $initContainers }}{{ $_ := set $podSpec "initContainers" $initContainers }}{{ end }}
{{- $containers := list $container }}
{{- range (get $pod "extraContainers" | default list) }}{{ $containers = append $containers . }}{{ end }}
{{- $_ := set $podSpec "containers" $containers }}

{{- $podMetadata := dict "generateName" .Job.generateName "annotations" $podAnnotations }}
{{- if $podLabels }}{{ $_ := set $podMetadata "labels" $podLabels }}{{ end }}
{{- $jobSpec := dict "backoffLimit" 0 "template" (dict "metadata" $podMetadata "spec" $podSpec) }}
{{- with get $jobData "ttlSecondsAfterFinished" }}{{ $_ := set $jobSpec "ttlSecondsAfterFinished" (int64 .) }}{{ end }}
{{- $jobMetadata := dict "generateName" .Job.generateName "labels" $jobLabels }}
{{- if $jobAnnotations }}{{ $_ := set $jobMetadata "annotations" $jobAnnotations }}{{ end }}
{{- $job := dict "apiVersion" "batch/v1" "kind" "Job" "metadata" $jobMetadata "spec" $jobSpec }}
{{ toYaml $job }}
