package address

import (
	"strings"

	"github.com/atriumtrade/atrium/kernel/errkind"
)

// Place is where something is, as far as regions go: a destination, a warehouse, an entry of a
// region set (COD's regions, a shipping template's). A country (ISO 3166-1 alpha-2) and its
// levels by name; in China, also by GB/T 2260 code once resolved (Tree.Resolve), which is what
// two places are compared by when both have them. An entry of a region set names only the levels
// it covers ("Zhejiang" is the whole province).
type Place struct {
	Country      string `json:"country"`
	Province     string `json:"province"`
	City         string `json:"city"`
	District     string `json:"district"`
	ProvinceCode string `json:"provinceCode"`
	CityCode     string `json:"cityCode"`
	DistrictCode string `json:"districtCode"`
}

// PlaceOf is where a delivery address is.
func PlaceOf(a Address) Place {
	return Place{Country: a.Country, Province: a.Province, City: a.City, District: a.District,
		ProvinceCode: a.ProvinceCode, CityCode: a.CityCode, DistrictCode: a.DistrictCode}
}

// Resolve checks and normalises a place whose lower levels may be left out (a quote's
// destination, a warehouse, a region set's entry): in China each level given must exist, agree
// with its code and be inside the one above, and is answered with its code and full name
// ("Zhejiang" → 浙江省, 33); a municipality's one city is filled in. Elsewhere only the country
// must be known; the names are kept as written.
func (t *Tree) Resolve(p Place) (Place, []FieldError) {
	a := trimAll(Address{Country: p.Country, Province: p.Province, City: p.City, District: p.District,
		ProvinceCode: p.ProvinceCode, CityCode: p.CityCode, DistrictCode: p.DistrictCode})
	if a.Country == "" {
		a.Country = "CN"
	}
	a.Country = strings.ToUpper(a.Country)
	if _, ok := Countries[a.Country]; !ok {
		return PlaceOf(a), []FieldError{{Field: "country", Code: CodeUnknown,
			Message: "no address format is known for country " + a.Country + " (ISO 3166-1 alpha-2)"}}
	}
	for _, f := range []struct{ field, v string }{{"province", a.Province}, {"city", a.City}, {"district", a.District}} {
		if len([]rune(f.v)) > maxRegion {
			return PlaceOf(a), []FieldError{{Field: f.field, Code: CodeTooLong, Message: f.field + " is longer than the 64 characters allowed"}}
		}
	}
	if a.Country != "CN" {
		a.ProvinceCode, a.CityCode, a.DistrictCode = "", "", ""
		return PlaceOf(a), nil
	}
	errs := t.resolveRegions(&a, false)
	return PlaceOf(a), errs
}

// Far is the distance rank of places in different countries, or of a place not known.
const Far = 4

// Distance ranks how near two places are: 0 the same district, 1 the same city, 2 the same
// province, 3 the same country, Far otherwise or when either is not known that far. Levels are
// compared by code when both places have one, else by name without case, level suffix or
// spacing ("浙江省" and "浙江", "Hangzhou" and "hangzhou city"), so that places written before
// they were resolved still compare.
func Distance(a, b Place) int {
	switch {
	case !sameName(a.Country, b.Country):
		return Far
	case !same(a.ProvinceCode, b.ProvinceCode, a.Province, b.Province):
		return 3
	case !same(a.CityCode, b.CityCode, a.City, b.City):
		return 2
	case !same(a.DistrictCode, b.DistrictCode, a.District, b.District):
		return 1
	}
	return 0
}

// Within reports whether p is inside area: the same country and, at each level area names, the
// same region (area "浙江省" holds every place in Zhejiang; an area naming no province, the
// whole country).
func (p Place) Within(area Place) bool {
	if !sameName(p.Country, area.Country) {
		return false
	}
	for _, l := range []struct{ areaCode, code, areaName, name string }{
		{area.ProvinceCode, p.ProvinceCode, area.Province, p.Province},
		{area.CityCode, p.CityCode, area.City, p.City},
		{area.DistrictCode, p.DistrictCode, area.District, p.District},
	} {
		if l.areaCode == "" && l.areaName == "" {
			return true
		}
		if !same(l.areaCode, l.code, l.areaName, l.name) {
			return false
		}
	}
	return true
}

// Set is a region set: the places it covers.
type Set []Place

// Contains reports whether p is inside one of the set's places (an empty set holds nothing).
func (s Set) Contains(p Place) bool {
	for _, area := range s {
		if p.Within(area) {
			return true
		}
	}
	return false
}

// same compares one level of two places: by code when both have one, else by name.
func same(codeA, codeB, nameA, nameB string) bool {
	if codeA != "" && codeB != "" {
		return codeA == codeB
	}
	return sameName(nameA, nameB)
}

// sameName compares two names of a place, neither empty, by their folded forms.
func sameName(a, b string) bool {
	a, b = foldName(a), foldName(b)
	return a != "" && a == b
}

// foldName is a region's name as names are compared: a Latin one by its latinKey, a Chinese one
// without its level suffix.
func foldName(s string) string {
	s = strings.TrimSpace(s)
	if k, ok := latinKey(s); ok {
		return k
	}
	for _, suffix := range []string{"特别行政区", "自治区", "省", "市", "区", "县"} {
		if t := strings.TrimSuffix(s, suffix); t != "" && t != s {
			return t
		}
	}
	return s
}

// Code is the GB/T 2260 code of the place's deepest resolved level ("" if none is).
func (p Place) Code() string {
	for _, c := range []string{p.DistrictCode, p.CityCode, p.ProvinceCode} {
		if c != "" {
			return c
		}
	}
	return ""
}

// WithCode is p with its codes set from the code of its deepest level (the levels above are its
// prefixes), as stored by Code.
func (p Place) WithCode(code string) Place {
	p.ProvinceCode, p.CityCode, p.DistrictCode = "", "", ""
	if len(code) >= 2 {
		p.ProvinceCode = code[:2]
	}
	if len(code) >= 4 {
		p.CityCode = code[:4]
	}
	if len(code) >= 6 {
		p.DistrictCode = code[:6]
	}
	return p
}

// Fault is base listing the fields at fault, each under prefix ("address" → address.postalCode),
// the first one's message its message: what a request holding an address or a place under that
// name is refused with.
func Fault(base *errkind.Error, prefix string, faults []FieldError) error {
	fields := make([]errkind.FieldError, len(faults))
	for i, f := range faults {
		fields[i] = errkind.FieldError{Field: prefix + "." + f.Field, Code: f.Code, Message: f.Message}
	}
	if len(fields) == 0 {
		return base
	}
	return errkind.WithFields(base, fields[0].Field+": "+fields[0].Message, fields)
}
