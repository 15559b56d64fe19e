{{/* Labels of every object; component is speaker, controller or nats. */}}
{{- define "vipmesh.labels" -}}
app.kubernetes.io/name: vipmesh
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "vipmesh.selector" -}}
app.kubernetes.io/name: vipmesh
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "vipmesh.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end }}

{{/* The chart's own NATS cluster runs unless an external URL is given. */}}
{{- define "vipmesh.natsInChart" -}}
{{- if not .Values.nats.external.url }}true{{ end }}
{{- end }}

{{- define "vipmesh.natsHost" -}}
vipmesh-nats.{{ .Release.Namespace }}.svc
{{- end }}

{{- define "vipmesh.natsUrl" -}}
{{- if .Values.nats.external.url }}{{ .Values.nats.external.url }}{{ else }}nats://{{ include "vipmesh.natsHost" . }}:4222{{ end }}
{{- end }}

{{- define "vipmesh.natsServerName" -}}
{{- if .Values.nats.external.url }}{{ .Values.nats.external.tlsServerName }}{{ else }}{{ include "vipmesh.natsHost" . }}{{ end }}
{{- end }}

{{/* Stream replicas: the chart's cluster has nats.replicas servers; never more replicas than servers. */}}
{{- define "vipmesh.streamReplicas" -}}
{{- if .Values.nats.external.url }}{{ .Values.nats.streamReplicas }}{{ else }}{{ min .Values.nats.streamReplicas .Values.nats.replicas }}{{ end }}
{{- end }}

{{/*
NATS client flags of an agent whose Secret is mounted at /etc/vipmesh/nats; .user and .passwordKey given, or
.tokenFile (a speaker logging in through the auth callout with its projected ServiceAccount token).
*/}}
{{- define "vipmesh.natsArgs" -}}
- --nats={{ include "vipmesh.natsUrl" .root }}
{{- if .tokenFile }}
- --nats-token-file={{ .tokenFile }}
{{- else }}
- --nats-user={{ .user }}
- --nats-password-file=/etc/vipmesh/nats/{{ .passwordKey }}
{{- end }}
- --nats-ca=/etc/vipmesh/nats/ca.crt
- --nats-cert=/etc/vipmesh/nats/tls.crt
- --nats-key=/etc/vipmesh/nats/tls.key
{{- with include "vipmesh.natsServerName" .root }}
- --nats-tls-server-name={{ . }}
{{- end }}
- --replicas={{ include "vipmesh.streamReplicas" .root }}
{{- end }}

{{/* /healthz and /readyz on the metrics port (every agent serves them). */}}
{{- define "vipmesh.probes" -}}
livenessProbe:
  httpGet: { path: /healthz, port: metrics }
  periodSeconds: 10
  failureThreshold: 3
readinessProbe:
  httpGet: { path: /readyz, port: metrics }
  periodSeconds: 5
  failureThreshold: 2
{{- end }}

{{/* The speakers' NATS users: nats.speakerNodes plus the Nodes the API server lists at install (none under `helm template`). */}}
{{- define "vipmesh.speakerNodes" -}}
{{- $nodes := .Values.nats.speakerNodes | default list -}}
{{- range (lookup "v1" "Node" "" "").items | default list }}
{{- $nodes = append $nodes .metadata.name -}}
{{- end }}
{{- $nodes | uniq | sortAlpha | toJson -}}
{{- end }}

{{/*
nats-server's authorization block for .users (each: user, role, id, password base64). With files/nats-permissions.json
(generated from the roles defined in code: {"roles": {"<role>": {"publish": [...], "subscribe": [...]}}}, "{id}"
standing for the identity: a speaker's node name; "*" for the controllers, whose Pods' identities are not known in
advance) each user gets its role's permissions; without it every user has full permissions.
*/}}
{{- define "vipmesh.natsAuthorization" -}}
{{- $perms := dict }}
{{- with .root.Files.Get "files/nats-permissions.json" }}
{{- $perms = (fromJson .).roles | default dict }}
{{- end }}
authorization {
  users: [
{{- range .users }}
{{- $u := . }}
{{- /* a role's publish or subscribe is a list of allowed subjects, or nats-server's own {allow, deny} map */}}
{{- $pub := list }}
{{- $sub := list }}
{{- $pubMap := dict }}
{{- $subMap := dict }}
{{- $responses := false }}
{{- $known := false }}
{{- range $role := (.roles | default (list .role)) }}
{{- with index $perms $role }}
{{- $known = true }}
{{- if kindIs "slice" .publish }}{{ $pub = concat $pub .publish }}{{ else }}{{ $pubMap = .publish }}{{ end }}
{{- if kindIs "slice" .subscribe }}{{ $sub = concat $sub .subscribe }}{{ else }}{{ $subMap = .subscribe }}{{ end }}
{{- if .allowResponses }}{{ $responses = true }}{{ end }}
{{- end }}
{{- end }}
{{- $p := "" }}
{{- if $known }}
{{- $pp := dict "publish" ($pubMap | default (dict "allow" ($pub | uniq))) "subscribe" ($subMap | default (dict "allow" ($sub | uniq))) }}
{{- if $responses }}{{ $_ := set $pp "allow_responses" true }}{{ end }}
{{- $p = $pp | toRawJson | replace "{id}" $u.id }}
{{- end }}
    { user: {{ .user | quote }}, password: {{ .password | b64dec | bcrypt | quote }}{{ with $p }}, permissions: {{ . }}{{ end }} }
{{- end }}
  ]
{{- if .callout }}
  # Every client but these users is sent to the auth callout (the controllers); callout.conf (Secret
  # vipmesh-nats-callout, made by the Job vipmesh-callout-keys) holds the issuer and xkey public keys.
  auth_callout {
    include ./callout.conf
    {{- $names := list }}{{ range .users }}{{ $names = append $names .user }}{{ end }}
    auth_users: {{ $names | toRawJson }}
  }
{{- end }}
}
{{- end }}
