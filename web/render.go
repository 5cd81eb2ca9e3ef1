package web

import (
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"strings"
	"time"
)

// view is what every page template gets: the page's data plus the
// caller, the language and the form token.
type view struct {
	c     *call
	lang  string
	hist  bool
	Path  string
	Title string
	Flash string
	Error string
	Data  any
}

// T translates a text of the page.
func (v *view) T(s string) string { return tr(v.lang, s) }

// Lang is the page's language.
func (v *view) Lang() string { return v.lang }

// CSRF is the form token ("" before login).
func (v *view) CSRF() string {
	if v.c == nil {
		return ""
	}
	return v.c.csrf()
}

// Login names the logged-in user ("" if none or half logged in).
func (v *view) Login() string {
	if v.c == nil || v.c.sess.Stage != "full" {
		return ""
	}
	return v.c.p.Login
}

// History says whether the mail history's menu entry shows.
func (v *view) History() bool { return v.hist }

// Admin and DomainAdmin say which menu entries show.
func (v *view) Admin() bool       { return v.c != nil && v.c.p.Admin }
func (v *view) DomainAdmin() bool { return v.c != nil && (v.c.p.Admin || v.c.p.IsDomainAdmin()) }

var funcs = template.FuncMap{
	"date": func(t time.Time) string { return t.Local().Format("2006-01-02 15:04") },
	"size": func(n int64) string {
		switch {
		case n >= 1<<20:
			return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
		case n >= 1<<10:
			return fmt.Sprintf("%.1f kB", float64(n)/(1<<10))
		}
		return fmt.Sprintf("%d B", n)
	},
	"score": func(f float64) string { return fmt.Sprintf("%.1f", f) },
	"list":  func(v ...any) []any { return v },
	"label": func(setting string) string {
		if l, ok := settingLabels[setting]; ok {
			return l
		}
		return setting
	},
}

// parsePages parses each page with the layout.
func parsePages() (map[string]*template.Template, error) {
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	pages := map[string]*template.Template{}
	for _, n := range names {
		if strings.HasSuffix(n, "/layout.html") {
			continue
		}
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", n)
		if err != nil {
			return nil, fmt.Errorf("web: template %s: %w", n, err)
		}
		pages[strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")] = t
	}
	return pages, nil
}

// render writes page with data, status 200 unless the view has an Error.
func (s *Server) render(w http.ResponseWriter, r *http.Request, c *call, page string, v *view) {
	v.c = c
	v.lang = pickLang(r)
	v.hist = s.d.History != nil
	v.Path = r.URL.RequestURI()
	if v.Flash == "" {
		v.Flash = tr(v.lang, flashText[r.URL.Query().Get("done")])
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := s.pages[page].Execute(w, v); err != nil {
		s.d.Log.Error("web: render", "page", page, "err", err)
	}
}

// flashText are the confirmations a redirect after a POST shows (?done=).
var flashText = map[string]string{"released": "Released: Postfix accepted it.", "deleted": "Deleted.", "saved": "Saved.",
	"checked": "Checked.", "requested": "Release requested: an administrator of your domain decides.",
	"denied": "Request denied.", "gone": "No longer in quarantine: the request is closed."}

// notFound answers 404 with the portal's page.
func (s *Server) notFound(w http.ResponseWriter, r *http.Request, c *call) {
	w.WriteHeader(http.StatusNotFound)
	s.render(w, r, c, "error", &view{Title: "Not found.", Error: "Not found."})
}

// fail logs err and answers 500 without its text (it may name files or SQL).
func (s *Server) fail(w http.ResponseWriter, r *http.Request, c *call, err error) {
	if isNotFound(err) {
		s.notFound(w, r, c)
		return
	}
	s.d.Log.Error("web: request failed", "path", r.URL.Path, "err", err)
	w.WriteHeader(http.StatusInternalServerError)
	s.render(w, r, c, "error", &view{Title: "Error", Error: "Something went wrong; the administrator can find the details in the log."})
}
