package scripts_test

import (
	"context"
	"io/fs"
	"testing"
	"time"

	"github.com/atriumtrade/atrium/extensions"
	"github.com/atriumtrade/atrium/extensions/luahost"
	"github.com/atriumtrade/atrium/extensions/scripts"
)

// BenchmarkExamples measures one call of each example script through its point, as a request
// would make it (JSON in, strict decode and check out).
func BenchmarkExamples(b *testing.B) {
	h := luahost.New(extensions.Budget{Wall: time.Second}) // overhead is measured, not the budget
	for _, name := range []string{"member_pricing.lua", "nearest_warehouse.lua", "split_by_warehouse.lua"} {
		src, _ := fs.ReadFile(scripts.Demo(), name)
		hdr, exe, err := extensions.Validate(context.Background(), h, string(src))
		if err != nil {
			b.Fatal(err)
		}
		d, _ := extensions.Lookup(hdr.Point)
		fx := hdr.Fixtures[0]
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if _, err := d.RunJSON(context.Background(), exe, fx.Input, fx.Previous); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
