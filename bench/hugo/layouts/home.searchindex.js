{{- $entries := slice -}}
{{- range site.Pages -}}
{{- $entries = $entries | append (dict "t" .Title "u" .RelPermalink "k" .Kind "s" (.Plain | truncate 200)) -}}
{{- end -}}
window.searchIndex = {{ $entries | jsonify }};
