{{- /* One JSON object per page, printed as the range meets it: the same bytes as jsonify of the
whole slice, without `append` copying the slice once per page. */ -}}
window.searchIndex = [
{{- range $i, $p := site.Pages -}}
{{- if $i }},{{ end -}}
{{- dict "t" $p.Title "u" $p.RelPermalink "k" $p.Kind "s" ($p.Plain | truncate 200) | jsonify -}}
{{- end -}}
];
