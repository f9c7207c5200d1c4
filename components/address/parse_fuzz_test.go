package address_test

import (
	"os"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/atriumtrade/atrium/components/address"
)

// FuzzParse parses any text (seeded with the 300-odd addresses of the parse corpus) and holds
// the result to what a checkout relies on: the same text parses the same way every time; every
// region found is in the library and in the one above it (a city of another province would ship
// to the wrong place); no region (and no ambiguous district) means no confidence, and confidence stays in 0..1; the phone is
// digits the text holds; name and detail are valid UTF-8 no longer than the text; each ambiguous
// candidate is a real place.
func FuzzParse(f *testing.F) {
	tree, err := address.China()
	if err != nil {
		f.Fatal(err)
	}
	if b, err := os.ReadFile("testdata/parse_corpus.tsv"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if text, _, ok := strings.Cut(line, "\t"); ok && !strings.HasPrefix(line, "#") {
				f.Add(strings.ReplaceAll(text, `\n`, "\n"))
			}
		}
	}
	for _, s := range []string{"", "收货人：赵六\n手机号码：１３７００００１１１１\n所在地区：广东省 深圳市 南山区\n详细地址：科技园南区 8 栋 501",
		"鼓楼区 1 号", "+86 138-0013-8000 北京北京市朝阳区", "Room 5, 88 Zhangjiang Rd, Pudong, Shanghai 13912345678", "\x00\xff省市区"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		p := tree.Parse(text)
		if again := tree.Parse(text); !reflect.DeepEqual(p, again) {
			t.Fatalf("%q parsed two ways:\n%+v\n%+v", text, p, again)
		}
		if p.Confidence < 0 || p.Confidence > 1 || (p.Province.Code == "" && len(p.Ambiguous) == 0 && p.Confidence != 0) {
			t.Fatalf("%q: confidence %v with province %q", text, p.Confidence, p.Province.Code)
		}
		nested(t, tree, text, p.Province, p.City, p.District, p.Street)
		for _, c := range p.Ambiguous {
			if c.Province.Code == "" { // a candidate may be a city ("辽阳": 辽阳市, or 辽阳县 in it)
				t.Fatalf("%q: an ambiguous candidate without its province: %+v", text, c)
			}
			nested(t, tree, text, c.Province, c.City, c.District)
		}
		if p.Phone != "" && !strings.Contains(digits(address.Normalize(text)), digits(p.Phone)) {
			t.Fatalf("%q: phone %q is not in the text", text, p.Phone)
		}
		limit := len(address.Normalize(text))
		for _, s := range []string{p.Name, p.Detail} {
			if !utf8.ValidString(s) || len(s) > limit {
				t.Fatalf("%q: %q is not valid UTF-8 of at most %d bytes", text, s, limit)
			}
		}
	})
}

// nested checks that each region found exists and lies in the one found above it.
func nested(t *testing.T, tree *address.Tree, text string, levels ...address.Region) {
	t.Helper()
	parent := ""
	for i, r := range levels {
		if r.Code == "" {
			parent = ""
			continue
		}
		got, ok := tree.Get(r.Code)
		if !ok || got.Name != r.Name {
			t.Fatalf("%q: level %d is %+v, not in the library (%+v)", text, i, r, got)
		}
		if i > 0 && parent != "" && r.Parent != parent {
			t.Fatalf("%q: %s (%s) is in %s, not in the %s found above it", text, r.Name, r.Code, r.Parent, parent)
		}
		parent = r.Code
	}
}

func digits(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, s)
}
