package tradesvc

import (
	"context"
	"time"

	auc "github.com/atriumtrade/atrium/capability/auction"
	"github.com/atriumtrade/atrium/kernel/errkind"
	"github.com/atriumtrade/atrium/kernel/money"
	"github.com/atriumtrade/atrium/kitex_gen/trade"
	"github.com/atriumtrade/atrium/product-layer/auction"
	tradecore "github.com/atriumtrade/atrium/product-layer/trade"
)

var (
	_ trade.Auctions     = (*Auctions)(nil)
	_ trade.AuctionAdmin = (*AuctionAdmin)(nil)
)

// GetAuction implements its service: the auction as a buyer sees it (no reserve, no other
// bidder's maximum).
func (h *Auctions) GetAuction(ctx context.Context, req *trade.AuctionRef) (*trade.Auction, error) {
	cl, err := asBuyer(req.Caller)
	if err != nil {
		return nil, err
	}
	v, err := h.auctions.View(ctx, cl.tenant, cl.actor(), req.AuctionId)
	if err != nil {
		return nil, err
	}
	return auctionDTO(v, false), nil
}

// PayDeposit implements its service.
func (h *Auctions) PayDeposit(ctx context.Context, req *trade.PayDepositRequest) (*trade.PayDepositResponse, error) {
	cl, err := asBuyer(req.Caller)
	if err != nil {
		return nil, err
	}
	if req.Address == nil {
		return nil, errkind.Invalidf("address is required: it is where the unit goes if you win")
	}
	d, p, err := h.auctions.PayDeposit(ctx, auction.DepositRequest{Tenant: cl.tenant, Actor: cl.actor(), AuctionID: req.AuctionId,
		Method: req.Method, ShipTo: addressFrom(req.Address), IdempotencyKey: req.IdempotencyKey})
	if err != nil {
		return nil, err
	}
	resp := &trade.PayDepositResponse{Deposit: depositDTO(*d)}
	if p != nil {
		resp.Payment = paymentDTO(p)
	}
	return resp, nil
}

// PlaceBid implements its service.
func (h *Auctions) PlaceBid(ctx context.Context, req *trade.PlaceBidRequest) (*trade.PlaceBidResponse, error) {
	cl, err := asBuyer(req.Caller)
	if err != nil {
		return nil, err
	}
	r, err := h.auctions.Bid(ctx, auction.BidRequest{Tenant: cl.tenant, Actor: cl.actor(), AuctionID: req.AuctionId, Amount: req.Amount,
		Max: req.MaxAmount, Currency: req.Currency, IdempotencyKey: req.IdempotencyKey})
	if err != nil {
		return nil, err
	}
	cur := money.MustCurrency(r.Currency)
	return &trade.PlaceBidResponse{Accepted: r.Accepted, CurrentPrice: moneyDTO(money.New(r.Current, cur)), Leading: r.Leading,
		MinNextBid: moneyDTO(money.New(r.MinNext, cur))}, nil
}

// ListBids implements its service: newest first, each bidder masked but the caller.
func (h *Auctions) ListBids(ctx context.Context, req *trade.ListBidsRequest) (*trade.ListBidsResponse, error) {
	cl, err := parseCaller(req.Caller)
	if err != nil {
		return nil, err
	}
	x, es, err := h.auctions.History(ctx, cl.tenant, req.AuctionId, req.Before, int(req.Limit))
	if err != nil {
		return nil, err
	}
	cur := money.MustCurrency(x.Currency)
	resp := &trade.ListBidsResponse{Bids: []*trade.AuctionBid{}}
	for _, e := range es {
		mine := cl.role == RoleBuyer && e.Bidder == cl.userID
		bidder := e.Bidder
		if cl.role != RoleAdmin && !mine {
			bidder = mask(bidder)
		}
		resp.Bids = append(resp.Bids, &trade.AuctionBid{Seq: e.Seq, Bidder: bidder, Amount: moneyDTO(money.New(e.Amount, cur)), Proxy: e.Proxy,
			At: millis(e.At), Mine: mine})
	}
	return resp, nil
}

// mask shows a bidder to other buyers as their first character and stars.
func mask(user string) string {
	r := []rune(user)
	if len(r) == 0 {
		return "***"
	}
	return string(r[0]) + "***"
}

// PutAuction implements its service.
func (h *AuctionAdmin) PutAuction(ctx context.Context, req *trade.PutAuctionRequest) (*trade.Auction, error) {
	cl, err := asAdmin(req.Caller)
	if err != nil {
		return nil, err
	}
	d := req.Terms
	if d == nil {
		return nil, errkind.WithDetail(auc.ErrInvalidAuction, "terms are required")
	}
	seconds := func(what string, n int64) (time.Duration, error) {
		if n < 0 || n > 366*24*3600 {
			return 0, errkind.WithDetail(auc.ErrInvalidAuction, "%s must be between 0 and a year", what)
		}
		return time.Duration(n) * time.Second, nil
	}
	t := auc.Terms{ID: d.AuctionId, SKUID: d.SkuId, Title: d.Title, Currency: d.Currency, StartPrice: d.StartPrice, ReservePrice: d.ReservePrice,
		Deposit: d.Deposit, StartsAt: time.UnixMilli(d.StartsAt), EndsAt: time.UnixMilli(d.EndsAt), MaxExtensions: int(d.MaxExtensions)}
	for _, s := range d.Increments {
		if s == nil {
			return nil, errkind.WithDetail(auc.ErrInvalidAuction, "an increment is empty")
		}
		t.Increments = append(t.Increments, auc.Step{From: s.From, Step: s.Step})
	}
	for _, w := range []struct {
		what string
		n    int64
		to   *time.Duration
	}{{"antiSnipeSeconds", d.AntiSnipeSeconds, &t.AntiSnipe}, {"extendSeconds", d.ExtendSeconds, &t.Extend}, {"payWindowSeconds", d.PayWindowSeconds, &t.PayWindow}} {
		if *w.to, err = seconds(w.what, w.n); err != nil {
			return nil, err
		}
	}
	if _, err := h.auctions.Put(ctx, cl.tenant, cl.actor(), t); err != nil {
		return nil, err
	}
	return h.adminAuction(ctx, cl, d.AuctionId)
}

// GetAuctionAdmin implements its service.
func (h *AuctionAdmin) GetAuctionAdmin(ctx context.Context, req *trade.AuctionRef) (*trade.Auction, error) {
	cl, err := asAdmin(req.Caller)
	if err != nil {
		return nil, err
	}
	return h.adminAuction(ctx, cl, req.AuctionId)
}

// ListAuctions implements its service.
func (h *AuctionAdmin) ListAuctions(ctx context.Context, req *trade.ListAuctionsRequest) (*trade.ListAuctionsResponse, error) {
	cl, err := asAdmin(req.Caller)
	if err != nil {
		return nil, err
	}
	limit, err := tradecore.PageSize(int(req.Limit))
	if err != nil {
		return nil, err
	}
	vs, next, err := h.auctions.List(ctx, cl.tenant, auc.Filter{SKUID: req.SkuId, Status: auc.Status(req.Status)}, limit, req.Cursor)
	if err != nil {
		return nil, err
	}
	resp := &trade.ListAuctionsResponse{Auctions: []*trade.Auction{}, NextCursor: next}
	for _, v := range vs {
		resp.Auctions = append(resp.Auctions, auctionDTO(v, true))
	}
	return resp, nil
}

// CancelAuction implements its service.
func (h *AuctionAdmin) CancelAuction(ctx context.Context, req *trade.AuctionRef) (*trade.Auction, error) {
	cl, err := asAdmin(req.Caller)
	if err != nil {
		return nil, err
	}
	if _, err := h.auctions.Cancel(ctx, cl.tenant, cl.actor(), req.AuctionId); err != nil {
		return nil, err
	}
	return h.adminAuction(ctx, cl, req.AuctionId)
}

// SecondChance implements its service.
func (h *AuctionAdmin) SecondChance(ctx context.Context, req *trade.AuctionRef) (*trade.Trade, error) {
	cl, err := asAdmin(req.Caller)
	if err != nil {
		return nil, err
	}
	t, err := h.auctions.SecondChance(ctx, cl.tenant, cl.actor(), req.AuctionId)
	if err != nil {
		return nil, err
	}
	return h.tradeView(ctx, cl, t)
}

// DecideAuction implements its service.
func (h *AuctionAdmin) DecideAuction(ctx context.Context, req *trade.DecideAuctionRequest) (*trade.Auction, error) {
	cl, err := asAdmin(req.Caller)
	if err != nil {
		return nil, err
	}
	if _, err := h.auctions.Decide(ctx, cl.tenant, cl.actor(), req.AuctionId, req.Decision); err != nil {
		return nil, err
	}
	return h.adminAuction(ctx, cl, req.AuctionId)
}

// adminAuction is the auction as its operators see it: reserve, leader, deposits and sales.
func (h *AuctionAdmin) adminAuction(ctx context.Context, cl caller, id string) (*trade.Auction, error) {
	a := cl.actor()
	v, err := h.auctions.View(ctx, cl.tenant, a, id)
	if err != nil {
		return nil, err
	}
	dto := auctionDTO(v, true)
	ds, err := h.auctions.Deposits(ctx, cl.tenant, a, id)
	if err != nil {
		return nil, err
	}
	for _, d := range ds {
		dto.Deposits = append(dto.Deposits, depositDTO(d))
	}
	ss, err := h.auctions.Sales(ctx, cl.tenant, a, id)
	if err != nil {
		return nil, err
	}
	cur := money.MustCurrency(v.Auction.Currency)
	for _, s := range ss {
		dto.Sales = append(dto.Sales, &trade.AuctionSale{TradeId: s.TradeID, Bidder: s.Bidder, Price: moneyDTO(money.New(s.Price, cur)),
			Credit: moneyDTO(money.New(s.Credit, cur)), SecondChance: s.SecondChance, CreatedAt: millis(s.CreatedAt),
			Outcome: string(s.Outcome), EndedAt: millis(s.EndedAt)})
	}
	return dto, nil
}

func auctionDTO(v auction.View, operator bool) *trade.Auction {
	x := v.Auction
	cur := money.MustCurrency(x.Currency)
	m := func(n int64) *trade.Money { return moneyDTO(money.New(n, cur)) }
	dto := &trade.Auction{AuctionId: x.ID, SkuId: x.SKUID, Title: x.Title, Status: string(v.Status), StartPrice: m(x.StartPrice),
		Deposit: m(x.Deposit), StartsAt: millis(x.StartsAt), EndsAt: millis(x.ClosesAt), ScheduledEndsAt: millis(x.EndsAt),
		AntiSnipeSeconds: int64(x.AntiSnipe / time.Second), ExtendSeconds: int64(x.Extend / time.Second), MaxExtensions: int32(x.MaxExtensions),
		Extensions: int32(x.Extensions), PayWindowSeconds: int64(x.PayWindow / time.Second), CurrentPrice: m(x.Current), MinNextBid: m(v.MinNext),
		BidCount: x.Bids, ReserveMet: v.ReserveMet, Leading: v.Leading, Increments: []*trade.AuctionStep{}, Deposits: []*trade.AuctionDeposit{},
		Sales: []*trade.AuctionSale{}}
	for _, s := range x.Increments {
		dto.Increments = append(dto.Increments, &trade.AuctionStep{From: s.From, Step: s.Step})
	}
	if v.Deposit != nil {
		dto.MyDeposit = depositDTO(*v.Deposit)
	}
	if operator {
		dto.ReservePrice, dto.Leader = m(x.ReservePrice), x.Leader
	}
	return dto
}

func depositDTO(d auc.Deposit) *trade.AuctionDeposit {
	return &trade.AuctionDeposit{DepositId: d.ID, Bidder: d.Bidder, Amount: moneyDTO(money.New(d.Amount, money.MustCurrency(d.Currency))),
		Status: string(d.Status), PaymentId: d.PaymentID, UpdatedAt: millis(d.UpdatedAt)}
}
