package address_test

import (
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/atriumtrade/atrium/components/address"
)

// TestParseRealAddresses: addresses as buyers paste them from chats and other shops, with and
// without province and city suffixes, municipalities, autonomous regions and prefectures,
// county-level cities, names and phones before or after, full-width digits, labels.
func TestParseRealAddresses(t *testing.T) {
	tree, err := address.China()
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		text                             string
		name, phone                      string
		province, city, district, street string // codes; "" not expected
		detail                           string
		minConf                          float64
	}{
		{"张三 13800138000 浙江省杭州市西湖区文三路 100 号", "张三", "13800138000", "33", "3301", "330106", "", "文三路100号", 0.9},
		{"浙江杭州西湖区文三路100号 张三 13800138000", "张三", "13800138000", "33", "3301", "330106", "", "文三路100号", 0.8},
		{"上海浦东新区张江路 88 弄 3 号 李四 139-1234-5678", "李四", "13912345678", "31", "3101", "310115", "", "张江路88弄3号", 0.8},
		{"北京市北京市朝阳区建国路 93 号院 王五 18611112222", "王五", "18611112222", "11", "1101", "110105", "", "建国路93号院", 0.9},
		{"收货人：赵六\n手机号码：１３７００００１１１１\n所在地区：广东省 深圳市 南山区\n详细地址：科技园南区 8 栋 501",
			"赵六", "13700001111", "44", "4403", "440305", "", "科技园南区8栋501", 0.9},
		{"广西南宁市青秀区民族大道 100 号 钱七 13500001234", "钱七", "13500001234", "45", "4501", "450103", "", "民族大道100号", 0.8},
		{"新疆乌鲁木齐市天山区解放北路 1 号 孙八 15000001234", "孙八", "15000001234", "65", "6501", "650102", "", "解放北路1号", 0.8},
		{"吉林省延边朝鲜族自治州延吉市人民路 5 号 周九 13900000000", "周九", "13900000000", "22", "2224", "222401", "", "人民路5号", 0.9},
		{"延边延吉市人民路5号", "", "", "22", "2224", "222401", "", "人民路5号", 0.6},
		{"浙江义乌市稠城街道工人西路 2 号 吴十 13600000000", "吴十", "13600000000", "33", "3307", "330782", "330782001", "工人西路2号", 0.6},
		{"重庆市渝中区解放碑民族路 188 号 郑一 13300000000", "郑一", "13300000000", "50", "5001", "500103", "", "解放碑民族路188号", 0.8},
		{"天津和平区南京路 219 号", "", "", "12", "1201", "120101", "", "南京路219号", 0.7},
		{"内蒙古呼和浩特市新城区新华大街 1 号", "", "", "15", "1501", "150102", "", "新华大街1号", 0.8},
		{"西藏拉萨市城关区北京中路 8 号", "", "", "54", "5401", "540102", "", "北京中路8号", 0.8},
		{"杭州市西湖区文三路 100 号 冯二 (0571)88880000", "冯二", "0571-88880000", "33", "3301", "330106", "", "文三路100号", 0.7},
		{"陈三,0571-88880000,浙江省杭州市上城区解放路 1 号", "陈三", "0571-88880000", "33", "3301", "330102", "", "解放路1号", 0.9},
		{"Zhang Wei 13800138000 广东省广州市天河区天河路 385 号", "Zhang Wei", "13800138000", "44", "4401", "440106", "", "天河路385号", 0.9},
	}
	for _, c := range cases {
		p := tree.Parse(c.text)
		got := []string{p.Name, p.Phone, p.Province.Code, p.City.Code, p.District.Code, p.Street.Code, p.Detail}
		want := []string{c.name, c.phone, c.province, c.city, c.district, c.street, c.detail}
		if strings.Join(got, "|") != strings.Join(want, "|") || p.Confidence < c.minConf {
			t.Errorf("%q:\n got %q conf %.2f\nwant %q conf >= %.2f", c.text, got, p.Confidence, want, c.minConf)
		}
	}
}

// TestParseAmbiguousDistrict: a district name that exists in several cities, given without its
// city, is not guessed: the parse lists where it could be and leaves the levels empty.
func TestParseAmbiguousDistrict(t *testing.T) {
	tree, _ := address.China()
	p := tree.Parse("鼓楼区中山路 1 号 张三 13800138000")
	if p.District.Code != "" || p.City.Code != "" || len(p.Ambiguous) < 3 || p.Confidence > 0.5 {
		t.Fatalf("got %+v", p)
	}
	cities := map[string]bool{}
	for _, c := range p.Ambiguous {
		if c.District.Name != "鼓楼区" || c.City.Code != c.District.Parent || c.Province.Code != c.City.Parent {
			t.Errorf("candidate %+v", c)
		}
		cities[c.City.Name] = true
	}
	for _, want := range []string{"南京市", "福州市", "徐州市", "开封市"} {
		if !cities[want] {
			t.Errorf("candidates %v lack %s", cities, want)
		}
	}
	if p.Name != "张三" || p.Phone != "13800138000" {
		t.Errorf("name and phone of an ambiguous address: %+v", p)
	}
	// With its city, the same name is certain.
	if p := tree.Parse("南京鼓楼区中山路 1 号"); p.District.Code != "320106" || len(p.Ambiguous) != 0 {
		t.Errorf("南京鼓楼区: %+v", p)
	}
	// A district is never read as a same-named city and the rest of its name: 朝阳区 is in 北京
	// or 长春, not 辽宁省朝阳市 followed by 区 (before, it resolved so, detail "区建国路1号").
	p = tree.Parse("朝阳区建国路1号")
	if p.City.Code != "" || p.Detail != "建国路1号" || len(p.Ambiguous) != 2 {
		t.Fatalf("朝阳区建国路1号: %+v", p)
	}
	for _, c := range p.Ambiguous {
		if c.District.Name != "朝阳区" || (c.City.Name != "北京市" && c.City.Name != "长春市") {
			t.Errorf("朝阳区's candidate %+v", c)
		}
	}
	// Its short name is the city and every district and county of that name.
	if p := tree.Parse("朝阳建国路1号"); len(p.Ambiguous) != 4 || p.Ambiguous[0].City.Name != "朝阳市" || p.Ambiguous[0].District.Code != "" {
		t.Errorf("朝阳建国路1号: %+v", p.Ambiguous)
	}
}

func TestParseNothingToFind(t *testing.T) {
	tree, _ := address.China()
	for _, text := range []string{"", "   ", "hello world", "13800138000", "请尽快发货"} {
		p := tree.Parse(text)
		if p.Province.Code != "" || p.Confidence != 0 {
			t.Errorf("%q: %+v", text, p)
		}
	}
}

func BenchmarkParse(b *testing.B) {
	tree, _ := address.China()
	tree.Parse("") // the index is built once, outside the timing
	texts := []string{"张三 13800138000 浙江省杭州市西湖区文三路 100 号", "上海浦东新区张江路 88 弄 3 号 李四 139-1234-5678",
		"收货人：赵六\n手机号码：１３７００００１１１１\n所在地区：广东省 深圳市 南山区\n详细地址：科技园南区 8 栋 501"}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		tree.Parse(texts[i%len(texts)])
	}
}

// TestParseCorpus: 300-odd pasted addresses of every shape (testdata/parse_corpus.tsv, written by
// gen/corpus from the places each was written from): with and without province, with and without
// 省/市/区, spaced or run together, name and phone before, after or labelled, full-width digits,
// pinyin in the Western and the Chinese order. Each parses to its place, name, phone and detail;
// a text naming only a district that several places bear lists them all and resolves none.
func TestParseCorpus(t *testing.T) {
	tree, err := address.China()
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile("testdata/parse_corpus.tsv")
	if err != nil {
		t.Fatal(err)
	}
	n, failed := 0, 0
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != 8 {
			t.Fatalf("corpus line %q: %d fields", line, len(f))
		}
		n++
		text := strings.ReplaceAll(f[0], `\n`, "\n")
		p := tree.Parse(text)
		got := []string{p.Name, p.Phone, p.Province.Code, p.City.Code, p.District.Code, "", p.Detail}
		if len(p.Ambiguous) > 0 {
			got[5] = strconv.Itoa(len(p.Ambiguous))
		}
		if want := f[1:]; strings.Join(got, "|") != strings.Join(want, "|") {
			failed++
			t.Errorf("%q:\n got %q\nwant %q", text, got, want)
		}
	}
	if n < 200 {
		t.Fatalf("the corpus holds %d addresses; want at least 200", n)
	}
	t.Logf("%d addresses, %d parsed otherwise than expected", n, failed)
}
