{{/*
Names, labels and the values every Deployment derives alike. The pod pieces
(security context, probes, env, volumes) are in _pod.tpl.
*/}}

{{/* The release's name prefix: "roundhouse" for release "roundhouse", as the kustomize base names things. */}}
{{- define "roundhouse.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 40 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "roundhouse.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
Labels of every object. app.kubernetes.io/name is per component
("roundhouse-trigger", …) and independent of the release name, as in the
kustomize base: the dashboard, the alert rules (through the ServiceMonitors'
jobLabel) and the NetworkPolicies select on it.
*/}}
{{- define "roundhouse.labels" -}}
{{- $own := dict "helm.sh/chart" (include "roundhouse.chart" .) "app.kubernetes.io/instance" .Release.Name "app.kubernetes.io/managed-by" .Release.Service "app.kubernetes.io/part-of" "roundhouse" "app.kubernetes.io/version" .Chart.AppVersion -}}
{{- toYaml (merge $own (deepCopy .Values.commonLabels)) -}}
{{- end -}}

{{/*
(dict "root" $ "component" "trigger" ["name" "alerts"]): labels of a
component's objects; app.kubernetes.io/name is roundhouse-<name|component>.
The chart's own labels win over commonLabels (selectors depend on them).
*/}}
{{- define "roundhouse.componentLabels" -}}
{{- $own := dict "app.kubernetes.io/name" (printf "roundhouse-%s" (default .component .name)) "app.kubernetes.io/component" .component -}}
{{- toYaml (merge $own (fromYaml (include "roundhouse.labels" .root))) -}}
{{- end -}}

{{/* (dict "root" $ "component" "trigger"): what a Deployment, Service, PDB or policy selects. */}}
{{- define "roundhouse.selectorLabels" -}}
app.kubernetes.io/name: roundhouse-{{ .component }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
{{- end -}}

{{/*
(dict "root" $ ["extra" map]): commonAnnotations merged with an object's own
(which win), as YAML; empty when there are none. Use as
  {{- with include "roundhouse.annotations" (dict "root" .) }}
  annotations:
    {{- . | nindent 4 }}
  {{- end }}
*/}}
{{- define "roundhouse.annotations" -}}
{{- $merged := merge (deepCopy (default dict .extra)) (deepCopy .root.Values.commonAnnotations) -}}
{{- if $merged }}{{ toYaml $merged }}{{ end -}}
{{- end -}}

{{- define "roundhouse.image" -}}
{{- $tag := default .Chart.AppVersion .Values.image.tag -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository $tag -}}
{{- end -}}
{{- end -}}

{{- define "roundhouse.dispatcherServiceAccount" -}}
{{- if .Values.dispatcher.serviceAccount.create -}}
{{- default (printf "%s-dispatcher" (include "roundhouse.fullname" .)) .Values.dispatcher.serviceAccount.name -}}
{{- else -}}
{{- .Values.dispatcher.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "roundhouse.evaluatorServiceAccount" -}}
{{- if .Values.evaluator.serviceAccount.create -}}
{{- default (printf "%s-evaluator" (include "roundhouse.fullname" .)) .Values.evaluator.serviceAccount.name -}}
{{- else -}}
{{- .Values.evaluator.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* The leader-election Leases: the Roles in rbac.yaml name them, the Deployments' env too. */}}
{{- define "roundhouse.dispatcherLease" -}}{{ include "roundhouse.fullname" . }}-dispatcher{{- end -}}
{{- define "roundhouse.evaluatorLease" -}}{{ include "roundhouse.fullname" . }}-evaluator{{- end -}}

{{- define "roundhouse.trainerServiceAccount" -}}
{{- if .Values.trainer.serviceAccount.create -}}
{{- default (printf "%s-trainer" (include "roundhouse.fullname" .)) .Values.trainer.serviceAccount.name -}}
{{- else -}}
{{- .Values.trainer.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "roundhouse.artifactClaim" -}}
{{- default (printf "%s-artifacts" (include "roundhouse.fullname" .)) .Values.artifacts.file.existingClaim -}}
{{- end -}}

{{/* ARTIFACT_ROOT: file://<path> or s3://<bucket>[/<prefix>]. */}}
{{- define "roundhouse.artifactRoot" -}}
{{- if eq .Values.artifacts.type "s3" -}}
{{- $s3 := .Values.artifacts.s3 -}}
{{- if $s3.prefix -}}
{{- printf "s3://%s/%s" $s3.bucket $s3.prefix -}}
{{- else -}}
{{- printf "s3://%s" $s3.bucket -}}
{{- end -}}
{{- else -}}
{{- printf "file://%s" .Values.artifacts.file.path -}}
{{- end -}}
{{- end -}}

{{/* The ports the services listen on (lib/config METRICS_PORT, DISPATCHER_PORT): fixed, the image's contract. */}}
{{- define "roundhouse.metricsPort" -}}9464{{- end -}}
{{- define "roundhouse.dispatcherPort" -}}8080{{- end -}}
{{- define "roundhouse.catalogDir" -}}/etc/roundhouse{{- end -}}

{{/*
An object's metadata: (dict "root" $ "name" "…" ["component" "…" "labelName" "…"]
["labels" map] ["annotations" map]). Labels are the component's (or the
chart's) merged with `labels`; the chart's own win, selectors depend on them.
*/}}
{{- define "roundhouse.metadata" -}}
{{- $labels := dict -}}
{{- if .component -}}
{{- $labels = fromYaml (include "roundhouse.componentLabels" (dict "root" .root "component" .component "name" .labelName)) -}}
{{- else -}}
{{- $labels = fromYaml (include "roundhouse.labels" .root) -}}
{{- end -}}
name: {{ .name }}
namespace: {{ .root.Release.Namespace }}
labels:
  {{- toYaml (merge $labels (deepCopy (default dict .labels))) | nindent 2 }}
{{- with include "roundhouse.annotations" (dict "root" .root "extra" .annotations) }}
annotations:
  {{- . | nindent 2 }}
{{- end }}
{{- end -}}
