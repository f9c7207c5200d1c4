package address

import (
	"regexp"
	"strings"
	"unicode"
)

// A pasted address in Latin letters ("1 Jianguo Road, Chaoyang District, Beijing", or "Zhejiang
// Hangzhou Xihu Wensan Rd 100") names its regions in either order and spells a level in
// English or pinyin ("District", "Qu") or not at all. parseLatin finds each region mention as a
// run of words whose folded form (latinKey) is some region's Latin name, then picks the place
// the mentions agree on: the district whose city or province is also mentioned, or the only
// district or city of that name. Several places that fit equally are listed, not guessed.

var latinPartRe = regexp.MustCompile(`[,，;；|/\n]+`)

// latinMention is a run of words that names regions of one or more levels.
type latinMention struct {
	part, from, to int
	regions        map[Level][]*Region
}

// latinDetailWords are the words of a detail that are never a region ("Rd", "No.", "Building").
var latinDetailWords = map[string]bool{"road": true, "rd": true, "street": true, "st": true, "avenue": true, "ave": true,
	"lane": true, "ln": true, "no": true, "building": true, "bldg": true, "room": true, "rm": true, "floor": true, "unit": true,
	"apt": true, "block": true, "lu": true, "jie": true, "hao": true, "hutong": true}

func (ix *index) parseLatin(t *Tree, text string) (Parsed, bool) {
	var p Parsed
	hasLatin := false
	for _, r := range text {
		if r < unicode.MaxASCII && unicode.IsLetter(r) {
			hasLatin = true
			break
		}
	}
	if !hasLatin {
		return p, false
	}
	var parts [][]string
	for _, part := range latinPartRe.Split(text, -1) {
		if words := strings.Fields(part); len(words) > 0 {
			parts = append(parts, words)
		}
	}
	var mentions []latinMention
	for pi, words := range parts {
		for i := 0; i < len(words); {
			found := false
			for n := min(4, len(words)-i); n >= 1 && !found; n-- {
				if latinDetailWords[strings.ToLower(strings.Trim(words[i], "."))] {
					break
				}
				key, ok := latinKey(strings.Join(words[i:i+n], " "))
				if !ok || len(key) < 3 {
					continue
				}
				if i+n < len(words) && latinDetailWords[strings.ToLower(strings.Trim(words[i+n], "."))] {
					continue // a road named after a place: Zhongshan Road, Jiefang Rd
				}
				m := latinMention{part: pi, from: i, to: i + n, regions: map[Level][]*Region{}}
				for _, level := range []Level{Province, City, District} {
					if rs := ix.byLatin[level][key]; len(rs) > 0 {
						m.regions[level] = rs
					}
				}
				if len(m.regions) > 0 {
					mentions = append(mentions, m)
					i, found = i+n, true
				}
			}
			if !found {
				i++
			}
		}
	}
	if len(mentions) == 0 {
		return p, false
	}
	mentioned := func(level Level, code string) (int, bool) {
		for i, m := range mentions {
			for _, r := range m.regions[level] {
				if r.Code == code {
					return i, true
				}
			}
		}
		return 0, false
	}
	// The best place: a district (or, failing any, a city), scored by how many of its levels are
	// mentioned.
	type place struct {
		regions []*Region
		used    []int
		score   int
	}
	var best []place
	consider := func(pl place) {
		last := pl.regions[len(pl.regions)-1].Code
		for i, b := range best {
			if b.regions[len(b.regions)-1].Code == last { // the same place by another mention
				if pl.score > b.score {
					best[i] = pl
				}
				return
			}
		}
		switch {
		case len(best) == 0 || pl.score > best[0].score:
			best = []place{pl}
		case pl.score == best[0].score:
			best = append(best, pl)
		}
	}
	for _, level := range []Level{District, City} {
		// Both levels compete: "Chaoyang, Liaoning" is the city 朝阳市 as much as its county
		// 朝阳县, and is listed as both.
		for mi, m := range mentions {
			for _, r := range m.regions[level] {
				pl := place{used: []int{mi}, score: 1}
				chain := []*Region{r}
				for up := t.byCode[r.Parent]; up != nil; up = t.byCode[up.Parent] {
					chain = append([]*Region{up}, chain...)
					if j, ok := mentioned(up.Level, up.Code); ok && j != mi {
						pl.used, pl.score = append(pl.used, j), pl.score+1
					}
				}
				pl.regions = chain
				consider(pl)
			}
		}
	}
	if len(best) == 0 {
		return p, false
	}
	used := map[int]bool{}
	for _, i := range best[0].used {
		used[i] = true
	}
	if len(best) > 1 {
		for _, pl := range best {
			var q Parsed
			q.setRegions(pl.regions)
			p.Ambiguous = append(p.Ambiguous, Candidate{Province: q.Province, City: q.City, District: q.District})
		}
		p.Confidence = 0.3
	} else {
		p.setRegions(best[0].regions)
		p.Confidence = 0.6
		if p.District.Code != "" && best[0].score >= 2 {
			p.Confidence = 0.8
		}
	}
	// What the regions did not take is the detail, in the order written, and a name.
	taken := map[[2]int]bool{}
	for i, m := range mentions {
		if used[i] {
			for w := m.from; w < m.to; w++ {
				taken[[2]int{m.part, w}] = true
			}
		}
	}
	var rest []string
	for pi, words := range parts {
		var kept []string
		for wi, w := range words {
			if !taken[[2]int{pi, wi}] {
				kept = append(kept, w)
			}
		}
		if len(kept) == 0 {
			continue
		}
		if p.Name == "" && len(kept) <= 3 && latinName(kept) {
			p.Name = strings.Join(kept, " ")
			continue
		}
		if p.Name == "" && len(rest) == 0 {
			// A name run into the address: "Zhang Wei 100 Wensan Road ..."
			for n := 3; n >= 2; n-- {
				if len(kept) > n && latinName(kept[:n]) && strings.ContainsAny(kept[n], "0123456789") {
					p.Name, kept = strings.Join(kept[:n], " "), kept[n:]
					break
				}
			}
		}
		rest = append(rest, strings.Join(kept, " "))
	}
	p.Detail = strings.Join(rest, ", ")
	return p, true
}

// latinName is a part that reads as a person's name: two or three words of letters only, none a
// word of a detail.
func latinName(words []string) bool {
	if len(words) < 2 {
		return false
	}
	for _, w := range words {
		if latinDetailWords[strings.ToLower(strings.Trim(w, "."))] {
			return false
		}
		for _, r := range w {
			if !unicode.IsLetter(r) || r > unicode.MaxASCII {
				return false
			}
		}
	}
	return true
}
