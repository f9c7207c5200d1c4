package address

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/nyaruka/phonenumbers"
)

// Address is a structured delivery address as a form sends it.
type Address struct {
	// Country is ISO 3166-1 alpha-2 ("" is CN).
	Country string
	Name    string
	Phone   string
	// Province is the state, province or region; City the city or locality; District and
	// Street the lower Chinese levels. For China, the codes (GB/T 2260) may come instead of or
	// with the names.
	Province, City, District, Street                 string
	ProvinceCode, CityCode, DistrictCode, StreetCode string
	// Detail is the street address: road, number, building, room.
	Detail     string
	PostalCode string
}

// FieldError is one thing wrong with one field.
type FieldError struct {
	// Field is the field's name as the API spells it (province, postalCode, ...).
	Field string
	// Code is stable: required, too_long, unknown, mismatch, not_in_parent, invalid, ambiguous.
	Code    string
	Message string
}

// The field errors' codes.
const (
	CodeRequired    = "required"
	CodeTooLong     = "too_long"
	CodeUnknown     = "unknown"
	CodeMismatch    = "mismatch"
	CodeNotInParent = "not_in_parent"
	CodeInvalid     = "invalid"
	CodeAmbiguous   = "ambiguous"
)

// Field limits, in characters.
const (
	maxName   = 64
	maxDetail = 200
	maxRegion = 64
)

// Validate checks a and returns it normalised (names and codes filled in from each other,
// phone in E.164, postal code in its country's spelling), with what is wrong field by field (none:
// the address can be delivered to as far as its shape says).
func (t *Tree) Validate(a Address) (Address, []FieldError) {
	var errs []FieldError
	fail := func(field, code, msg string) { errs = append(errs, FieldError{Field: field, Code: code, Message: msg}) }
	a = trimAll(a)
	if a.Country == "" {
		a.Country = "CN"
	}
	a.Country = strings.ToUpper(a.Country)
	c, ok := Countries[a.Country]
	if !ok {
		fail("country", CodeUnknown, "no address format is known for country "+a.Country+" (ISO 3166-1 alpha-2)")
		return a, errs
	}
	for _, f := range []struct {
		field, v string
		max      int
	}{{"name", a.Name, maxName}, {"detail", a.Detail, maxDetail}, {"province", a.Province, maxRegion}, {"city", a.City, maxRegion},
		{"district", a.District, maxRegion}, {"street", a.Street, maxRegion}, {"postalCode", a.PostalCode, 16}, {"phone", a.Phone, 32}} {
		if utf8.RuneCountInString(f.v) > f.max {
			fail(f.field, CodeTooLong, f.field+" is longer than the "+strconv.Itoa(f.max)+" characters allowed")
		}
	}
	if len(errs) > 0 {
		return a, errs
	}
	if a.Name == "" {
		fail("name", CodeRequired, "the recipient's name is required")
	}
	if utf8.RuneCountInString(a.Detail) < 2 {
		fail("detail", CodeRequired, "the street address is required")
	}
	if a.Phone == "" {
		fail("phone", CodeRequired, "a phone number is required")
	} else if num, err := phonenumbers.Parse(a.Phone, a.Country); err != nil || !phonenumbers.IsValidNumber(num) {
		fail("phone", CodeInvalid, a.Phone+" is not a valid phone number in "+c.Name)
	} else {
		a.Phone = phonenumbers.Format(num, phonenumbers.E164)
	}
	if a.PostalCode != "" || c.PostalRequired {
		pc := strings.ToUpper(a.PostalCode)
		switch {
		case c.Postal == nil:
			a.PostalCode = "" // the country has none: nothing to keep
		case pc == "":
			fail("postalCode", CodeRequired, "a postal code is required in "+c.Name+" (e.g. "+c.PostalExample+")")
		case !c.Postal.MatchString(pc):
			fail("postalCode", CodeInvalid, a.PostalCode+" is not a postal code of "+c.Name+" (e.g. "+c.PostalExample+")")
		default:
			a.PostalCode = pc
		}
	}
	if a.Country == "CN" {
		errs = append(errs, t.resolveRegions(&a, true)...)
		return a, errs
	}
	if a.City == "" {
		fail("city", CodeRequired, "the city is required")
	}
	if c.RegionRequired && a.Province == "" {
		fail("province", CodeRequired, "the state, province or region is required in "+c.Name)
	}
	return a, errs
}

// resolveRegions resolves a Chinese address's levels: each given code must name a region and
// agree with the name given beside it, each level must be inside the one above, and, if complete
// is set, the province, city and (where the city has districts) district must all be there.
func (t *Tree) resolveRegions(a *Address, complete bool) []FieldError {
	ix := t.parseIndex()
	var errs []FieldError
	fail := func(field, code, msg string) { errs = append(errs, FieldError{Field: field, Code: code, Message: msg}) }
	levels := []struct {
		field      string
		name, code *string
		level      Level
	}{
		{"province", &a.Province, &a.ProvinceCode, Province},
		{"city", &a.City, &a.CityCode, City},
		{"district", &a.District, &a.DistrictCode, District},
		{"street", &a.Street, &a.StreetCode, Street},
	}
	// A deeper level's code names the levels above it (its prefixes): a form may send only the
	// district's code. A level named instead is resolved by its name, and the code below must
	// then be inside it.
	for i := len(levels) - 1; i > 0; i-- {
		if c := *levels[i].code; len(c) >= 4 && *levels[i-1].code == "" && *levels[i-1].name == "" {
			*levels[i-1].code = parentOf(c)
		}
	}
	parent := ""
	for _, l := range levels {
		var r *Region
		switch {
		case *l.code != "":
			got, ok := t.byCode[*l.code]
			if !ok || got.Level != l.level {
				fail(l.field+"Code", CodeUnknown, "no "+string(l.level)+" has the code "+*l.code)
				return errs
			}
			if *l.name != "" && !ix.hasName(got, *l.name) {
				fail(l.field, CodeMismatch, *l.name+" is not the name of "+got.Code+" ("+got.Name+")")
				return errs
			}
			r = got
		case *l.name != "":
			var within []*Region
			if parent != "" || l.level == Province {
				within = t.children[parent]
			}
			var found []*Region
			for _, cand := range within {
				if ix.hasName(cand, *l.name) {
					found = append(found, cand)
				}
			}
			if len(found) > 1 { // a Latin spelling two regions share (two Taizhou in one province would be)
				fail(l.field, CodeAmbiguous, *l.name+" could be "+found[0].Name+" or "+found[1].Name+": give the Chinese name or the code")
				return errs
			}
			if len(found) == 1 {
				r = found[0]
			}
			if r == nil {
				where := "China"
				if parent != "" {
					where = t.byCode[parent].Name
				}
				if ix.knownName(l.level, *l.name) {
					fail(l.field, CodeNotInParent, *l.name+" is not in "+where)
				} else {
					fail(l.field, CodeUnknown, "no "+string(l.level)+" of "+where+" is called "+*l.name)
				}
				return errs
			}
		default:
			// A municipality's one city may be left out; a street always may; the rest are needed
			// where the level above has them.
			kids := t.children[parent]
			switch {
			case l.level == Street || (parent != "" && len(kids) == 0):
				return errs
			case l.level == City && len(kids) == 1:
				r = kids[0]
			case !complete:
				return errs
			default:
				fail(l.field, CodeRequired, "the "+string(l.level)+" is required")
				return errs
			}
		}
		if r.Parent != parent {
			fail(l.field, CodeNotInParent, r.Name+" ("+r.Code+") is not in "+t.byCode[parent].Name)
			return errs
		}
		*l.name, *l.code = r.Name, r.Code
		parent = r.Code
	}
	return errs
}

// hasName reports whether s is one of r's names (full or short, in Chinese or Latin letters).
func (ix *index) hasName(r *Region, s string) bool {
	if slices.Contains(ix.names[r.Code], s) {
		return true
	}
	key, latin := latinKey(s)
	return latin && slices.Contains(ix.latin[r.Code], key)
}

// knownName reports whether some region of level is called s.
func (ix *index) knownName(level Level, s string) bool {
	if _, ok := ix.byName[level][s]; ok {
		return true
	}
	key, latin := latinKey(s)
	_, ok := ix.byLatin[level][key]
	return latin && ok
}

var spaceRe = regexp.MustCompile(`\s+`)

func trimAll(a Address) Address {
	for _, p := range []*string{&a.Country, &a.Name, &a.Phone, &a.Province, &a.City, &a.District, &a.Street, &a.ProvinceCode,
		&a.CityCode, &a.DistrictCode, &a.StreetCode, &a.Detail, &a.PostalCode} {
		*p = spaceRe.ReplaceAllString(strings.TrimSpace(Normalize(*p)), " ")
	}
	return a
}
