package address

import (
	"bufio"
	"bytes"
	"compress/gzip"
	_ "embed"
	"strings"
	"unicode/utf8"
)

// cnLatin is the Hanyu Pinyin of every province, city and district, one syllable per character
// (gen/latin: pinyin-pro 3.29.4), so that "Zhejiang", "Hangzhou City" and "xihu qu" resolve as
// 浙江省, 杭州市 and 西湖区 do: cross-border shops, English front ends and carriers' systems write
// Chinese addresses that way.
//
//go:embed data/cn-latin.tsv.gz
var cnLatin []byte

// latinNames are the regions known abroad by names that are not their pinyin (or whose pinyin
// another province shares: 陕西 is Shaanxi, 山西 Shanxi); they replace the pinyin forms.
// The autonomous regions are listed with their official English names less "Autonomous Region"
// (Guangxi Zhuang, Xinjiang Uygur).
var latinNames = map[string][]string{
	"14": {"shanxi"}, "61": {"shaanxi"}, "15": {"innermongolia", "neimongol", "neimenggu"}, "54": {"tibet", "xizang"},
	"45": {"guangxi", "guangxizhuang"}, "64": {"ningxia", "ningxiahui"}, "65": {"xinjiang", "xinjianguygur", "xinjianguyghur"},
	"81": {"hongkong", "xianggang"}, "82": {"macao", "macau", "aomen"}, "71": {"taiwan"},
	// Cities whose usual Latin names are not their pinyin.
	"6501": {"urumqi", "wulumuqi"}, "1501": {"hohhot", "huhehaote"}, "5401": {"lhasa", "lasa"}, "2301": {"harbin", "haerbin"},
	"6531": {"kashgar", "kashi"},
}

// latinSuffixes are the English and pinyin words for a level that may follow a Latin name
// ("Hangzhou City", "Pudong New Area", "Guangxi Zhuang Autonomous Region"); they are dropped
// before comparing.
var latinSuffixes = []string{"specialadministrativeregion", "autonomousprefecture", "autonomousregion", "autonomouscounty",
	"municipality", "prefecture", "province", "district", "newarea", "county", "city", "sar"}

// latinKey folds s for comparison with Latin names: lower case, letters only, a trailing level
// word dropped. ok is false for a name that is not written in Latin letters.
func latinKey(s string) (key string, ok bool) {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z':
			b.WriteRune(r)
		case r >= 'A' && r <= 'Z':
			b.WriteRune(r + 'a' - 'A')
		case r == ' ' || r == '-' || r == '\'' || r == '.' || r == '’':
		case r == 'ü' || r == 'Ü':
			b.WriteRune('v')
		default:
			return "", false
		}
	}
	key = b.String()
	for _, suffix := range latinSuffixes {
		if t := strings.TrimSuffix(key, suffix); t != key && len(t) >= 2 {
			key = t
			break
		}
	}
	return key, key != ""
}

// latinForms are the Latin spellings of r: its full name's pinyin and each short form's (short
// forms are a prefix of the full name), or the province's own Latin names.
func latinForms(r *Region, syllables []string, short []string) []string {
	if names, ok := latinNames[r.Code]; ok {
		return names
	}
	if len(syllables) != utf8.RuneCountInString(r.Name) {
		return nil
	}
	forms := []string{strings.Join(syllables, "")}
	for _, s := range short {
		if n := utf8.RuneCountInString(s); strings.HasPrefix(r.Name, s) && n >= 2 {
			forms = append(forms, strings.Join(syllables[:n], ""))
		}
	}
	return forms
}

// readLatin reads the embedded syllables by code.
func readLatin(gz []byte) map[string][]string {
	out := map[string][]string{}
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return out
	}
	sc := bufio.NewScanner(zr)
	for sc.Scan() {
		if code, syl, ok := strings.Cut(sc.Text(), "\t"); ok {
			out[code] = strings.Fields(syl)
		}
	}
	return out
}
