package discount

import (
	"context"
	"math"
	"time"

	"github.com/atriumtrade/atrium/extensions"
	"github.com/atriumtrade/atrium/kernel/errkind"
)

// MaxScriptPromotions bounds what one script adds to a cart.
const MaxScriptPromotions = 20

// PointLine is a cart line in the discount.promotions input.
type PointLine struct {
	SKUID      string   `json:"skuId"`
	SellerID   string   `json:"sellerId"`
	Categories []string `json:"categories"`
	Quantity   int64    `json:"quantity"`
	UnitPrice  int64    `json:"unitPrice"`
	Total      int64    `json:"total"`
}

// Buyer is who the cart belongs to, as the point sees them.
type Buyer struct {
	UserID      string `json:"userId"`
	MemberLevel string `json:"memberLevel,omitempty"`
	Channel     string `json:"channel,omitempty"`
}

// PointInput is the input of discount.promotions: the cart, the buyer, the coupons presented and
// the platform's candidate promotions (already filtered to those running now).
type PointInput struct {
	At         int64       `json:"at"`
	Currency   string      `json:"currency"`
	Buyer      Buyer       `json:"buyer"`
	Coupons    []string    `json:"coupons"`
	Lines      []PointLine `json:"lines"`
	Promotions []Promotion `json:"promotions"`
}

// PointOutput is declarative, like Shopify's discount functions: promotion ids to veto, and
// promotions to add for this cart. Added promotions follow the same rules and stacking as stored
// ones; they cannot spend a campaign's budget or need a coupon.
type PointOutput struct {
	Veto []string    `json:"veto,omitempty"`
	Add  []Promotion `json:"add,omitempty"`
}

// PromotionsPoint lets a business add or veto discounts per cart. If a script fails, the
// platform's promotions apply unchanged (and the expectedTotal guard catches a buyer who was
// shown another total).
var PromotionsPoint = extensions.Declare(extensions.Spec[PointInput, PointOutput]{
	Name:   "discount.promotions",
	Doc:    "Add promotions to a cart or veto candidate ones (declarative). Default: the platform's promotions unchanged.",
	Policy: extensions.FallBack,
	Mode:   extensions.Override,
	Default: func(context.Context, PointInput) (PointOutput, error) {
		return PointOutput{}, nil
	},
	Check: checkPointOutput,
	Money: discountOf,
})

// discountOf is what a cart's buyer pays less by the promotions out keeps and adds (negative:
// the point's money is what it adds to the price). A call's input does not carry coupons or
// campaign budgets, so coupon-only promotions count as not presented and budgets as unbounded:
// the figure compares versions, it does not restate the order.
func discountOf(in PointInput, out PointOutput) int64 {
	vetoed := map[string]bool{}
	for _, id := range out.Veto {
		vetoed[id] = true
	}
	ap := Input{At: time.UnixMilli(in.At), Currency: in.Currency, Lines: make([]Line, len(in.Lines)), Budgets: map[string]int64{}}
	for i, l := range in.Lines {
		ap.Lines[i] = Line{SKUID: l.SKUID, SellerID: l.SellerID, Categories: l.Categories, Quantity: l.Quantity, UnitPrice: l.UnitPrice, Total: l.Total}
	}
	for _, p := range in.Promotions {
		if !vetoed[p.ID] {
			ap.Promotions = append(ap.Promotions, p)
		}
	}
	ap.Promotions = append(ap.Promotions, out.Add...)
	for _, p := range ap.Promotions {
		if p.CampaignID != "" {
			ap.Budgets[p.CampaignID] = math.MaxInt64 / 4
		}
	}
	res, err := Apply(ap)
	if err != nil {
		return 0
	}
	return -res.Total
}

func checkPointOutput(in PointInput, out PointOutput) error {
	known := map[string]bool{}
	for _, p := range in.Promotions {
		known[p.ID] = true
	}
	for _, id := range out.Veto {
		if !known[id] {
			return errkind.Invalidf("veto names %q, which is not a candidate promotion", id)
		}
	}
	if len(out.Add) > MaxScriptPromotions {
		return errkind.Invalidf("at most %d added promotions", MaxScriptPromotions)
	}
	for i, p := range out.Add {
		if err := p.Validate(); err != nil {
			_, msg := errkind.Describe(err)
			return errkind.Invalidf("add[%d]: %s", i, msg)
		}
		switch {
		case known[p.ID]:
			return errkind.Invalidf("add[%d]: id %q is already used", i, p.ID)
		case p.Currency != in.Currency:
			return errkind.Invalidf("add[%d]: currency must be the cart's (%s)", i, in.Currency)
		case p.CampaignID != "" || p.CouponOnly:
			return errkind.Invalidf("add[%d]: a script's promotion cannot spend a campaign budget or need a coupon", i)
		}
		known[p.ID] = true
	}
	return nil
}

// Compute runs discount.promotions for the cart and then Apply. rt may be nil (no scripts).
func Compute(ctx context.Context, rt extensions.Runtime, call extensions.Call, buyer Buyer, couponCodes []string, in Input) (Result, error) {
	pin := PointInput{At: in.At.UnixMilli(), Currency: in.Currency, Buyer: buyer, Coupons: couponCodes,
		Lines: make([]PointLine, len(in.Lines))}
	if pin.Coupons == nil {
		pin.Coupons = []string{}
	}
	for i, l := range in.Lines {
		cats := l.Categories
		if cats == nil {
			cats = []string{}
		}
		pin.Lines[i] = PointLine{SKUID: l.SKUID, SellerID: l.SellerID, Categories: cats, Quantity: l.Quantity,
			UnitPrice: l.UnitPrice, Total: l.Total}
	}
	pin.Promotions = running(in.Promotions, in.At)
	out, err := PromotionsPoint.Run(ctx, rt, call, pin)
	if err != nil {
		return Result{}, err
	}
	if len(out.Veto) > 0 || len(out.Add) > 0 {
		vetoed := map[string]bool{}
		for _, id := range out.Veto {
			vetoed[id] = true
		}
		kept := make([]Promotion, 0, len(in.Promotions)+len(out.Add))
		for _, p := range in.Promotions {
			if !vetoed[p.ID] {
				kept = append(kept, p)
			}
		}
		in.Promotions = append(kept, out.Add...)
	}
	return Apply(in)
}

func running(ps []Promotion, at time.Time) []Promotion {
	out := []Promotion{}
	for _, p := range ps {
		if p.Active(at) {
			out = append(out, p)
		}
	}
	return out
}
