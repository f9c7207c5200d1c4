package cod

import (
	"errors"
	"testing"
	"time"

	"github.com/atriumtrade/atrium/components/address"
	"github.com/atriumtrade/atrium/kernel/errkind"
)

func TestRulesValidate(t *testing.T) {
	one, neg, big := int64(1), int64(-1), int64(MaxRefusalsLimit+1)
	good := func() Rules {
		return Rules{Enabled: true, MaxAmount: 100000, Currency: "CNY", Regions: []Region{{Province: "浙江省"}, {Province: "上海市", City: "上海市"}},
			ExcludedTags: []string{"fresh", "gift-card"}, MaxRefusals: &one}
	}
	r := good()
	if err := r.Validate(); err != nil {
		t.Fatal(err)
	}
	if r.Regions[0].Country != "CN" || r.RefusalWindowDays != DefaultWindowDays {
		t.Fatalf("defaults not filled: %+v", r)
	}
	off := Rules{}
	if err := off.Validate(); err != nil {
		t.Fatalf("switching COD off needs nothing else: %v", err)
	}
	for name, edit := range map[string]func(*Rules){
		"no currency":          func(r *Rules) { r.Currency = "" },
		"unknown currency":     func(r *Rules) { r.Currency = "XXX" },
		"negative maxAmount":   func(r *Rules) { r.MaxAmount = -1 },
		"huge maxAmount":       func(r *Rules) { r.MaxAmount = MaxCollect + 1 },
		"region no province":   func(r *Rules) { r.Regions = []Region{{City: "杭州市"}} },
		"region blank":         func(r *Rules) { r.Regions = []Region{{Province: "  "}} },
		"region bad country":   func(r *Rules) { r.Regions = []Region{{Country: "china", Province: "浙江省"}} },
		"region lower country": func(r *Rules) { r.Regions = []Region{{Country: "cn", Province: "浙江省"}} },
		"region twice":         func(r *Rules) { r.Regions = []Region{{Province: "浙江省"}, {Country: "CN", Province: " 浙江省"}} },
		"region long":          func(r *Rules) { r.Regions = []Region{{Province: string(make([]rune, 65))}} },
		"too many regions":     func(r *Rules) { r.Regions = make([]Region, MaxRegions+1) },
		"bad tag":              func(r *Rules) { r.ExcludedTags = []string{"Fresh Food"} },
		"tag twice":            func(r *Rules) { r.ExcludedTags = []string{"fresh", "fresh"} },
		"negative refusals":    func(r *Rules) { r.MaxRefusals = &neg },
		"huge refusals":        func(r *Rules) { r.MaxRefusals = &big },
		"negative window":      func(r *Rules) { r.RefusalWindowDays = -1 },
		"huge window":          func(r *Rules) { r.RefusalWindowDays = MaxWindowDays + 1 },
	} {
		r := good()
		edit(&r)
		if err := r.Validate(); !errors.Is(err, ErrInvalidRules) {
			t.Errorf("%s: %v; want cod.invalid_rules", name, err)
		}
	}
}

func TestServes(t *testing.T) {
	r := Rules{Regions: []Region{{Country: "CN", Province: "浙江省"}, {Country: "CN", Province: "广东省", City: "深圳市"}}}
	for _, c := range []struct {
		country, province, city string
		want                    bool
	}{
		{"CN", "浙江省", "杭州市", true},
		{"", "浙江省", "宁波市", true},
		{"CN", "广东省", "深圳市", true},
		{"CN", "广东省", "广州市", false},
		{"CN", "江苏省", "南京市", false},
		{"HK", "浙江省", "杭州市", false},
	} {
		if got := r.Serves(address.Place{Country: c.country, Province: c.province, City: c.city}); got != c.want {
			t.Errorf("Serves(%s %s %s) = %v", c.country, c.province, c.city, got)
		}
	}
	// Rules written in pinyin are stored resolved and serve an address written in Chinese, or by
	// code; a region that is no region is refused with the field at fault.
	pinyin := Rules{Currency: "CNY", Regions: []Region{{Province: "Zhejiang"}, {Province: "Guangdong", City: "Shenzhen"}}}
	if err := pinyin.Validate(); err != nil || pinyin.Regions[0].ProvinceCode != "33" || pinyin.Regions[1].CityCode != "4403" {
		t.Fatalf("pinyin rules: %v %+v", err, pinyin.Regions)
	}
	for _, at := range []address.Place{{Province: "浙江省", City: "杭州市"}, {ProvinceCode: "44", CityCode: "4403", DistrictCode: "440305"}} {
		if !pinyin.Serves(at) {
			t.Errorf("pinyin rules do not serve %+v", at)
		}
	}
	if pinyin.Serves(address.Place{ProvinceCode: "44", CityCode: "4401"}) {
		t.Error("Guangzhou served by a rule for Shenzhen")
	}
	wrong := Rules{Currency: "CNY", Regions: []Region{{Province: "Zhejiang", City: "Shenzhen"}}}
	if f := errkind.Fields(wrong.Validate()); len(f) != 1 || f[0].Field != "regions[0].city" || f[0].Code != "not_in_parent" {
		t.Errorf("Shenzhen in Zhejiang: %+v", f)
	}
	if all := (Rules{}); !all.Serves(address.Place{Country: "CN", Province: "西藏自治区", City: "拉萨市"}) {
		t.Error("rules with no regions serve everywhere")
	}
	now := time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)
	if w := (&Rules{RefusalWindowDays: 30}).Window(now); !w.Equal(now.AddDate(0, 0, -30)) {
		t.Errorf("window %v", w)
	}
}
