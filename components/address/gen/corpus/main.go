// Command corpus writes the parse corpus (../../testdata/parse_corpus.tsv): pasted addresses of
// every shape a buyer sends (with and without the province, with and without 省/市/区, spaces or
// none, the name and phone before, after or labelled, full-width digits, pinyin in either order)
// with what each must parse to. The expected regions come from the place each text was written
// from, never from the parser; a text that names only a district is expected ambiguous when other
// districts or cities bear the same name. Run from components/address:
//
//	go run ./gen/corpus > testdata/parse_corpus.tsv
package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"fmt"
	"math/rand/v2"
	"os"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/atriumtrade/atrium/components/address"
)

func main() {
	tree, err := address.China()
	if err != nil {
		fail(err)
	}
	latin := readLatin("data/cn-latin.tsv.gz")
	rng := rand.New(rand.NewPCG(22, 2026))
	type place struct{ p, c, d address.Region }
	var places []place
	byName := map[string]int{} // full names of cities and districts, counted
	provinces, _ := tree.Children("")
	for _, p := range provinces {
		if p.Code == "71" || p.Code == "81" || p.Code == "82" {
			continue
		}
		cities, _ := tree.Children(p.Code)
		for _, c := range cities {
			byName[c.Name]++
			ds, _ := tree.Children(c.Code)
			for _, d := range ds {
				byName[d.Name]++
				if strings.Contains(c.Name, "直辖") || strings.HasSuffix(c.Name, "郊县") {
					continue // not a city anyone writes
				}
				places = append(places, place{p, c, d})
			}
		}
	}
	sort.Slice(places, func(i, j int) bool { return places[i].d.Code < places[j].d.Code })
	names := []string{"张三", "李四", "王小明", "赵敏", "欧阳修", "陈静", "刘洋", "周杰", "吴桐", "孙丽"}
	latinNames := []string{"Zhang Wei", "Li Na", "Wang Fang", "Liu Yang"}
	details := [][2]string{{"文三路100号", "文三路 100 号"}, {"人民路88号3栋201室", "人民路 88 号 3 栋 201 室"}, {"中山北路12号", "中山北路 12 号"},
		{"解放大道120号院", "解放大道 120 号院"}, {"幸福小区2单元402", "幸福小区 2 单元 402"}, {"建设街5号", "建设街 5 号"}}
	roads := []string{"Wensan", "Renmin", "Jiefang", "Zhongshan", "Jianguo", "Xinhua"}
	phone := func() string { return fmt.Sprintf("1%d%09d", 3+rng.IntN(7), rng.IntN(1_000_000_000)) }
	fullWidth := func(s string) string {
		var b strings.Builder
		for _, r := range s {
			if r >= '0' && r <= '9' {
				r += 0xfee0
			}
			b.WriteRune(r)
		}
		return b.String()
	}
	fmt.Println("# text\tname\tphone\tprovince\tcity\tdistrict\tambiguous\tdetail")
	fmt.Println("# written by gen/corpus; ambiguous is the number of places a text naming only its district could be")
	emit := func(text, name, ph string, pl place, ambiguous int, detail string) {
		prov, city, dist := pl.p.Code, pl.c.Code, pl.d.Code
		amb := ""
		if ambiguous > 1 {
			prov, city, dist, amb = "", "", "", fmt.Sprint(ambiguous)
		}
		fmt.Printf("%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", strings.ReplaceAll(text, "\n", `\n`), name, ph, prov, city, dist, amb, detail)
	}
	for i := 0; i < 40; i++ {
		pl := places[rng.IntN(len(places))]
		name, ph, det := names[rng.IntN(len(names))], phone(), details[rng.IntN(len(details))]
		muni := pl.p.Name == pl.c.Name
		full := pl.p.Name + pl.c.Name + pl.d.Name
		if muni {
			full = pl.p.Name + pl.d.Name
		}
		short := shortProvince(pl.p) + shortCity(pl.c) + pl.d.Name
		if muni {
			short = shortProvince(pl.p) + pl.d.Name
		}
		emit(name+" "+ph+" "+full+det[1], name, ph, pl, 1, det[0])
		emit(full+det[0]+" "+name+" "+ph, name, ph, pl, 1, det[0])
		emit("收货人："+name+"\n手机号码："+fullWidth(ph)+"\n所在地区："+pl.p.Name+" "+pl.c.Name+" "+pl.d.Name+"\n详细地址："+det[1], name, ph, pl, 1, det[0])
		emit(name+"，"+ph+"，"+short+det[0], name, ph, pl, 1, det[0])
		if !muni {
			emit(pl.c.Name+pl.d.Name+det[0]+" "+name, name, "", pl, 1, det[0])
		}
		// Only the district: certain when no other city or district bears its name.
		emit(pl.d.Name+det[0]+" "+ph, "", ph, pl, byName[pl.d.Name], det[0])
	}
	// Pinyin, in the Western order and in the Chinese order.
	for n := 0; n < 40; {
		pl := places[rng.IntN(len(places))]
		pLatin, cLatin, dLatin, dLevel, ok := latinPlace(latin, pl.p, pl.c, pl.d)
		if !ok {
			continue
		}
		n++
		same := 0 // districts of the same city spelled alike
		ds, _ := tree.Children(pl.c.Code)
		for _, d := range ds {
			if _, _, l, _, ok := latinPlace(latin, pl.p, pl.c, d); ok && l == dLatin {
				same++
			}
		}
		road := roads[rng.IntN(len(roads))]
		num := fmt.Sprint(1 + rng.IntN(300))
		detail := num + " " + road + " Road"
		name := latinNames[rng.IntN(len(latinNames))]
		if pl.p.Name == pl.c.Name { // a municipality: its city is itself
			emit(name+", "+detail+", "+dLatin+" "+dLevel+", "+pLatin, name, "", pl, same, detail)
			emit(pLatin+" "+dLatin+" "+road+" Rd "+num, "", "", pl, same, road+" Rd "+num)
			continue
		}
		emit(name+", "+detail+", "+dLatin+" "+dLevel+", "+cLatin+", "+pLatin, name, "", pl, same, detail)
		ph := phone()
		emit(pLatin+" "+cLatin+" "+dLatin+" "+road+" Rd "+num+" "+ph, "", ph, pl, same, road+" Rd "+num)
	}
}

// shortProvince is a province as people write it without its suffix.
func shortProvince(p address.Region) string {
	special := map[string]string{"15": "内蒙古", "45": "广西", "54": "西藏", "64": "宁夏", "65": "新疆"}
	if s, ok := special[p.Code]; ok {
		return s
	}
	return strings.TrimSuffix(strings.TrimSuffix(p.Name, "省"), "市")
}

// shortCity is a city without 市 (杭州市 → 杭州); other cities (prefectures) keep their name.
func shortCity(c address.Region) string {
	if s := strings.TrimSuffix(c.Name, "市"); s != c.Name && utf8.RuneCountInString(s) >= 2 {
		return s
	}
	return c.Name
}

// latinPlace spells a place in pinyin as a Western address does: the province, the city and the
// district by their names without the level syllable (Zhejiang, Hangzhou, Xihu) and the
// district's level in English. Places whose Latin names are not plain pinyin are left out.
func latinPlace(latin map[string][]string, p, c, d address.Region) (pl, cl, dl, level string, ok bool) {
	strip := func(code, name string, suffixes map[string]string) (string, string, bool) {
		syl := latin[code]
		if len(syl) != utf8.RuneCountInString(name) || len(syl) < 3 {
			return "", "", false
		}
		cut, last := 1, string([]rune(name)[len(syl)-1])
		if strings.HasSuffix(name, "新区") {
			cut, last = 2, "新区"
		}
		word, ok := suffixes[last]
		if !ok {
			return "", "", false
		}
		s := strings.Join(syl[:len(syl)-cut], "")
		return strings.ToUpper(s[:1]) + s[1:], word, true
	}
	special := map[string]string{"14": "Shanxi", "61": "Shaanxi"}
	if s, ok := special[p.Code]; ok {
		pl = s
	} else if pl, _, ok = strip(p.Code, p.Name, map[string]string{"省": "", "市": ""}); !ok {
		return "", "", "", "", false
	}
	if cl, _, ok = strip(c.Code, c.Name, map[string]string{"市": ""}); !ok {
		return "", "", "", "", false
	}
	if dl, level, ok = strip(d.Code, d.Name, map[string]string{"区": "District", "县": "County", "市": "City", "新区": "New Area"}); !ok {
		return "", "", "", "", false
	}
	return pl, cl, dl, level, true
}

func readLatin(path string) map[string][]string {
	b, err := os.ReadFile(path)
	if err != nil {
		fail(err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		fail(err)
	}
	out := map[string][]string{}
	sc := bufio.NewScanner(zr)
	for sc.Scan() {
		if code, syl, ok := strings.Cut(sc.Text(), "\t"); ok {
			out[code] = strings.Fields(syl)
		}
	}
	return out
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "corpus:", err)
	os.Exit(1)
}
