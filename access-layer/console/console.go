// Package console is the operator console that `atrium serve` carries at /console/: one page of
// plain JavaScript modules and a style sheet, embedded in the binary, so a fresh machine needs no
// Node at build or run time.
//
// The console is a client of the admin API and nothing else: every read and every action is the
// same request, with the same authorization, that curl would send. The operator's token lives in
// the tab's sessionStorage and goes out as a bearer header, never as a cookie, so another site
// cannot make the browser act for the operator (no ambient credential, nothing for CSRF to ride
// on). The sign-in link the demo prints carries the token in the URL fragment, which browsers do
// not send to servers; the page moves it to sessionStorage and strips it from the address bar.
//
// Written by hand, not with a framework or a vendored editor: the pages are forms and tables
// over a JSON API, which the DOM does directly in a few hundred lines, and the script editor
// needs only Lua highlighting and line numbers (static/lua.js, a tokenizer of ~80 lines); a
// bundler, a dependency tree and a build step would cost more than they save here.
package console

import (
	"embed"
	"io/fs"
)

//go:embed static
var static embed.FS

// Files are the console's assets, named as they are served under /console/.
func Files() fs.FS {
	sub, err := fs.Sub(static, "static")
	if err != nil {
		panic(err) // the embedded tree always has static/
	}
	return sub
}

// SignInPath is the path of a link that signs an operator in with token: the fragment stays in
// the browser.
func SignInPath(token string) string { return "/console/#token=" + token }
