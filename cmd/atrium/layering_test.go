package main

import (
	"encoding/json"
	"io"
	"os/exec"
	"strings"
	"testing"
)

// module is this repository's module path.
const module = "github.com/atriumtrade/atrium/"

// layer says what the packages under one prefix may not import (by prefix), except what allow
// lets through. Dependencies point down: access-layer → product-layer → capability → kernel, and
// adapters use components; the kernel (error kinds, money, identity) is what every layer shares.
type layer struct {
	name   string
	holds  func(pkg string) bool
	forbid []string
	allow  func(imp string) bool
}

func under(prefixes ...string) func(string) bool {
	return func(pkg string) bool {
		for _, p := range prefixes {
			if strings.HasPrefix(pkg, module+p) {
				return true
			}
		}
		return false
	}
}

// adapter is a capability's storage adapter or its sandbox provider: it may use components.
func adapter(pkg string) bool {
	last := pkg[strings.LastIndex(pkg, "/")+1:]
	return strings.HasSuffix(last, "sql") || last == "sandboxpay"
}

var frameworks = []string{"github.com/cloudwego/", "github.com/yuin/gopher-lua", "github.com/go-sql-driver/", "modernc.org/sqlite",
	"github.com/ThreeDotsLabs/", "github.com/apolloconfig/", "github.com/alibaba/sentinel-golang", "github.com/hertz-contrib/"}

var layers = []layer{
	{name: "the kernel", holds: under("kernel/"),
		forbid: append([]string{module + "capability", module + "components", module + "extensions", module + "product-layer",
			module + "access-layer", module + "cmd", module + "kitex_gen", module + "idl"}, frameworks...)},
	{name: "a capability", holds: func(p string) bool { return under("capability/")(p) && !adapter(p) },
		forbid: append([]string{module + "kitex_gen", module + "idl", module + "product-layer", module + "access-layer", module + "cmd",
			module + "components/dal", module + "components/mq", module + "extensions/luahost", module + "extensions/extsql"}, frameworks...),
		// The address library is the one component a capability uses: three capabilities resolve
		// and compare regions with its embedded data (GB/T 2260), a pure library with no I/O.
		allow: func(imp string) bool { return imp == module+"components/address" }},
	{name: "a capability's adapter", holds: func(p string) bool { return under("capability/")(p) && adapter(p) },
		forbid: []string{module + "kitex_gen", module + "idl", module + "product-layer", module + "access-layer", module + "cmd",
			"github.com/cloudwego/"}},
	{name: "a component or the extension host", holds: under("components/", "extensions"),
		forbid: []string{module + "capability", module + "product-layer", module + "access-layer", module + "cmd", module + "kitex_gen", module + "idl"}},
	{name: "a flow", holds: func(p string) bool { return under("product-layer/")(p) && !under("product-layer/tradesvc")(p) },
		forbid: []string{module + "access-layer", module + "cmd", module + "kitex_gen", module + "idl", "github.com/cloudwego/"}},
	{name: "the RPC face", holds: under("product-layer/tradesvc"),
		forbid: []string{module + "access-layer", module + "cmd", "github.com/cloudwego/hertz"}},
	{name: "the access layer", holds: under("access-layer/"),
		forbid: []string{module + "product-layer", module + "capability", module + "cmd"}},
}

// TestLayering: no package imports against the direction of the layers (see layers); only the
// RPC face, the access layer, the composition root and idl/ use the generated Kitex code. A new
// import that breaks a rule fails here with the package and the import.
func TestLayering(t *testing.T) {
	cmd := exec.Command("go", "list", "-json", module+"...")
	cmd.Dir = "../.."
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("go list: %v", err)
	}
	dec := json.NewDecoder(out)
	checked := 0
	for {
		var p struct {
			ImportPath string
			Imports    []string
		}
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(p.ImportPath, module+"kitex_gen") {
			continue
		}
		for _, l := range layers {
			if !l.holds(p.ImportPath) {
				continue
			}
			checked++
			for _, imp := range p.Imports {
				for _, f := range l.forbid {
					if strings.HasPrefix(imp, f) && (l.allow == nil || !l.allow(imp)) {
						t.Errorf("%s (%s) imports %s", strings.TrimPrefix(p.ImportPath, module), l.name, imp)
					}
				}
			}
		}
	}
	if err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
	if checked < 40 {
		t.Fatalf("checked %d packages; the module has more", checked)
	}
}
