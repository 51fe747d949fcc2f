{{/*
Pod pieces the three Deployments share, each as in the kustomize base:
the restricted Pod Security Standard, probes, environment, catalog and /tmp.
Every define takes (dict "root" $ "component" "<service>" …).
*/}}

{{/* Pod template metadata: a change of the env or the catalog ConfigMap rolls the pods (kustomize does it with hashed names). */}}
{{- define "roundhouse.podMetadata" -}}
{{- $root := .root -}}
{{- $labels := merge (fromYaml (include "roundhouse.componentLabels" .)) (deepCopy $root.Values.podLabels) -}}
{{- $checksums := dict "checksum/env" (include (print $root.Template.BasePath "/configmap-env.yaml") $root | sha256sum) "checksum/catalog" (include (print $root.Template.BasePath "/configmap-catalog.yaml") $root | sha256sum) -}}
metadata:
  labels:
    {{- toYaml $labels | nindent 4 }}
  annotations:
    {{- toYaml (merge $checksums (deepCopy $root.Values.podAnnotations)) | nindent 4 }}
{{- end -}}

{{/* Pod-level: non-root (the image's uid 10001), seccomp RuntimeDefault; no service links (they would add <SERVICE>_PORT=tcp://… variables). */}}
{{- define "roundhouse.podSpecCommon" -}}
{{- $root := .root -}}
enableServiceLinks: false
securityContext:
  runAsNonRoot: true
  runAsUser: 10001
  runAsGroup: 10001
  fsGroup: 10001
  seccompProfile:
    type: RuntimeDefault
{{- with $root.Values.imagePullSecrets }}
imagePullSecrets:
  {{- range . }}
  {{- if kindIs "string" . }}
  - name: {{ . }}
  {{- else }}
  - {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- end }}
{{- end }}
{{- with .values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{/* Leader and standby on different nodes when there are nodes to spare (the dispatcher and the evaluator). */}}
{{- define "roundhouse.spread" -}}
topologySpreadConstraints:
  - maxSkew: 1
    topologyKey: kubernetes.io/hostname
    whenUnsatisfiable: ScheduleAnyway
    labelSelector:
      matchLabels:
        {{- include "roundhouse.selectorLabels" . | nindent 8 }}
{{- end -}}

{{/* Container-level: read-only root filesystem, no escalation, no capabilities. */}}
{{- define "roundhouse.containerSecurityContext" -}}
securityContext:
  runAsNonRoot: true
  allowPrivilegeEscalation: false
  readOnlyRootFilesystem: true
  capabilities:
    drop: ["ALL"]
  seccompProfile:
    type: RuntimeDefault
{{- end -}}

{{/*
The container's image, command and probes on the port named .port. Start-up
registers schemas and reads state topics before the server answers (up to 5
minutes); ready = consuming, not merely started.
*/}}
{{- define "roundhouse.containerCommon" -}}
{{- $root := .root -}}
image: {{ include "roundhouse.image" $root | quote }}
imagePullPolicy: {{ $root.Values.image.pullPolicy }}
command: ["node", "dist/services/{{ .component }}/main.js"]
startupProbe:
  httpGet:
    path: /healthz
    port: {{ .port }}
  periodSeconds: 5
  failureThreshold: 60
livenessProbe:
  httpGet:
    path: /healthz
    port: {{ .port }}
  periodSeconds: 10
  timeoutSeconds: 3
  failureThreshold: 3
readinessProbe:
  httpGet:
    path: /readyz
    port: {{ .port }}
  periodSeconds: 5
  timeoutSeconds: 3
  failureThreshold: 3
{{- with .values.resources }}
resources:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{ include "roundhouse.containerSecurityContext" . }}
{{- end -}}

{{/* envFrom: the shared ConfigMap (configmap-env.yaml), then extraEnvFrom. */}}
{{- define "roundhouse.envFrom" -}}
envFrom:
  - configMapRef:
      name: {{ include "roundhouse.fullname" .root }}-env
  {{- with .root.Values.extraEnvFrom }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
{{- end -}}

{{/* A variable from a Secret key: (dict "name" "KAFKA_SASL_PASSWORD" "secret" "…" "key" "…"). */}}
{{- define "roundhouse.secretEnv" -}}
- name: {{ .name }}
  valueFrom:
    secretKeyRef:
      name: {{ .secret | quote }}
      key: {{ .key | quote }}
{{- end -}}

{{/*
env entries every service gets: the pod name as instance id (names transactional
ids and logs), Kafka and registry credentials by Secret reference (never values),
then extraEnv (global, then the service's own).
*/}}
{{- define "roundhouse.commonEnv" -}}
{{- $root := .root -}}
- name: ROUNDHOUSE_INSTANCE_ID
  valueFrom:
    fieldRef:
      fieldPath: metadata.name
{{- with $root.Values.kafka.sasl }}
{{- if .existingSecret }}
{{ include "roundhouse.secretEnv" (dict "name" "KAFKA_SASL_USERNAME" "secret" .existingSecret "key" .usernameKey) }}
{{ include "roundhouse.secretEnv" (dict "name" "KAFKA_SASL_PASSWORD" "secret" .existingSecret "key" .passwordKey) }}
{{- end }}
{{- end }}
{{- with $root.Values.schemaRegistry.auth }}
{{- if .existingSecret }}
{{ include "roundhouse.secretEnv" (dict "name" "SCHEMA_REGISTRY_USERNAME" "secret" .existingSecret "key" .usernameKey) }}
{{ include "roundhouse.secretEnv" (dict "name" "SCHEMA_REGISTRY_PASSWORD" "secret" .existingSecret "key" .passwordKey) }}
{{- end }}
{{- end }}
{{- with $root.Values.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- with .values.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* The object store's settings and keys, for the evaluator (the one service that reads artifacts; trainers get theirs through dispatcher.trainerEnvSecret). */}}
{{- define "roundhouse.s3Env" -}}
{{- $s3 := .root.Values.artifacts.s3 -}}
{{- if eq .root.Values.artifacts.type "s3" }}
{{- with $s3.region }}
- name: AWS_REGION
  value: {{ . | quote }}
{{- end }}
{{- with $s3.endpoint }}
- name: AWS_ENDPOINT_URL_S3
  value: {{ . | quote }}
{{- end }}
{{- with $s3.credentials }}
{{- if .existingSecret }}
{{ include "roundhouse.secretEnv" (dict "name" "AWS_ACCESS_KEY_ID" "secret" .existingSecret "key" .accessKeyIdKey) }}
{{ include "roundhouse.secretEnv" (dict "name" "AWS_SECRET_ACCESS_KEY" "secret" .existingSecret "key" .secretAccessKeyKey) }}
{{- end }}
{{- end }}
{{- end }}
{{- end -}}

{{/*
The catalog (read-only) and /tmp (the only writable path), mounts then
volumes; the lists .extraMounts / .extraVolumes go between them, in the
kustomize base's order.
*/}}
{{- define "roundhouse.mounts" -}}
- name: catalog
  mountPath: {{ include "roundhouse.catalogDir" . }}
  readOnly: true
{{- with .extraMounts }}
{{ toYaml . }}
{{- end }}
- name: tmp
  mountPath: /tmp
{{- end -}}

{{- define "roundhouse.volumes" -}}
- name: catalog
  configMap:
    name: {{ include "roundhouse.fullname" .root }}-catalog
{{- with .extraVolumes }}
{{ toYaml . }}
{{- end }}
- name: tmp
  emptyDir:
    sizeLimit: {{ .tmpSize }}
{{- end -}}
