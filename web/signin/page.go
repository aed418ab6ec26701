package signin

import (
	"crypto/sha256"
	"encoding/base64"
	"html/template"
	"net/http"
	"strings"

	"github.com/offboard-dev/offboard/internal/theme"
)

// pageCSS is the shared look with the page's own few rules. It is inline
// (the dashboard's stylesheet sits behind the sign-in), allowed by its
// hash alone, so the page keeps a CSP without 'unsafe-inline'.
var pageCSS = string(theme.With([]byte(`main{max-width:34rem;margin:2.5rem auto;padding:0 1rem}
.card{max-width:none;padding:1rem 1.25rem}
.card h1{font-size:1.3rem;margin:0 0 .5rem}
.card p{margin:.4rem 0}
a.btn.primary{margin-top:.4rem}`)))

// pageCSP allows the stylesheet as the template sends it (html/template
// drops CSS comments), so it hashes a rendered page's <style>.
var pageCSP = func() string {
	var b strings.Builder
	if err := pageTmpl.Execute(&b, struct {
		Title, Message string
		Link           bool
	}{}); err != nil {
		panic(err)
	}
	page := b.String()
	start, end := strings.Index(page, "<style>")+len("<style>"), strings.Index(page, "</style>")
	sum := sha256.Sum256([]byte(page[start:end]))
	return "default-src 'none'; style-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'; base-uri 'none'; frame-ancestors 'none'"
}()

// pageTmpl draws the sign-in's own pages (signed out, a refused sign-in)
// with the console's top bar and card. The CSS is spliced in as text, not
// as a template value (which would be escaped as a CSS string).
var pageTmpl = template.Must(template.New("p").Parse(strings.Replace(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}} · offboard</title><style>CSS</style></head>
<body><header class="topbar"><span class="brand"><span class="logo" aria-hidden="true">ob</span> offboard</span></header>
<main><section class="card"><h1>{{.Title}}</h1><p>{{.Message}}</p>{{if .Link}}<p><a class="btn primary" href="/signin">Sign in</a></p>{{end}}</section></main></body></html>
`, "CSS", pageCSS, 1)))

func (a *Auth) page(w http.ResponseWriter, status int, title, msg string) {
	a.pageLink(w, status, title, msg, a.OIDC())
}

func (a *Auth) pageLink(w http.ResponseWriter, status int, title, msg string, link bool) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", pageCSP)
	w.WriteHeader(status)
	_ = pageTmpl.Execute(w, struct {
		Title, Message string
		Link           bool
	}{title, msg, link})
}
