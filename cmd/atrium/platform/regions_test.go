package platform_test

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestRegionPicker: the address picker's tree on both buyer channels, without signing in:
// provinces, then one level at a time with the path above; an unchanged answer is a 304 to its
// ETag; a code that is no region is a stable error.
func TestRegionPicker(t *testing.T) {
	s := start(t, sqliteConfig(t), &clock{t: time.Now()})
	top := must(t, s.do("GET", "/app/v1/regions", "", nil), 200, "provinces").data()
	if n := len(top["regions"].([]any)); n != 34 {
		t.Fatalf("%d provinces", n)
	}
	zj := must(t, s.do("GET", "/app/v1/regions?parent=3301", "", nil), 200, "Hangzhou").data()
	path := zj["path"].([]any)
	if len(path) != 2 || path[0].(map[string]any)["name"] != "浙江省" || path[1].(map[string]any)["name"] != "杭州市" {
		t.Fatalf("path: %v", path)
	}
	found := false
	for _, r := range zj["regions"].([]any) {
		r := r.(map[string]any)
		if r["code"] == "330106" && r["name"] == "西湖区" && r["level"] == "district" && r["hasChildren"] == true {
			found = true
		}
	}
	if !found {
		t.Fatalf("西湖区 not among Hangzhou's districts: %v", zj["regions"])
	}

	req, _ := http.NewRequest("GET", s.base+"/app/v1/regions?parent=3301", nil)
	resp, err := s.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	etag := resp.Header.Get("ETag")
	if etag == "" || resp.Header.Get("Cache-Control") == "" {
		t.Fatalf("no ETag or Cache-Control: %v", resp.Header)
	}
	req.Header.Set("If-None-Match", etag)
	if resp, err = s.http.Do(req); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotModified {
		t.Fatalf("If-None-Match of the same answer: %d", resp.StatusCode)
	}
	req, _ = http.NewRequest("GET", s.base+"/app/v1/regions?parent=3302", nil)
	req.Header.Set("If-None-Match", etag)
	if resp, err = s.http.Do(req); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("another parent with the first one's ETag: %d", resp.StatusCode)
	}

	if r := s.do("GET", "/app/v1/regions?parent=99", "", nil); r.status != 404 || r.body["code"] != "address.region_not_found" {
		t.Fatalf("unknown parent: %d %s", r.status, r.raw)
	}
	if r := s.do("GET", "/mp/v1/regions?parent=x'", "", nil); r.status != 200 || r.body["errcode"] != float64(54001) {
		t.Fatalf("mp, unknown parent: %d %s", r.status, r.raw)
	}
	if r := s.do("GET", "/mp/v1/regions?parent=11", "", nil); r.status != 200 || r.body["errcode"] != float64(0) {
		t.Fatalf("mp: %d %s", r.status, r.raw)
	}
}

// TestParseAddressOverHTTP: a pasted address becomes a form's fields on both buyer channels
// without signing in; an ambiguous district lists its candidates; empty or overlong text is
// refused with address.invalid_text.
func TestParseAddressOverHTTP(t *testing.T) {
	s := start(t, sqliteConfig(t), &clock{t: time.Now()})
	text := "张三 13800138000 浙江省杭州市西湖区文三路 100 号"
	app := must(t, s.do("POST", "/app/v1/addresses/parse", "", map[string]any{"text": text}), 200, "parse").data()
	if app["name"] != "张三" || app["phone"] != "13800138000" || app["detail"] != "文三路100号" || app["confidence"] != float64(1) ||
		app["district"].(map[string]any)["code"] != "330106" || app["city"].(map[string]any)["name"] != "杭州市" || app["street"] != nil {
		t.Fatalf("app: %v", app)
	}
	mp := s.do("POST", "/mp/v1/addresses/parse", "", map[string]any{"text": "鼓楼区中山路 1 号"})
	d, _ := mp.body["data"].(map[string]any)
	if mp.status != 200 || mp.body["errcode"] != float64(0) || d["district"] != nil || len(d["ambiguous"].([]any)) < 3 {
		t.Fatalf("mp, ambiguous: %d %s", mp.status, mp.raw)
	}
	for _, bad := range []any{map[string]any{"text": ""}, map[string]any{"text": strings.Repeat("浙", 501)}} {
		if r := s.do("POST", "/app/v1/addresses/parse", "", bad); r.status != 400 || r.body["code"] != "address.invalid_text" {
			t.Errorf("bad text: %d %s", r.status, r.raw)
		}
	}
	if r := s.do("POST", "/mp/v1/addresses/parse", "", map[string]any{"text": "   "}); r.body["errcode"] != float64(54002) {
		t.Errorf("mp, blank text: %s", r.raw)
	}
}
