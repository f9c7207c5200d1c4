package address_test

import (
	"strings"
	"testing"

	"github.com/atriumtrade/atrium/components/address"
)

func fields(errs []address.FieldError) string {
	var out []string
	for _, e := range errs {
		out = append(out, e.Field+":"+e.Code)
	}
	return strings.Join(out, ",")
}

// TestValidateChina: names and codes are filled in from each other and must agree; each level
// must be inside the one above; a municipality's city may be left out.
func TestValidateChina(t *testing.T) {
	tree, _ := address.China()
	base := address.Address{Name: "张三", Phone: "13800138000", Detail: "文三路100号"}
	with := func(f func(*address.Address)) address.Address { a := base; f(&a); return a }
	cases := []struct {
		name string
		in   address.Address
		errs string
		want func(address.Address) bool
	}{
		{"names only, short forms", with(func(a *address.Address) { a.Province, a.City, a.District = "浙江", "杭州", "西湖区" }), "",
			func(a address.Address) bool {
				return a.ProvinceCode == "33" && a.CityCode == "3301" && a.DistrictCode == "330106" && a.Province == "浙江省" && a.Phone == "+8613800138000"
			}},
		{"codes only", with(func(a *address.Address) { a.ProvinceCode, a.CityCode, a.DistrictCode = "44", "4403", "440305" }), "",
			func(a address.Address) bool { return a.District == "南山区" && a.City == "深圳市" }},
		{"municipality without its city", with(func(a *address.Address) { a.Province, a.District = "上海市", "浦东新区" }), "",
			func(a address.Address) bool { return a.CityCode == "3101" && a.DistrictCode == "310115" }},
		{"district in another city", with(func(a *address.Address) { a.Province, a.City, a.District = "浙江省", "宁波市", "西湖区" }), "district:not_in_parent", nil},
		{"code and name disagree", with(func(a *address.Address) { a.ProvinceCode, a.Province = "33", "江苏省" }), "province:mismatch", nil},
		{"unknown code", with(func(a *address.Address) { a.ProvinceCode = "99" }), "provinceCode:unknown", nil},
		{"city code not in the province", with(func(a *address.Address) { a.ProvinceCode, a.CityCode = "33", "3201" }), "city:not_in_parent", nil},
		{"district missing", with(func(a *address.Address) { a.Province, a.City = "浙江省", "杭州市" }), "district:required", nil},
		{"nothing", address.Address{}, "name:required,detail:required,phone:required,province:required", nil},
		{"bad phone and postal code", with(func(a *address.Address) {
			a.Province, a.City, a.District, a.Phone, a.PostalCode = "浙江", "杭州", "西湖区", "12345", "3100"
		}),
			"phone:invalid,postalCode:invalid", nil},
		{"full-width digits", with(func(a *address.Address) {
			a.Province, a.City, a.District, a.Phone, a.PostalCode = "浙江", "杭州", "西湖区", "１３８００１３８０００", "３１００００"
		}), "", func(a address.Address) bool { return a.Phone == "+8613800138000" && a.PostalCode == "310000" }},
		{"too long", with(func(a *address.Address) { a.Detail = strings.Repeat("路", 201) }), "detail:too_long", nil},
	}
	for _, c := range cases {
		got, errs := tree.Validate(c.in)
		if fields(errs) != c.errs || (c.want != nil && !c.want(got)) {
			t.Errorf("%s: errors %q (want %q), got %+v", c.name, fields(errs), c.errs, got)
		}
	}
}

// TestValidateInternational: each country's required fields, postal code pattern and phone
// numbering, and its way of writing an address.
func TestValidateInternational(t *testing.T) {
	tree, _ := address.China()
	cases := []struct {
		country, phone, postal, province, city string
		badPostal                              string
		lines                                  string
	}{
		{"US", "+1 650-253-0000", "94043", "CA", "Mountain View", "9404", "Jane Doe|1600 Amphitheatre Pkwy|MOUNTAIN VIEW, CA 94043|UNITED STATES"},
		{"CA", "+1 416-555-0123", "M5V 2T6", "ON", "Toronto", "12345", "Jane Doe|1600 Amphitheatre Pkwy|TORONTO ON M5V 2T6|CANADA"},
		{"GB", "+44 20 7946 0018", "EC1Y 8SY", "", "London", "12345", "Jane Doe|1600 Amphitheatre Pkwy|LONDON|EC1Y 8SY|UNITED KINGDOM"},
		{"DE", "+49 30 901820", "10117", "", "Berlin", "1011", "Jane Doe|1600 Amphitheatre Pkwy|10117 Berlin|GERMANY"},
		{"FR", "+33 1 42 68 53 00", "75008", "", "Paris", "7500", "Jane Doe|1600 Amphitheatre Pkwy|75008 PARIS|FRANCE"},
		{"IT", "+39 06 6982", "00120", "RM", "Roma", "0012", "Jane Doe|1600 Amphitheatre Pkwy|00120 ROMA RM|ITALY"},
		{"ES", "+34 915 21 22 33", "28013", "Madrid", "Madrid", "2801", "Jane Doe|1600 Amphitheatre Pkwy|28013 MADRID MADRID|SPAIN"},
		{"NL", "+31 20 123 4567", "1012 AB", "", "Amsterdam", "1012", "Jane Doe|1600 Amphitheatre Pkwy|1012 AB Amsterdam|NETHERLANDS"},
		{"JP", "+81 3-1234-5678", "100-0001", "Tokyo-to", "Chiyoda-ku", "1000", "〒100-0001|Tokyo-toChiyoda-ku|1600 Amphitheatre Pkwy|Jane Doe|JAPAN"},
		{"KR", "+82 2-312-3456", "03051", "Seoul", "Jongno-gu", "0305", "Seoul Jongno-gu|1600 Amphitheatre Pkwy|03051|Jane Doe|SOUTH KOREA"},
		{"SG", "+65 6123 4567", "546080", "", "Singapore", "54608", "Jane Doe|1600 Amphitheatre Pkwy|SINGAPORE 546080|SINGAPORE"},
		{"AU", "+61 2 9374 4000", "2000", "NSW", "Sydney", "200", "Jane Doe|1600 Amphitheatre Pkwy|SYDNEY NSW 2000|AUSTRALIA"},
		{"NZ", "+64 9 377 0000", "1010", "", "Auckland", "101", "Jane Doe|1600 Amphitheatre Pkwy|Auckland 1010|NEW ZEALAND"},
		{"IN", "+91 11 2301 2345", "110001", "Delhi", "New Delhi", "11000", "Jane Doe|1600 Amphitheatre Pkwy|New Delhi 110001|Delhi|INDIA"},
		{"BR", "+55 11 3456-7890", "01310-100", "SP", "São Paulo", "0131", "Jane Doe|1600 Amphitheatre Pkwy|SÃO PAULO-SP|01310-100|BRAZIL"},
		{"MX", "+52 55 1234 5678", "06500", "CDMX", "Ciudad de México", "0650", "Jane Doe|1600 Amphitheatre Pkwy|06500 CIUDAD DE MÉXICO, CDMX|MEXICO"},
		{"RU", "+7 495 123-45-67", "101000", "Moskva", "Moskva", "10100", "Jane Doe|1600 Amphitheatre Pkwy|MOSKVA|MOSKVA|101000|RUSSIA"},
		{"MY", "+60 3-2123 4567", "50450", "Kuala Lumpur", "Kuala Lumpur", "5045", "Jane Doe|1600 Amphitheatre Pkwy|50450 KUALA LUMPUR|KUALA LUMPUR|MALAYSIA"},
		{"TH", "+66 2 123 4567", "10330", "Bangkok", "Pathum Wan", "1033", "Jane Doe|1600 Amphitheatre Pkwy|Pathum Wan|BANGKOK 10330|THAILAND"},
		{"TW", "+886 2 2345 6789", "110", "Taipei City", "Xinyi", "1", "110|Taipei CityXinyi|1600 Amphitheatre Pkwy|Jane Doe|TAIWAN"},
		{"HK", "+852 2123 4567", "", "Kowloon", "Tsim Sha Tsui", "", "KOWLOON|1600 Amphitheatre Pkwy|Jane Doe|HONG KONG"},
	}
	for _, c := range cases {
		a := address.Address{Country: strings.ToLower(c.country), Name: "Jane Doe", Phone: c.phone, Detail: "1600 Amphitheatre Pkwy",
			Province: c.province, City: c.city, PostalCode: c.postal}
		got, errs := tree.Validate(a)
		if len(errs) != 0 {
			t.Errorf("%s: %v", c.country, errs)
			continue
		}
		if !strings.HasPrefix(got.Phone, "+") || got.Country != c.country {
			t.Errorf("%s: normalised %+v", c.country, got)
		}
		if lines := strings.Join(address.Countries[c.country].Lines(got, "CN"), "|"); lines != c.lines {
			t.Errorf("%s: lines\n %q\nwant %q", c.country, lines, c.lines)
		}
		if c.badPostal != "" {
			a.PostalCode = c.badPostal
			if _, errs := tree.Validate(a); fields(errs) != "postalCode:invalid" {
				t.Errorf("%s: postal code %q gave %q", c.country, c.badPostal, fields(errs))
			}
		}
		// A number without its country code is read as the country's own: a Chinese mobile
		// written so is no number there. With +86 it is fine (a recipient abroad may keep theirs).
		a.PostalCode, a.Phone = c.postal, "138 0013 8000"
		if _, errs := tree.Validate(a); fields(errs) != "phone:invalid" {
			t.Errorf("%s: a Chinese mobile without +86 gave %q", c.country, fields(errs))
		}
		a.Phone = "+86 138 0013 8000"
		if got, errs := tree.Validate(a); len(errs) != 0 || got.Phone != "+8613800138000" {
			t.Errorf("%s: a Chinese mobile with +86 gave %q", c.country, fields(errs))
		}
	}
	if _, errs := tree.Validate(address.Address{Country: "US", Name: "J", Phone: "+16502530000", Detail: "1 Main St", City: "X"}); fields(errs) != "postalCode:required,province:required" {
		t.Errorf("US without state and ZIP: %q", fields(errs))
	}
	if _, errs := tree.Validate(address.Address{Country: "ZZ"}); fields(errs) != "country:unknown" {
		t.Errorf("unknown country: %q", fields(errs))
	}
}
