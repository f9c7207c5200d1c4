package gateway

import (
	"context"
	"net/http"
	"strconv"

	"github.com/cloudwego/hertz/pkg/app"

	"github.com/atriumtrade/atrium/kernel/errkind"
	"github.com/atriumtrade/atrium/kitex_gen/trade"
)

type auctionStepRequest struct {
	From int64 `json:"from"`
	Step int64 `json:"step"`
}

// auctionRequest is an operator's auction: money in minor units, times in unix ms.
type auctionRequest struct {
	SkuID            string               `json:"skuId"`
	Title            string               `json:"title" maxLen:"800"`
	Currency         string               `json:"currency"`
	StartPrice       int64                `json:"startPrice"`
	Increments       []auctionStepRequest `json:"increments"`
	ReservePrice     int64                `json:"reservePrice"`
	Deposit          int64                `json:"deposit"`
	StartsAt         int64                `json:"startsAt"`
	EndsAt           int64                `json:"endsAt"`
	AntiSnipeSeconds int64                `json:"antiSnipeSeconds"`
	ExtendSeconds    int64                `json:"extendSeconds"`
	MaxExtensions    int32                `json:"maxExtensions"`
	PayWindowSeconds int64                `json:"payWindowSeconds"`
}

// depositRequest pays an auction's deposit; address is where the unit goes if the buyer wins.
type depositRequest struct {
	Method  string       `json:"method"`
	Address *addressView `json:"address"`
}

// bidRequest is a bid by hand (amount) or a proxy's maximum (maxAmount), in the auction's
// currency (currency, optional, must be it).
type bidRequest struct {
	Amount    MoneyInput `json:"amount"`
	MaxAmount MoneyInput `json:"maxAmount"`
	Currency  string     `json:"currency,omitempty"`
}

type auctionStepView struct {
	From Money `json:"from"`
	Step Money `json:"step"`
}

type auctionDepositView struct {
	DepositID string `json:"depositId"`
	Bidder    string `json:"bidder,omitempty"`
	Amount    Money  `json:"amount"`
	Status    string `json:"status"`
	PaymentID string `json:"paymentId,omitempty"`
	UpdatedAt string `json:"updatedAt"`
}

type auctionSaleView struct {
	TradeID      string `json:"tradeId"`
	Bidder       string `json:"bidder"`
	Price        Money  `json:"price"`
	Credit       Money  `json:"credit"`
	SecondChance bool   `json:"secondChance"`
	CreatedAt    string `json:"createdAt"`
	// Outcome is how a sale that did not go ahead ended: forfeited (the winner did not pay, or
	// cancelled) or released (an operator cancelled it and refunded the deposit).
	Outcome string `json:"outcome,omitempty"`
	EndedAt string `json:"endedAt,omitempty"`
}

type auctionView struct {
	AuctionID  string            `json:"auctionId"`
	SkuID      string            `json:"skuId"`
	Title      string            `json:"title"`
	Status     string            `json:"status"`
	Currency   string            `json:"currency"`
	StartPrice Money             `json:"startPrice"`
	Increments []auctionStepView `json:"increments"`
	// ReservePrice, Leader, Deposits and Sales are shown to operators only.
	ReservePrice *Money `json:"reservePrice,omitempty"`
	Deposit      Money  `json:"deposit"`
	StartsAt     string `json:"startsAt"`
	// EndsAt is the close after anti-sniping extensions; ScheduledEndsAt the one set.
	EndsAt           string               `json:"endsAt"`
	ScheduledEndsAt  string               `json:"scheduledEndsAt"`
	AntiSnipeSeconds int64                `json:"antiSnipeSeconds"`
	ExtendSeconds    int64                `json:"extendSeconds"`
	MaxExtensions    int32                `json:"maxExtensions"`
	Extensions       int32                `json:"extensions"`
	PayWindowSeconds int64                `json:"payWindowSeconds"`
	CurrentPrice     Money                `json:"currentPrice"`
	MinNextBid       Money                `json:"minNextBid"`
	BidCount         int64                `json:"bidCount"`
	ReserveMet       bool                 `json:"reserveMet"`
	Leading          bool                 `json:"leading"`
	MyDeposit        *auctionDepositView  `json:"myDeposit,omitempty"`
	Leader           string               `json:"leader,omitempty"`
	Deposits         []auctionDepositView `json:"deposits,omitempty"`
	Sales            []auctionSaleView    `json:"sales,omitempty"`
}

type depositView struct {
	Deposit auctionDepositView `json:"deposit"`
	Payment *paymentView       `json:"payment,omitempty"`
}

type bidView struct {
	Accepted     bool  `json:"accepted"`
	CurrentPrice Money `json:"currentPrice"`
	Leading      bool  `json:"leading"`
	MinNextBid   Money `json:"minNextBid"`
}

type auctionBidView struct {
	Seq    int64  `json:"seq"`
	Bidder string `json:"bidder"`
	Amount Money  `json:"amount"`
	Proxy  bool   `json:"proxy"`
	At     string `json:"at"`
	Mine   bool   `json:"mine"`
}

type auctionBidsView struct {
	Bids []auctionBidView `json:"bids"`
}

func (g *Gateway) auctionBuyerRoutes(ch *channel) {
	p := ch.prefix
	g.add(route{Method: "GET", Path: p + "/auctions/:auctionId", Channel: ch, Auth: true,
		Summary:  "An auction: status, current price, the next acceptable bid, its close after extensions, whether the reserve is met, whether I lead, my deposit",
		Response: auctionView{}}, g.serve(ch, g.getAuction))
	g.add(route{Method: "POST", Path: p + "/auctions/:auctionId/deposit", Channel: ch, Auth: true, Idempotent: true, Status: http.StatusCreated,
		Summary: "Pay an auction's deposit (a payment with purpose deposit), giving where the unit goes if I win",
		Request: depositRequest{}, Response: depositView{}}, g.serve(ch, g.payDeposit(ch)))
	g.add(route{Method: "POST", Path: p + "/auctions/:auctionId/bids", Channel: ch, Auth: true, Idempotent: true,
		Summary: "Bid: an amount, or a proxy's maxAmount the platform bids up to one step at a time",
		Request: bidRequest{}, Response: bidView{}}, g.serve(ch, g.placeBid(ch)))
	g.add(route{Method: "GET", Path: p + "/auctions/:auctionId/bids", Channel: ch, Auth: true,
		Summary: "The accepted bids, newest first, other bidders masked (?before=seq&limit=)", Response: auctionBidsView{}}, g.serve(ch, g.listBids))
}

func (g *Gateway) auctionAdminRoutes(ch *channel) {
	p := ch.prefix
	g.add(route{Method: "PUT", Path: p + "/auctions/:auctionId", Channel: ch, Auth: true,
		Summary: "Put one unit of a SKU up for auction (held from stock while it runs), or change its terms before anyone bids",
		Request: auctionRequest{}, Response: auctionView{}}, g.serve(ch, g.putAuction(ch)))
	g.add(route{Method: "GET", Path: p + "/auctions/:auctionId", Channel: ch, Auth: true,
		Summary: "An auction with its reserve, leader, deposits and sales", Response: auctionView{}}, g.serve(ch, g.getAuctionAdmin))
	g.add(route{Method: "GET", Path: p + "/auctions", Channel: ch, Auth: true,
		Summary: "The tenant's auctions, the latest to open first, each with its status now, reserve and leader",
		Query: append([]queryParam{
			{Name: "sku", Description: "only this SKU's auctions"},
			{Name: "status", Description: "only those in this status now: scheduled, running, ended, sold, unsold or cancelled"},
		}, pageParams...), Response: auctionPageView{}}, g.serve(ch, g.listAuctions))
	g.add(route{Method: "GET", Path: p + "/auctions/:auctionId/bids", Channel: ch, Auth: true,
		Summary: "The accepted bids, newest first, with their bidders (?before=seq&limit=)", Response: auctionBidsView{}}, g.serve(ch, g.listBids))
	g.add(route{Method: "POST", Path: p + "/auctions/:auctionId/cancel", Channel: ch, Auth: true,
		Summary: "Call an auction off before it is settled: every deposit is refunded, the unit goes back to stock", Response: auctionView{}},
		g.serve(ch, g.cancelAuction))
	g.add(route{Method: "POST", Path: p + "/auctions/:auctionId/decide", Channel: ch, Auth: true,
		Summary: "Settle an ended auction its business's rule left for review: sell (to the leader, at the price) or unsold",
		Request: decideRequest{}, Response: auctionView{}}, g.serve(ch, g.decideAuction(ch)))
	g.add(route{Method: "POST", Path: p + "/auctions/:auctionId/second-chance", Channel: ch, Auth: true,
		Summary: "Offer the unit of a sale its winner did not pay to the runner-up, at their last bid", Response: tradeView{}},
		g.serve(ch, g.secondChance))
}

func (g *Gateway) getAuction(ctx context.Context, c *app.RequestContext) (int, any, error) {
	resp, err := g.rpc.Auctions.GetAuction(ctx, &trade.AuctionRef{Caller: callerOf(c), AuctionId: c.Param("auctionId")})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, auctionOf(resp), nil
}

// auctionPageView is a page of the tenant's auctions.
type auctionPageView struct {
	Items      []auctionView `json:"items"`
	NextCursor string        `json:"nextCursor,omitempty"`
}

func (g *Gateway) listAuctions(ctx context.Context, c *app.RequestContext) (int, any, error) {
	limit, err := pageLimit(c)
	if err != nil {
		return 0, nil, err
	}
	resp, err := g.rpc.AuctionAdmin.ListAuctions(ctx, &trade.ListAuctionsRequest{Caller: callerOf(c), SkuId: c.Query("sku"), Status: c.Query("status"),
		Limit: int32(limit), Cursor: c.Query("cursor")})
	if err != nil {
		return 0, nil, err
	}
	page := auctionPageView{Items: []auctionView{}, NextCursor: resp.NextCursor}
	for _, d := range resp.Auctions {
		page.Items = append(page.Items, auctionOf(d))
	}
	return http.StatusOK, page, nil
}

func (g *Gateway) getAuctionAdmin(ctx context.Context, c *app.RequestContext) (int, any, error) {
	resp, err := g.rpc.AuctionAdmin.GetAuctionAdmin(ctx, &trade.AuctionRef{Caller: callerOf(c), AuctionId: c.Param("auctionId")})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, auctionOf(resp), nil
}

func (g *Gateway) payDeposit(ch *channel) call {
	return func(ctx context.Context, c *app.RequestContext) (int, any, error) {
		key, err := idempotencyKey(c)
		if err != nil {
			return 0, nil, err
		}
		var req depositRequest
		if err := ch.decode(c.Request.Body(), &req); err != nil {
			return 0, nil, err
		}
		r := &trade.PayDepositRequest{Caller: callerOf(c), AuctionId: c.Param("auctionId"), Method: req.Method, IdempotencyKey: key}
		if req.Address != nil {
			r.Address = req.Address.rpc()
		}
		resp, err := g.rpc.Auctions.PayDeposit(ctx, r)
		if err != nil {
			return 0, nil, err
		}
		v := depositView{Deposit: depositOf(resp.Deposit)}
		if resp.Payment != nil {
			p := paymentOf(resp.Payment)
			v.Payment = &p
		}
		return http.StatusCreated, v, nil
	}
}

func (g *Gateway) placeBid(ch *channel) call {
	return func(ctx context.Context, c *app.RequestContext) (int, any, error) {
		key, err := idempotencyKey(c)
		if err != nil {
			return 0, nil, err
		}
		var req bidRequest
		if err := ch.decode(c.Request.Body(), &req); err != nil {
			return 0, nil, err
		}
		if req.Amount.Set() == req.MaxAmount.Set() {
			return 0, nil, errkind.Invalidf("give amount (a bid) or maxAmount (a proxy's maximum)")
		}
		r := &trade.PlaceBidRequest{Caller: callerOf(c), AuctionId: c.Param("auctionId"), IdempotencyKey: key, Currency: req.Currency}
		field, in, to := "amount", req.Amount, &r.Amount
		if req.MaxAmount.Set() {
			field, in, to = "maxAmount", req.MaxAmount, &r.MaxAmount
		}
		amt, err := ch.parseMoney(field, in, req.Currency)
		if err != nil {
			return 0, nil, err
		}
		*to = amt.Minor()
		if r.Currency == "" {
			r.Currency = amt.Currency().Code()
		}
		resp, err := g.rpc.Auctions.PlaceBid(ctx, r)
		if err != nil {
			return 0, nil, err
		}
		return http.StatusOK, bidView{Accepted: resp.Accepted, CurrentPrice: moneyOf(resp.CurrentPrice), Leading: resp.Leading,
			MinNextBid: moneyOf(resp.MinNextBid)}, nil
	}
}

func (g *Gateway) listBids(ctx context.Context, c *app.RequestContext) (int, any, error) {
	r := &trade.ListBidsRequest{Caller: callerOf(c), AuctionId: c.Param("auctionId"), Limit: 50}
	if s := string(c.Query("limit")); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 200 {
			return 0, nil, errkind.Invalidf("limit must be an integer between 1 and 200")
		}
		r.Limit = int32(n)
	}
	if s := string(c.Query("before")); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 1 {
			return 0, nil, errkind.Invalidf("before must be a bid's seq")
		}
		r.Before = n
	}
	resp, err := g.rpc.Auctions.ListBids(ctx, r)
	if err != nil {
		return 0, nil, err
	}
	v := auctionBidsView{Bids: []auctionBidView{}}
	for _, b := range resp.Bids {
		v.Bids = append(v.Bids, auctionBidView{Seq: b.Seq, Bidder: b.Bidder, Amount: moneyOf(b.Amount), Proxy: b.Proxy, At: timeOf(b.At), Mine: b.Mine})
	}
	return http.StatusOK, v, nil
}

func (g *Gateway) putAuction(ch *channel) call {
	return func(ctx context.Context, c *app.RequestContext) (int, any, error) {
		var req auctionRequest
		if err := ch.decode(c.Request.Body(), &req); err != nil {
			return 0, nil, err
		}
		t := &trade.AuctionTerms{AuctionId: c.Param("auctionId"), SkuId: req.SkuID, Title: req.Title, Currency: req.Currency,
			StartPrice: req.StartPrice, ReservePrice: req.ReservePrice, Deposit: req.Deposit, StartsAt: req.StartsAt, EndsAt: req.EndsAt,
			AntiSnipeSeconds: req.AntiSnipeSeconds, ExtendSeconds: req.ExtendSeconds, MaxExtensions: req.MaxExtensions,
			PayWindowSeconds: req.PayWindowSeconds}
		for _, s := range req.Increments {
			t.Increments = append(t.Increments, &trade.AuctionStep{From: s.From, Step: s.Step})
		}
		resp, err := g.rpc.AuctionAdmin.PutAuction(ctx, &trade.PutAuctionRequest{Caller: callerOf(c), Terms: t})
		if err != nil {
			return 0, nil, err
		}
		return http.StatusOK, auctionOf(resp), nil
	}
}

// decideRequest is an operator's decision on an auction left for review.
type decideRequest struct {
	Decision string `json:"decision"`
}

func (g *Gateway) decideAuction(ch *channel) call {
	return func(ctx context.Context, c *app.RequestContext) (int, any, error) {
		var req decideRequest
		if err := ch.decode(c.Request.Body(), &req); err != nil {
			return 0, nil, err
		}
		resp, err := g.rpc.AuctionAdmin.DecideAuction(ctx, &trade.DecideAuctionRequest{Caller: callerOf(c), AuctionId: c.Param("auctionId"),
			Decision: req.Decision})
		if err != nil {
			return 0, nil, err
		}
		return http.StatusOK, auctionOf(resp), nil
	}
}

func (g *Gateway) cancelAuction(ctx context.Context, c *app.RequestContext) (int, any, error) {
	resp, err := g.rpc.AuctionAdmin.CancelAuction(ctx, &trade.AuctionRef{Caller: callerOf(c), AuctionId: c.Param("auctionId")})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, auctionOf(resp), nil
}

func (g *Gateway) secondChance(ctx context.Context, c *app.RequestContext) (int, any, error) {
	resp, err := g.rpc.AuctionAdmin.SecondChance(ctx, &trade.AuctionRef{Caller: callerOf(c), AuctionId: c.Param("auctionId")})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, tradeOf(resp), nil
}

func auctionOf(a *trade.Auction) auctionView {
	v := auctionView{AuctionID: a.AuctionId, SkuID: a.SkuId, Title: a.Title, Status: a.Status, Currency: a.GetStartPrice().GetCurrency(),
		StartPrice: moneyOf(a.StartPrice), Increments: []auctionStepView{}, Deposit: moneyOf(a.Deposit), StartsAt: timeOf(a.StartsAt),
		EndsAt: timeOf(a.EndsAt), ScheduledEndsAt: timeOf(a.ScheduledEndsAt), AntiSnipeSeconds: a.AntiSnipeSeconds, ExtendSeconds: a.ExtendSeconds,
		MaxExtensions: a.MaxExtensions, Extensions: a.Extensions, PayWindowSeconds: a.PayWindowSeconds, CurrentPrice: moneyOf(a.CurrentPrice),
		MinNextBid: moneyOf(a.MinNextBid), BidCount: a.BidCount, ReserveMet: a.ReserveMet, Leading: a.Leading, Leader: a.Leader}
	for _, s := range a.Increments {
		cur := a.GetStartPrice().GetCurrency()
		v.Increments = append(v.Increments, auctionStepView{From: Money{Minor: s.From, Currency: cur}, Step: Money{Minor: s.Step, Currency: cur}})
	}
	if a.ReservePrice != nil {
		m := moneyOf(a.ReservePrice)
		v.ReservePrice = &m
	}
	if a.MyDeposit != nil {
		d := depositOf(a.MyDeposit)
		v.MyDeposit = &d
	}
	for _, d := range a.Deposits {
		v.Deposits = append(v.Deposits, depositOf(d))
	}
	for _, s := range a.Sales {
		v.Sales = append(v.Sales, auctionSaleView{TradeID: s.TradeId, Bidder: s.Bidder, Price: moneyOf(s.Price), Credit: moneyOf(s.Credit),
			SecondChance: s.SecondChance, CreatedAt: timeOf(s.CreatedAt), Outcome: s.Outcome, EndedAt: timeOf(s.EndedAt)})
	}
	return v
}

func depositOf(d *trade.AuctionDeposit) auctionDepositView {
	return auctionDepositView{DepositID: d.DepositId, Bidder: d.Bidder, Amount: moneyOf(d.Amount), Status: d.Status, PaymentID: d.PaymentId,
		UpdatedAt: timeOf(d.UpdatedAt)}
}
