package auction

import (
	"context"

	auc "github.com/atriumtrade/atrium/capability/auction"

	"github.com/atriumtrade/atrium/extensions"
	"github.com/atriumtrade/atrium/kernel/identity"
)

// IncrementInput is the input of auction.bid_increment.
type IncrementInput struct {
	AuctionID  string     `json:"auctionId"`
	SKUID      string     `json:"skuId"`
	Currency   string     `json:"currency"`
	StartPrice int64      `json:"startPrice"`
	Current    int64      `json:"current"`
	Bids       int64      `json:"bids"`
	Increments []StepView `json:"increments"`
}

// StepView is one rung of a ladder in the point's input and output.
type StepView struct {
	From int64 `json:"from"`
	Step int64 `json:"step"`
}

// IncrementOutput is the ladder the business wants.
type IncrementOutput struct {
	Increments []StepView `json:"increments"`
}

// IncrementPoint lets a business set its own ladder of increments (finer steps for cheap lots,
// coarser for a charity gala). The ladder is decided before the bid locks the auction, from the
// auction as it stood; a script that cannot run leaves the auction's own ladder.
var IncrementPoint = extensions.Declare(extensions.Spec[IncrementInput, IncrementOutput]{
	Name:   "auction.bid_increment",
	Doc:    "Set the ladder of bid increments ({from, step}, rising by from). Default: the auction's own ladder.",
	Policy: extensions.FallBack,
	Mode:   extensions.Override,
	Default: func(_ context.Context, in IncrementInput) (IncrementOutput, error) {
		return IncrementOutput{Increments: in.Increments}, nil
	},
	Check: func(in IncrementInput, out IncrementOutput) error {
		return ladderOf(out.Increments).Validate(in.StartPrice)
	},
})

func ladderOf(steps []StepView) auc.Ladder {
	l := make(auc.Ladder, len(steps))
	for i, s := range steps {
		l[i] = auc.Step{From: s.From, Step: s.Step}
	}
	return l
}

// ladder is the increments a bid on x is judged by: the business's, or the auction's own.
func (f *Flow) ladder(ctx context.Context, tenant string, x *auc.Auction, userID string) (auc.Ladder, error) {
	ident, err := identity.New(tenant, "", Scenario)
	if err != nil {
		return nil, err
	}
	in := IncrementInput{AuctionID: x.ID, SKUID: x.SKUID, Currency: x.Currency, StartPrice: x.StartPrice, Current: x.Current, Bids: x.Bids}
	for _, s := range x.Increments {
		in.Increments = append(in.Increments, StepView{From: s.From, Step: s.Step})
	}
	out, err := IncrementPoint.Run(ctx, f.d.Ext, extensions.Call{Identity: ident, UserID: userID}, in)
	if err != nil {
		return nil, err
	}
	return ladderOf(out.Increments), nil
}
