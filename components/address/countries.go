package address

import (
	"regexp"
	"strings"
)

// Country is what the library knows of a country's addresses: its postal code's shape, which
// fields it needs, and how its addresses are written on a parcel.
type Country struct {
	// Code is ISO 3166-1 alpha-2.
	Code string
	Name string
	// Postal is the postal code's pattern ("" for a country without postal codes); PostalExample
	// shows one.
	Postal        *regexp.Regexp
	PostalExample string
	// PostalRequired, RegionRequired: the fields a deliverable address needs besides name,
	// street and city.
	PostalRequired, RegionRequired bool
	// Format writes the address's lines in the country's order: %N name, %A street lines, %C
	// city, %S region, %Z postal code, %n a line break. The country's name follows on its own
	// line for mail from abroad.
	Format string
	// Upper names the fields written in capitals on the envelope (as the post asks): C, S.
	Upper string
}

func country(code, name, postal, example string, postalReq, regionReq bool, format, upper string) Country {
	c := Country{Code: code, Name: name, PostalExample: example, PostalRequired: postalReq, RegionRequired: regionReq, Format: format, Upper: upper}
	if postal != "" {
		c.Postal = regexp.MustCompile(`^(?:` + postal + `)$`)
	}
	return c
}

// Countries are the countries whose addresses the library checks, from the postal
// administrations' published formats (the same data Google's libaddressinput carries).
var Countries = func() map[string]Country {
	list := []Country{
		country("CN", "China", `\d{6}`, "310000", false, true, "%S%C%D%n%A%n%N", ""),
		country("US", "United States", `\d{5}(?:-\d{4})?`, "95014", true, true, "%N%n%A%n%C, %S %Z", "CS"),
		country("CA", "Canada", `[ABCEGHJ-NPRSTVXY]\d[ABCEGHJ-NPRSTV-Z] ?\d[ABCEGHJ-NPRSTV-Z]\d`, "H3Z 2Y7", true, true, "%N%n%A%n%C %S %Z", "CS"),
		country("GB", "United Kingdom", `GIR ?0AA|(?:[A-PR-UWYZ](?:\d[\dA-HJKPSTUW]?|[A-HK-Y]\d[\dABEHMNPRV-Y]?) ?\d[ABD-HJLNP-UW-Z]{2})`, "EC1Y 8SY", true, false, "%N%n%A%n%C%n%Z", "CZ"),
		country("DE", "Germany", `\d{5}`, "26133", true, false, "%N%n%A%n%Z %C", ""),
		country("FR", "France", `\d{2} ?\d{3}`, "33380", true, false, "%N%n%A%n%Z %C", "C"),
		country("IT", "Italy", `\d{5}`, "00144", true, true, "%N%n%A%n%Z %C %S", "CS"),
		country("ES", "Spain", `\d{5}`, "28039", true, true, "%N%n%A%n%Z %C %S", "CS"),
		country("NL", "Netherlands", `\d{4} ?[A-Z]{2}`, "1234 AB", true, false, "%N%n%A%n%Z %C", ""),
		country("JP", "Japan", `\d{3}-?\d{4}`, "154-0023", true, true, "〒%Z%n%S%C%n%A%n%N", ""),
		country("KR", "South Korea", `\d{5}`, "03051", true, false, "%S %C%n%A%n%Z%n%N", ""),
		country("SG", "Singapore", `\d{6}`, "546080", true, false, "%N%n%A%nSINGAPORE %Z", ""),
		country("AU", "Australia", `\d{4}`, "2060", true, true, "%N%n%A%n%C %S %Z", "CS"),
		country("NZ", "New Zealand", `\d{4}`, "6001", true, false, "%N%n%A%n%C %Z", ""),
		country("IN", "India", `\d{6}`, "110034", true, true, "%N%n%A%n%C %Z%n%S", ""),
		country("BR", "Brazil", `\d{5}-?\d{3}`, "40301-110", true, true, "%N%n%A%n%C-%S%n%Z", "CS"),
		country("MX", "Mexico", `\d{5}`, "02860", true, true, "%N%n%A%n%Z %C, %S", "CS"),
		country("RU", "Russia", `\d{6}`, "247112", true, true, "%N%n%A%n%C%n%S%n%Z", "CS"),
		country("HK", "Hong Kong", ``, "", false, true, "%S%n%A%n%N", "S"),
		country("MO", "Macao", ``, "", false, false, "%A%n%N", ""),
		country("TW", "Taiwan", `\d{3}(?:\d{2,3})?`, "104", true, true, "%Z%n%S%C%n%A%n%N", ""),
		country("MY", "Malaysia", `\d{5}`, "43000", true, true, "%N%n%A%n%Z %C%n%S", "CS"),
		country("TH", "Thailand", `\d{5}`, "10150", true, false, "%N%n%A%n%C%n%S %Z", "S"),
	}
	m := make(map[string]Country, len(list))
	for _, c := range list {
		m[c.Code] = c
	}
	return m
}()

// Lines is the address written in country c's order, the country's name last when the
// parcel crosses a border (from is the sender's country).
func (c Country) Lines(a Address, from string) []string {
	up := func(field byte, s string) string {
		if strings.IndexByte(c.Upper, field) >= 0 {
			return strings.ToUpper(s)
		}
		return s
	}
	var b strings.Builder
	for i := 0; i < len(c.Format); i++ {
		if c.Format[i] != '%' || i+1 == len(c.Format) {
			b.WriteByte(c.Format[i])
			continue
		}
		i++
		switch c.Format[i] {
		case 'N':
			b.WriteString(a.Name)
		case 'A':
			b.WriteString(a.Detail)
		case 'C':
			b.WriteString(up('C', a.City))
		case 'S':
			b.WriteString(up('S', a.Province))
		case 'D':
			b.WriteString(a.District)
		case 'Z':
			b.WriteString(up('Z', a.PostalCode))
		case 'n':
			b.WriteByte('\n')
		}
	}
	var out []string
	for _, l := range strings.Split(b.String(), "\n") {
		if l = strings.TrimSpace(strings.Trim(strings.TrimSpace(l), ",")); l != "" && l != "〒" {
			out = append(out, l)
		}
	}
	if from != "" && from != c.Code {
		out = append(out, strings.ToUpper(c.Name))
	}
	return out
}
