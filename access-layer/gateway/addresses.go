package gateway

import (
	"context"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/cloudwego/hertz/pkg/app"

	"github.com/atriumtrade/atrium/components/address"
	"github.com/atriumtrade/atrium/kernel/errkind"
)

type parseAddressRequest struct {
	// Text is the address as pasted: 张三 13800138000 浙江省杭州市西湖区文三路 100 号.
	Text string `json:"text" maxLen:"2000"`
}

type regionRefView struct {
	Code string `json:"code"`
	Name string `json:"name"`
}

type candidateView struct {
	Province regionRefView `json:"province"`
	City     regionRefView `json:"city"`
	District regionRefView `json:"district"`
}

// parsedAddressView is a pasted address split into a form's fields; a level not found is null.
type parsedAddressView struct {
	Name       string          `json:"name"`
	Phone      string          `json:"phone"`
	Province   *regionRefView  `json:"province"`
	City       *regionRefView  `json:"city"`
	District   *regionRefView  `json:"district"`
	Street     *regionRefView  `json:"street"`
	Detail     string          `json:"detail"`
	Confidence float64         `json:"confidence"`
	Ambiguous  []candidateView `json:"ambiguous"`
}

func refOf(r address.Region) *regionRefView {
	if r.Code == "" {
		return nil
	}
	return &regionRefView{Code: r.Code, Name: r.Name}
}

// addressRoutes turn pasted text into an address form's fields. Public, like the region tree: a
// buyer fills the address form before an order exists.
func (g *Gateway) addressRoutes(ch *channel) {
	g.add(route{Method: "POST", Path: ch.prefix + "/addresses/parse", Channel: ch,
		Summary: "Split a pasted Chinese address (name, phone, province/city/district/street with GB/T 2260 codes, detail) with a confidence; a district name that several cities have is listed as ambiguous",
		Request: parseAddressRequest{}, Response: parsedAddressView{}}, g.serve(ch, g.parseAddress(ch)))
	g.add(route{Method: "POST", Path: ch.prefix + "/addresses/validate", Channel: ch,
		Summary: "Check a structured address (China: GB/T 2260 names and codes, each level in the one above; elsewhere: ISO 3166 country, required fields, postal code pattern) and the phone per country; field-level errors and the address normalised",
		Request: addressFormView{}, Response: validatedAddressView{}}, g.serve(ch, g.validateAddress(ch)))
}

func (g *Gateway) parseAddress(ch *channel) call {
	return func(_ context.Context, c *app.RequestContext) (int, any, error) {
		var req parseAddressRequest
		if err := ch.decode(c.Request.Body(), &req); err != nil {
			return 0, nil, err
		}
		if n := utf8.RuneCountInString(req.Text); strings.TrimSpace(req.Text) == "" || n > address.MaxTextRunes {
			return 0, nil, errkind.WithDetail(address.ErrInvalidText, "text must be 1 to %d characters (got %d)", address.MaxTextRunes, n)
		}
		p := g.regionTree.Parse(req.Text)
		v := parsedAddressView{Name: p.Name, Phone: p.Phone, Province: refOf(p.Province), City: refOf(p.City), District: refOf(p.District),
			Street: refOf(p.Street), Detail: p.Detail, Confidence: float64(int(p.Confidence*100+0.5)) / 100, Ambiguous: []candidateView{}}
		for _, a := range p.Ambiguous {
			v.Ambiguous = append(v.Ambiguous, candidateView{Province: *refOf(a.Province), City: *refOf(a.City), District: *refOf(a.District)})
		}
		return http.StatusOK, v, nil
	}
}

// addressFormView is a structured address as forms send it and as validation returns it normalised.
type addressFormView struct {
	Country      string `json:"country"`
	Name         string `json:"name"`
	Phone        string `json:"phone"`
	Province     string `json:"province"`
	City         string `json:"city"`
	District     string `json:"district"`
	Street       string `json:"street"`
	ProvinceCode string `json:"provinceCode"`
	CityCode     string `json:"cityCode"`
	DistrictCode string `json:"districtCode"`
	StreetCode   string `json:"streetCode"`
	Detail       string `json:"detail" maxLen:"800"`
	PostalCode   string `json:"postalCode"`
}

type fieldErrorView struct {
	Field   string `json:"field"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

// validatedAddressView answers a validation: whether the address is deliverable as written,
// what is wrong field by field, and the address normalised (names and codes filled in from each
// other, phone in E.164) with its lines as the destination country writes them.
type validatedAddressView struct {
	Valid   bool             `json:"valid"`
	Errors  []fieldErrorView `json:"errors"`
	Address addressFormView  `json:"address"`
	Lines   []string         `json:"lines"`
}

func (v addressFormView) address() address.Address {
	return address.Address{Country: v.Country, Name: v.Name, Phone: v.Phone, Province: v.Province, City: v.City, District: v.District,
		Street: v.Street, ProvinceCode: v.ProvinceCode, CityCode: v.CityCode, DistrictCode: v.DistrictCode, StreetCode: v.StreetCode,
		Detail: v.Detail, PostalCode: v.PostalCode}
}

func viewOfAddressForm(a address.Address) addressFormView {
	return addressFormView{Country: a.Country, Name: a.Name, Phone: a.Phone, Province: a.Province, City: a.City, District: a.District,
		Street: a.Street, ProvinceCode: a.ProvinceCode, CityCode: a.CityCode, DistrictCode: a.DistrictCode, StreetCode: a.StreetCode,
		Detail: a.Detail, PostalCode: a.PostalCode}
}

func (g *Gateway) validateAddress(ch *channel) call {
	return func(_ context.Context, c *app.RequestContext) (int, any, error) {
		var in addressFormView
		if err := ch.decode(c.Request.Body(), &in); err != nil {
			return 0, nil, err
		}
		norm, errs := g.regionTree.Validate(in.address())
		v := validatedAddressView{Valid: len(errs) == 0, Errors: []fieldErrorView{}, Address: viewOfAddressForm(norm), Lines: []string{}}
		for _, e := range errs {
			v.Errors = append(v.Errors, fieldErrorView{Field: ch.key(e.Field), Code: e.Code, Message: e.Message})
		}
		if v.Valid {
			v.Lines = address.Countries[norm.Country].Lines(norm, "")
		}
		return http.StatusOK, v, nil
	}
}
