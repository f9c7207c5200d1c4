// Package scripts embeds the example extension scripts, one folder per tenant, so the binary can
// seed them (serve --demo) and benchmark with them (bench place-order --extensions).
package scripts

import (
	"embed"
	"io/fs"
)

//go:embed demo/*.lua
var files embed.FS

// Demo returns the example scripts of tenant demo, by file name.
func Demo() fs.FS {
	sub, err := fs.Sub(files, "demo")
	if err != nil {
		panic(err) // the folder is embedded at build time
	}
	return sub
}
