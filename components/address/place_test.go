package address_test

import (
	"testing"

	"github.com/atriumtrade/atrium/components/address"
)

// TestLatinNames: provinces, cities and districts written in pinyin (with or without spaces,
// case, an English level word) resolve as their Chinese names do, the provinces known abroad by
// other names too; a spelling two regions of one parent share is ambiguous, not a guess.
func TestLatinNames(t *testing.T) {
	tree, _ := address.China()
	for _, c := range []struct {
		in   address.Place
		code string
	}{
		{address.Place{Province: "Zhejiang", City: "Hangzhou", District: "Xihu"}, "330106"},
		{address.Place{Province: "zhejiang province", City: "HANGZHOU CITY", District: "xi hu district"}, "330106"},
		{address.Place{Province: "Shaanxi", City: "Xi'an", District: "Yanta"}, "610113"},
		{address.Place{Province: "Shanxi", City: "Taiyuan"}, "1401"},
		{address.Place{Province: "Shanghai", District: "Pudong New Area"}, "310115"},
		{address.Place{Province: "Chongqing", City: "Chongqing", District: "Yuzhong"}, "500103"},
		{address.Place{Province: "Inner Mongolia", City: "Hohhot"}, "1501"}, // not pinyin (呼和浩特 Huhehaote): listed
		{address.Place{Province: "Inner Mongolia", City: "Huhehaote"}, "1501"},
		{address.Place{Province: "Tibet", City: "Lhasa"}, "5401"},
		{address.Place{Province: "Xinjiang", City: "Urumqi", District: "Tianshan"}, "650102"},
		{address.Place{Province: "Heilongjiang", City: "Harbin"}, "2301"},
		{address.Place{Province: "Xizang", City: "Lasa"}, "5401"},
		{address.Place{Province: "Zhejiang", City: "Hangzhuo"}, ""}, // a misspelling is not guessed
		{address.Place{Province: "Guangxi Zhuang Autonomous Region", City: "Nanning"}, "4501"},
		{address.Place{Province: "Hong Kong"}, "81"},
		{address.Place{Province: "Hunan", City: "Changsha"}, "4301"}, // 长 read chang, not zhang
		{address.Place{Province: "Anhui", City: "Lu'an"}, "3415"},    // 六安 read lu, not liu
	} {
		got, errs := tree.Resolve(c.in)
		if c.code == "" {
			if len(errs) == 0 {
				t.Errorf("%+v resolved to %+v; want a field error", c.in, got)
			}
			continue
		}
		if len(errs) > 0 || got.Code() != c.code {
			t.Errorf("%+v: %s %v; want %s", c.in, got.Code(), errs, c.code)
		}
	}
	// 伊宁市 and 伊宁县 are both "Yining" in 伊犁哈萨克自治州.
	_, errs := tree.Resolve(address.Place{Province: "Xinjiang", City: "Yili", District: "Yining"})
	if fields(errs) != "district:ambiguous" {
		t.Errorf("Yining: %v", errs)
	}
	if _, errs := tree.Resolve(address.Place{Province: "Xinjiang", City: "Yili", District: "伊宁县"}); len(errs) != 0 {
		t.Errorf("伊宁县: %v", errs)
	}
}

// TestResolvePartial: a place may stop at any level; each level given must exist inside the
// one above; outside China only the country is checked.
func TestResolvePartial(t *testing.T) {
	tree, _ := address.China()
	for _, c := range []struct {
		in   address.Place
		errs string
		code string
	}{
		{address.Place{Province: "浙江"}, "", "33"},
		{address.Place{Province: "北京"}, "", "1101"}, // a municipality's one city is filled in
		{address.Place{CityCode: "3301"}, "", "3301"},
		{address.Place{Province: "浙江", City: "苏州"}, "city:not_in_parent", "33"},
		{address.Place{Province: "Narnia"}, "province:unknown", ""},
		{address.Place{Country: "XX"}, "country:unknown", ""},
		{address.Place{Country: "us", Province: "CA", City: "San Francisco"}, "", ""},
	} {
		got, errs := tree.Resolve(c.in)
		if fields(errs) != c.errs || got.Code() != c.code {
			t.Errorf("%+v: %+v %v; want %q %s", c.in, got, errs, c.errs, c.code)
		}
	}
	if p, _ := tree.Resolve(address.Place{Country: "us", Province: "CA"}); p.Country != "US" || p.Province != "CA" {
		t.Errorf("US: %+v", p)
	}
}

// TestDistanceAndRegionSets: distance ranks and region sets compare resolved places by code and
// places written before resolution by name, however they were spelt.
func TestDistanceAndRegionSets(t *testing.T) {
	tree, _ := address.China()
	resolve := func(p address.Place) address.Place {
		t.Helper()
		p, errs := tree.Resolve(p)
		if len(errs) > 0 {
			t.Fatalf("%+v: %v", p, errs)
		}
		return p
	}
	xihu := resolve(address.Place{Province: "浙江", City: "杭州", District: "西湖区"})
	for _, c := range []struct {
		a, b address.Place
		want int
	}{
		{xihu, resolve(address.Place{Province: "Zhejiang", City: "Hangzhou", District: "Xihu"}), 0},
		{xihu, resolve(address.Place{DistrictCode: "330102"}), 1},
		{xihu, resolve(address.Place{Province: "浙江省", City: "宁波市"}), 2},
		{xihu, resolve(address.Place{Province: "北京市"}), 3},
		{xihu, address.Place{Country: "CN", Province: "浙江", City: "杭州", District: "西湖区"}, 0}, // not resolved: by name
		{address.Place{Country: "CN", Province: "Zhejiang", City: "Ningbo"}, address.Place{Country: "CN", Province: "zhejiang ", City: "Hangzhou"}, 2},
		{xihu, address.Place{Country: "US", Province: "浙江"}, address.Far},
		{address.Place{}, xihu, address.Far},
		{xihu, address.Place{}, address.Far},
	} {
		if got := address.Distance(c.a, c.b); got != c.want {
			t.Errorf("Distance(%+v, %+v) = %d; want %d", c.a, c.b, got, c.want)
		}
	}

	set := address.Set{resolve(address.Place{Province: "Zhejiang"}), resolve(address.Place{Province: "广东", City: "深圳"}),
		{Country: "US", Province: "CA"}}
	for _, c := range []struct {
		p    address.Place
		want bool
	}{
		{xihu, true},
		{resolve(address.Place{Province: "广东省", City: "深圳市", District: "南山区"}), true},
		{resolve(address.Place{Province: "广东省", City: "广州市"}), false},
		{resolve(address.Place{Province: "Jiangsu"}), false},
		{address.Place{Country: "US", Province: "ca", City: "San Francisco"}, true},
		{address.Place{Country: "US", Province: "NY"}, false},
		{address.Place{Country: "CN", Province: "浙江省", City: "温州市"}, true}, // written, not resolved
	} {
		if got := set.Contains(c.p); got != c.want {
			t.Errorf("Contains(%+v) = %v", c.p, got)
		}
	}
	if (address.Set{}).Contains(xihu) {
		t.Error("an empty set holds nothing")
	}
	if p := (address.Place{Country: "CN"}).WithCode("330106"); p.ProvinceCode != "33" || p.CityCode != "3301" || p.Code() != "330106" {
		t.Errorf("WithCode: %+v", p)
	}
}
