// Package scripts_test checks that every example script under extensions/scripts validates:
// it compiles, declares an existing point and passes its own fixtures, exactly as an upload does.
package scripts_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	_ "github.com/atriumtrade/atrium/capability/delivery"
	_ "github.com/atriumtrade/atrium/capability/discount"
	_ "github.com/atriumtrade/atrium/capability/inventory"
	_ "github.com/atriumtrade/atrium/capability/limits"
	_ "github.com/atriumtrade/atrium/capability/order"
	_ "github.com/atriumtrade/atrium/capability/pricing"
	_ "github.com/atriumtrade/atrium/capability/splitting"
	"github.com/atriumtrade/atrium/extensions"
	"github.com/atriumtrade/atrium/extensions/luahost"
)

func TestExamplesValidate(t *testing.T) {
	files, _ := filepath.Glob("*/*.lua")
	if len(files) < 4 {
		t.Fatalf("found %d example scripts; want at least 4", len(files))
	}
	host := luahost.New(extensions.Budget{Wall: 250 * time.Millisecond}) // the VM stalls now and then
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		h, _, err := extensions.Validate(context.Background(), host, string(src))
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		if len(h.Fixtures) == 0 {
			t.Errorf("%s has no -- test: fixture", f)
		}
	}
}
