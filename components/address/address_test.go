package address_test

import (
	"testing"

	"github.com/atriumtrade/atrium/components/address"
)

func TestChinaDivisions(t *testing.T) {
	cn, err := address.China()
	if err != nil {
		t.Fatal(err)
	}
	if cn.Len() < 44_000 {
		t.Fatalf("%d regions", cn.Len())
	}
	provinces, _ := cn.Children("")
	if len(provinces) != 34 { // 31 mainland provinces, autonomous regions and municipalities; HK, Macao, Taiwan
		t.Fatalf("%d provinces", len(provinces))
	}
	for code, want := range map[string]string{"11": "北京市", "31": "上海市", "12": "天津市", "50": "重庆市", "54": "西藏自治区",
		"65": "新疆维吾尔自治区", "81": "香港特别行政区", "1101": "北京市", "3101": "上海市", "330106": "西湖区", "330100": "", "330102": "上城区"} {
		r, ok := cn.Get(code)
		if want == "" {
			if ok {
				t.Errorf("%s exists: %+v", code, r)
			}
			continue
		}
		if !ok || r.Name != want {
			t.Errorf("%s: %+v; want %s", code, r, want)
		}
	}
	// A municipality reads 北京市 → 北京市 → 东城区, and a county-level city is a district-level region.
	path, ok := cn.Path("110101001")
	if !ok || len(path) != 4 || path[0].Name != "北京市" || path[1].Name != "北京市" || path[2].Name != "东城区" || path[3].Level != address.Street {
		t.Fatalf("path of 110101001: %+v", path)
	}
	if r, _ := cn.Get("330182"); r.Name != "建德市" || r.Level != address.District || r.Parent != "3301" {
		t.Fatalf("建德市: %+v", r)
	}
	kids, ok := cn.Children("3301")
	if !ok || len(kids) < 10 || kids[0].Code >= kids[1].Code || !kids[0].HasChildren {
		t.Fatalf("Hangzhou's districts: %v", kids)
	}
	if _, ok := cn.Children("99"); ok {
		t.Fatal("children of a code that is no region")
	}
	if streets, _ := cn.Children("330106"); len(streets) == 0 || streets[0].HasChildren {
		t.Fatalf("streets of 西湖区: %v", streets)
	}
	if hk, _ := cn.Get("81"); hk.HasChildren {
		t.Fatal("Hong Kong has lower levels here")
	}
	if cn.Version() == "" {
		t.Fatal("no version")
	}
}

func BenchmarkChildren(b *testing.B) {
	cn, _ := address.China()
	for b.Loop() {
		cn.Children("3301")
	}
}
