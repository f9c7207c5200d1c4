package address

import (
	"regexp"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/atriumtrade/atrium/kernel/errkind"
)

// Parsed is a free-text Chinese address (as pasted from a chat) split into its parts.
type Parsed struct {
	Name  string
	Phone string
	// Province, City, District and Street are the regions found (zero Code: not found). A level
	// the text skipped is filled in from the one below it (浙江义乌 gives 金华市).
	Province, City, District, Street Region
	// Detail is what follows the regions: road, number, building, room.
	Detail string
	// Confidence is 0..1: 1 when every level is named in full and fits, less for short names,
	// levels filled in, or no district; 0 when no region was found (a district name that
	// several places bear counts as found: the levels stay empty and Ambiguous lists them).
	Confidence float64
	// Ambiguous lists the places a district name the text gave without its city could be (the
	// parse then leaves the levels empty: the buyer picks one).
	Ambiguous []Candidate
}

// Candidate is one place an ambiguous address could be.
type Candidate struct {
	Province, City, District Region
}

// index holds what parsing needs beyond the tree: each region's names (full and short) and the
// regions of each level by name.
type index struct {
	names    map[string][]string            // code -> full name, then short forms, longest first
	byName   map[Level]map[string][]*Region // level -> name or short form -> regions
	maxRunes int
	// latin and byLatin are the same for Latin spellings (provinces, cities, districts).
	latin   map[string][]string
	byLatin map[Level]map[string][]*Region
}

var ethnic = []string{"朝鲜族", "土家族", "苗族", "藏族", "羌族", "彝族", "布依族", "哈尼族", "壮族", "傣族", "景颇族", "白族", "傈僳族",
	"回族", "蒙古族", "蒙古", "柯尔克孜", "哈萨克", "侗族", "维吾尔", "黎族", "瑶族", "畲族", "满族", "锡伯", "仫佬族", "毛南族", "仡佬族",
	"水族", "纳西族", "拉祜族", "佤族", "独龙族", "怒族", "普米族", "撒拉族", "保安族", "东乡族", "土族", "裕固族", "达斡尔族", "鄂温克族", "鄂伦春族"}

// shortNames are the forms people write a region's name in besides the full one.
func shortNames(r *Region) []string {
	n := r.Name
	var out []string
	add := func(s string) {
		if utf8.RuneCountInString(s) >= 2 && s != n {
			out = append(out, s)
		}
	}
	// An autonomous prefecture or county is written by its place name: 延边朝鲜族自治州 → 延边.
	if strings.HasSuffix(n, "自治州") || strings.HasSuffix(n, "自治县") || strings.HasSuffix(n, "自治旗") || strings.HasSuffix(n, "自治区") {
		cut := strings.Index(n, "自治")
		for _, e := range ethnic {
			// 内蒙古自治区 is 内蒙古, not 内: a cut must leave a name of two characters.
			if i := strings.Index(n, e); i > 0 && i < cut && utf8.RuneCountInString(n[:i]) >= 2 {
				cut = i
			}
		}
		add(n[:cut])
	}
	for _, suffix := range []string{"特别行政区", "省", "市", "地区", "盟", "新区", "区", "县", "旗", "街道", "镇", "乡"} {
		if strings.HasSuffix(n, suffix) {
			add(strings.TrimSuffix(n, suffix))
			break
		}
	}
	sort.Slice(out, func(i, j int) bool { return len(out[i]) > len(out[j]) })
	return out
}

func (t *Tree) parseIndex() *index {
	t.indexOnce.Do(func() {
		ix := &index{names: make(map[string][]string, len(t.byCode)), byName: map[Level]map[string][]*Region{},
			latin: map[string][]string{}, byLatin: map[Level]map[string][]*Region{}}
		syllables := readLatin(cnLatin)
		for _, r := range t.byCode {
			short := shortNames(r)
			names := append([]string{r.Name}, short...)
			ix.names[r.Code] = names
			if syl, ok := syllables[r.Code]; ok {
				forms := latinForms(r, syl, short)
				ix.latin[r.Code] = forms
				file(ix.byLatin, r, forms)
			}
			file(ix.byName, r, names)
			for _, n := range names {
				ix.maxRunes = max(ix.maxRunes, utf8.RuneCountInString(n))
			}
		}
		t.ix = ix
	})
	return t.ix
}

// file lists r under each of its names in its level's map.
func file(byLevel map[Level]map[string][]*Region, r *Region, names []string) {
	m := byLevel[r.Level]
	if m == nil {
		m = map[string][]*Region{}
		byLevel[r.Level] = m
	}
	for _, n := range names {
		m[n] = append(m[n], r)
	}
}

// match is a region found at a position of the text.
type match struct {
	r     *Region
	n     int  // bytes of text it took
	short bool // written in a short form
}

// at finds, among regions, the one whose name starts text (the longest name wins).
func (ix *index) at(text string, regions []*Region) (match, bool) {
	var best match
	for _, r := range regions {
		for i, n := range ix.names[r.Code] {
			if len(n) > best.n && strings.HasPrefix(text, n) {
				best = match{r: r, n: len(n), short: i > 0}
			}
		}
	}
	return best, best.r != nil
}

// byPrefix finds the regions of level whose name starts text, longest name first.
func (ix *index) byPrefix(text string, level Level) ([]*Region, int, bool) {
	m := ix.byName[level]
	runes := []rune(text)
	for n := min(len(runes), ix.maxRunes); n >= 2; n-- {
		s := string(runes[:n])
		if rs, ok := m[s]; ok {
			return rs, len(s), n < utf8.RuneCountInString(rs[0].Name)
		}
	}
	return nil, 0, false
}

var (
	mobileRe   = regexp.MustCompile(`(?:\+?86[- ]?)?(1[3-9]\d)[- ]?(\d{4})[- ]?(\d{4})`)
	landlineRe = regexp.MustCompile(`(?:\+?86[- ]?)?\(?(0\d{2,3})(?:\)|-|\) ?)(\d{7,8})(?:-\d{1,5})?`)
	labelRe    = regexp.MustCompile(`(收货人|收件人|联系人|姓名|名字|手机号码|手机号|手机|电话号码|电话|联系电话|联系方式|所在地区|详细地址|收货地址|地址)\s*[:：]?`)
	sepRe      = regexp.MustCompile(`[\s,，;；、|/]+`)
)

// findNumber is the first match of re in s that no digit touches on either side: in "Jiefang
// Rd 181 16454954301" the phone is the last eleven digits, not 181 and the eight after it.
func findNumber(re *regexp.Regexp, s string) []int {
	for from := 0; from < len(s); {
		m := re.FindStringSubmatchIndex(s[from:])
		if m == nil {
			return nil
		}
		for i := range m {
			if m[i] >= 0 {
				m[i] += from
			}
		}
		before, after := m[0] == 0 || !isDigit(s[m[0]-1]), m[1] == len(s) || !isDigit(s[m[1]])
		if before && after {
			return m
		}
		from = m[0] + 1
	}
	return nil
}

func isDigit(b byte) bool { return b >= '0' && b <= '9' }

// Normalize turns full-width letters, digits, punctuation and spaces into their ASCII forms and
// folds runs of space (what a phone keyboard or a chat app pastes).
func Normalize(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\u3000':
			r = ' '
		case r >= '\uff01' && r <= '\uff5e':
			r -= 0xfee0
		case unicode.IsControl(r):
			r = ' '
		}
		b.WriteRune(r)
	}
	return strings.Join(strings.Fields(b.String()), " ")
}

// Parse splits a pasted address into name, phone, regions and detail.
func (t *Tree) Parse(text string) Parsed {
	ix := t.parseIndex()
	var p Parsed
	s := Normalize(text)
	if m := findNumber(mobileRe, s); m != nil {
		p.Phone = s[m[2]:m[3]] + s[m[4]:m[5]] + s[m[6]:m[7]]
		s = s[:m[0]] + " " + s[m[1]:]
	} else if m := findNumber(landlineRe, s); m != nil {
		p.Phone = s[m[2]:m[3]] + "-" + s[m[4]:m[5]]
		s = s[:m[0]] + " " + s[m[1]:]
	}
	s = labelRe.ReplaceAllString(s, " ")
	tokens := sepRe.Split(strings.TrimSpace(s), -1)
	// The address starts at the token from which the longest chain of regions runs; the
	// tokens from there on are one address (pasted with or without spaces between its parts).
	bestAt, best, bestText := -1, chain{}, ""
	for i := range tokens {
		joined := joinTokens(tokens[i:])
		if c := ix.chainAt(t, joined); c.levels() > best.levels() {
			bestAt, best, bestText = i, c, joined
		}
	}
	if bestAt < 0 {
		if lp, ok := ix.parseLatin(t, s); ok {
			lp.Phone = p.Phone
			for _, tok := range tokens {
				if lp.Name == "" && looksLikeName(tok) && unicode.Is(unicode.Han, []rune(tok)[0]) {
					lp.Name = tok // a name in Han beside an address in Latin letters
					lp.Detail = strings.Trim(strings.Replace(lp.Detail, tok, "", 1), " ,")
				}
			}
			return lp
		}
		p.Name = nameIn(tokens)
		p.Detail = joinTokens(tokens)
		return p
	}
	p.Name = nameIn(tokens[:bestAt])
	detail := bestText[best.end:]
	// A name written after the address is its last token, when that is a name and not part of
	// the regions or the detail's own words.
	if last := tokens[len(tokens)-1]; p.Name == "" && len(tokens)-1 > bestAt && looksLikeName(last) && !detailWord(last) &&
		strings.HasSuffix(detail, last) && len(detail) > len(last) {
		p.Name, detail = last, strings.TrimSuffix(detail, last)
	}
	p.Detail = strings.TrimSpace(strings.TrimLeft(detail, " -"))
	if len(best.ambiguous) > 0 {
		p.Ambiguous = best.ambiguous
		p.Confidence = 0.3
		return p
	}
	p.setRegions(best.regions)
	p.Confidence = best.confidence()
	return p
}

// setRegions files each region at its level.
func (p *Parsed) setRegions(rs []*Region) {
	for _, r := range rs {
		switch r.Level {
		case Province:
			p.Province = *r
		case City:
			p.City = *r
		case District:
			p.District = *r
		case Street:
			p.Street = *r
		}
	}
}

// joinTokens joins an address's pieces: next to Han text they run together (文三路 100 号 is
// 文三路100号), between Latin words and numbers a space stays.
func joinTokens(tokens []string) string {
	var b strings.Builder
	for _, tok := range tokens {
		if b.Len() > 0 {
			last, _ := utf8.DecodeLastRuneInString(b.String())
			first, _ := utf8.DecodeRuneInString(tok)
			if !unicode.Is(unicode.Han, last) && !unicode.Is(unicode.Han, first) {
				b.WriteByte(' ')
			}
		}
		b.WriteString(tok)
	}
	return b.String()
}

// detailWord is a token that ends as the parts of a street address do (路, 号, 室, 小区, ...).
func detailWord(s string) bool {
	for _, suf := range []string{"路", "街", "道", "号", "巷", "弄", "村", "组", "室", "楼", "栋", "幢", "单元", "层", "小区", "大厦",
		"广场", "花园", "苑", "园", "城", "中心", "院", "座", "区", "镇", "乡", "里", "坊", "庄", "湾", "门", "厂", "店", "公司", "学校", "大学"} {
		if strings.HasSuffix(s, suf) {
			return true
		}
	}
	return false
}

// looksLikeName is a token of 2 to 5 Han characters, or of Latin letters (a name in pinyin or
// English), with no digits.
func looksLikeName(s string) bool {
	n := utf8.RuneCountInString(s)
	if n == 0 || n > 20 {
		return false
	}
	han, latin := 0, 0
	for _, r := range s {
		switch {
		case unicode.Is(unicode.Han, r) || r == '·':
			han++
		case unicode.IsLetter(r):
			latin++
		default:
			return false
		}
	}
	return (han >= 2 && han <= 5 && latin == 0) || (latin >= 2 && han == 0)
}

func nameIn(tokens []string) string {
	// A name in Latin letters may be several words: Zhang Wei.
	latin := len(tokens) > 0
	for _, tok := range tokens {
		for _, r := range tok {
			latin = latin && unicode.IsLetter(r) && !unicode.Is(unicode.Han, r)
		}
	}
	if latin && len(tokens) <= 4 {
		return strings.Join(tokens, " ")
	}
	for _, tok := range tokens {
		if looksLikeName(tok) {
			return tok
		}
	}
	return ""
}

// chain is the regions found from the start of a token.
type chain struct {
	regions   []*Region
	inferred  int // levels filled in from a lower one
	short     int // levels written in a short form
	end       int // bytes of the token taken
	ambiguous []Candidate
}

func (c chain) levels() int {
	if len(c.ambiguous) > 0 {
		return 1
	}
	return len(c.regions) - c.inferred
}

func (c chain) confidence() float64 {
	if len(c.regions) == 0 {
		return 0
	}
	conf := 1.0
	conf -= 0.05 * float64(c.short)
	conf -= 0.1 * float64(c.inferred)
	hasDistrict := false
	for _, r := range c.regions {
		hasDistrict = hasDistrict || r.Level == District
	}
	if !hasDistrict {
		conf -= 0.3
	}
	return max(conf, 0.1)
}

// chainAt finds the regions a token starts with: a province, then its city, district and street,
// any of which may be left out (a municipality's city, a province's name) and is then filled in
// from the level below it.
func (ix *index) chainAt(t *Tree, tok string) chain {
	var c chain
	pos := 0
	take := func(m match) {
		c.regions = append(c.regions, m.r)
		pos += m.n
		if m.short {
			c.short++
		}
	}
	kids := func(code string) []*Region { return t.children[code] }
	districtsOf := func(province string) []*Region {
		var out []*Region
		for _, city := range t.children[province] {
			out = append(out, t.children[city.Code]...)
		}
		return out
	}
	var prov, city, district *Region
	// A city or district whose name is longer than the province name the text starts with is
	// what the text names: 吉林市 is a city (of 吉林省), not 吉林 and then 市.
	crs, cn, cshort := ix.byPrefix(tok, City)
	drs, dn, dshort := ix.byPrefix(tok, District)
	if m, ok := ix.at(tok, t.children[""]); ok && m.n >= max(cn, dn) {
		take(m)
		prov = m.r
	}
	if prov != nil {
		if m, ok := ix.at(tok[pos:], kids(prov.Code)); ok {
			take(m)
			city = m.r
		} else if m, ok := ix.at(tok[pos:], districtsOf(prov.Code)); ok {
			city = t.byCode[m.r.Parent]
			c.regions = append(c.regions, city)
			c.inferred++
			take(m)
			district = m.r
		}
	} else {
		// No province: the longest name a city or a district starts the text with wins, so that
		// 朝阳区 is a district and not 朝阳 (市, in 辽宁) followed by 区. A name several places
		// share (鼓楼区; 朝阳, a city and districts) is not guessed: the parse lists them.
		n, short := max(cn, dn), (cn >= dn && cshort) || (dn >= cn && dshort)
		var cands []*Region
		if cn == n {
			cands = append(cands, crs...)
		}
		if dn == n {
			cands = append(cands, drs...)
		}
		switch {
		case len(cands) == 1 && cands[0].Level == City:
			city = cands[0]
			prov = t.byCode[city.Parent]
			c.regions = append(c.regions, prov, city)
			c.inferred++
		case len(cands) == 1:
			district = cands[0]
			city = t.byCode[district.Parent]
			prov = t.byCode[city.Parent]
			c.regions = append(c.regions, prov, city, district)
			c.inferred += 2
		case len(cands) > 1:
			for _, r := range cands {
				if r.Level == City {
					c.ambiguous = append(c.ambiguous, Candidate{Province: *t.byCode[r.Parent], City: *r})
					continue
				}
				ct := t.byCode[r.Parent]
				c.ambiguous = append(c.ambiguous, Candidate{Province: *t.byCode[ct.Parent], City: *ct, District: *r})
			}
			c.end = n
			return c
		}
		if len(cands) == 1 {
			pos += n
			if short {
				c.short++
			}
		}
	}
	if city != nil && district == nil {
		if m, ok := ix.at(tok[pos:], kids(city.Code)); ok {
			take(m)
			district = m.r
		}
	}
	if district != nil {
		if m, ok := ix.at(tok[pos:], kids(district.Code)); ok && !m.short {
			take(m)
		}
	}
	c.end = pos
	return c
}

// MaxTextRunes bounds the text Parse is given through the API (an address with its name and
// phone is a few dozen characters; a chat message pasted whole is still well under this).
const MaxTextRunes = 500

// ErrInvalidText is text to parse that is empty or longer than MaxTextRunes.
var ErrInvalidText = errkind.New(errkind.Invalid, "address.invalid_text", "the address text is empty or too long")
