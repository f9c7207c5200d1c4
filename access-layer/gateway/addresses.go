package gateway

import (
	"context"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/cloudwego/hertz/pkg/app"

	"github.com/atriumtrade/atrium/capability/errkind"
	"github.com/atriumtrade/atrium/components/address"
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
