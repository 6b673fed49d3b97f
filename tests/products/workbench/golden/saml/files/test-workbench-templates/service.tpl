# Version: 2.5.0
# DO NOT MODIFY the "Version: " key
# Helm Version: v1
{{- /*
  teamop's Service template for the Posit Job Launcher's Kubernetes plugin: one Service per job that exposes
  ports not published on the node, selecting the job's pods by their job-name label. Assembled as a
  dictionary and written once with toYaml.
*/}}
{{- $data := include "rstudio-library.templates.data" nil | mustFromJson }}
{{- $serviceData := get $data "service" | default dict }}
{{- $meta := .Job.metadata | default dict }}
{{- $metaService := get $meta "service" | default dict }}
{{- $labels := dict "app.kubernetes.io/managed-by" "launcher" "job-name" (toString .Job.id) }}
{{- with .Job.instanceId }}{{ $_ := set $labels "launcher-instance-id" (toString .) }}{{ end }}
{{- $labels = mergeOverwrite $labels (get $metaService "labels" | default dict) (get $serviceData "labels" | default dict) }}
{{- $annotations := mergeOverwrite (dict) (get $metaService "annotations" | default dict) (get $serviceData "annotations" | default dict) }}
{{- $ports := list }}
{{- range (.Job.exposedPorts | default list) }}
{{- if not .publishedPort }}
{{- $port := int64 .targetPort }}
{{- $ports = append $ports (dict "name" (printf "port%d" (len $ports)) "protocol" (.protocol | default "TCP") "port" $port "targetPort" $port) }}
{{- end }}
{{- end }}
{{- $metadata := dict "name" .Job.serviceName "labels" $labels }}
{{- if $annotations }}{{ $_ := set $metadata "annotations" $annotations }}{{ end }}
{{- $spec := dict "ports" $ports "selector" (dict "job-name" (toString .Job.id)) "type" (get $serviceData "type" | default "ClusterIP") }}
{{- $service := dict "apiVersion" "v1" "kind" "Service" "metadata" $metadata "spec" $spec }}
{{ toYaml $service }}
