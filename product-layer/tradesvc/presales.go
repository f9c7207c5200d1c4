package tradesvc

import (
	"context"

	"github.com/atriumtrade/atrium/capability/order"
	"github.com/atriumtrade/atrium/kernel/errkind"
	"github.com/atriumtrade/atrium/kernel/identity"
	"github.com/atriumtrade/atrium/kernel/money"
	"github.com/atriumtrade/atrium/kitex_gen/trade"
	"github.com/atriumtrade/atrium/product-layer/fixedprice"
	"github.com/atriumtrade/atrium/product-layer/presale"
	tradecore "github.com/atriumtrade/atrium/product-layer/trade"
)

// PutPresale implements its service.
func (h *PresaleAdmin) PutPresale(ctx context.Context, req *trade.PutPresaleRequest) (*trade.PresaleCampaign, error) {
	cl, err := asAdmin(req.Caller)
	if err != nil {
		return nil, err
	}
	d := req.Campaign
	if d == nil {
		return nil, errkind.WithDetail(presale.ErrInvalidCampaign, "campaign is required")
	}
	c := presale.Campaign{ID: d.Id, Name: d.Name, Currency: d.Currency, DepositStartsAt: d.DepositStartsAt, DepositEndsAt: d.DepositEndsAt,
		BalanceStartsAt: d.BalanceStartsAt, BalanceEndsAt: d.BalanceEndsAt, PerUser: d.PerUser, DepositRefundable: d.DepositRefundable}
	for _, s := range d.Skus {
		if s == nil {
			return nil, errkind.WithDetail(presale.ErrInvalidCampaign, "a sku is empty")
		}
		c.SKUs = append(c.SKUs, presale.SKU{SKUID: s.SkuId, Price: s.Price, Deposit: s.Deposit, DepositCredit: s.DepositCredit})
	}
	stored, err := h.presales.Put(ctx, cl.tenant, c)
	if err != nil {
		return nil, err
	}
	return presaleDTO(stored), nil
}

// GetPresale implements its service.
func (h *PresaleAdmin) GetPresale(ctx context.Context, req *trade.PresaleRef) (*trade.PresaleCampaign, error) {
	cl, err := asAdmin(req.Caller)
	if err != nil {
		return nil, err
	}
	c, err := h.presales.Get(ctx, cl.tenant, req.Id)
	if err != nil {
		return nil, err
	}
	return presaleDTO(c), nil
}

// ListPresales implements its service.
func (h *PresaleAdmin) ListPresales(ctx context.Context, req *trade.ListCampaignsRequest) (*trade.ListPresalesResponse, error) {
	cl, err := asAdmin(req.Caller)
	if err != nil {
		return nil, err
	}
	limit, err := tradecore.PageSize(int(req.Limit))
	if err != nil {
		return nil, err
	}
	cs, next, err := h.presales.List(ctx, cl.tenant, req.Status, limit, req.Cursor)
	if err != nil {
		return nil, err
	}
	resp := &trade.ListPresalesResponse{Campaigns: []*trade.PresaleCampaign{}, NextCursor: next}
	for _, c := range cs {
		resp.Campaigns = append(resp.Campaigns, presaleDTO(c))
	}
	return resp, nil
}

func presaleDTO(c presale.Campaign) *trade.PresaleCampaign {
	dto := &trade.PresaleCampaign{Id: c.ID, Name: c.Name, Currency: c.Currency, DepositStartsAt: c.DepositStartsAt, DepositEndsAt: c.DepositEndsAt,
		BalanceStartsAt: c.BalanceStartsAt, BalanceEndsAt: c.BalanceEndsAt, PerUser: c.PerUser, DepositRefundable: c.DepositRefundable,
		Status: c.Status, UpdatedAt: c.UpdatedAt, Skus: []*trade.PresaleSKU{}}
	for _, s := range c.SKUs {
		dto.Skus = append(dto.Skus, &trade.PresaleSKU{SkuId: s.SKUID, Price: s.Price, Deposit: s.Deposit, DepositCredit: s.DepositCredit})
	}
	return dto
}

func presaleTermsDTO(id string, t presale.Terms, status string, cur money.Currency) *trade.PresaleTerms {
	dto := &trade.PresaleTerms{PresaleId: id, Deposit: moneyDTO(money.New(t.Deposit, cur)), Credit: moneyDTO(money.New(t.Credit, cur)),
		BalanceDue: moneyDTO(money.New(t.Balance, cur)), DepositStatus: status, Lines: []*trade.PresaleLineTerms{}}
	for _, l := range t.Lines {
		dto.Lines = append(dto.Lines, &trade.PresaleLineTerms{SkuId: l.SKUID, Deposit: moneyDTO(money.New(l.Deposit, cur)),
			Credit: moneyDTO(money.New(l.Credit, cur))})
	}
	return dto
}

// shareDTO is one child order's share of the pre-sale terms; payable is what the order costs.
func shareDTO(id string, sh presale.OrderShare, payable int64, status string, cur money.Currency) *trade.PresaleTerms {
	return presaleTermsDTO(id, presale.Terms{Deposit: sh.Deposit, Credit: sh.Credit, Balance: payable - sh.Credit}, status, cur)
}

// withRecord sets a pre-sale trade's terms, and each of its orders' shares of them.
func withRecord(dto *trade.Trade, r presale.Record) *trade.Trade {
	cur := money.MustCurrency(r.Currency)
	dto.Presale = presaleTermsDTO(r.CampaignID, presale.Terms{Deposit: r.Deposit, Credit: r.Credit, Balance: r.Balance}, r.DepositStatus, cur)
	for _, o := range dto.Orders {
		for _, sh := range r.Orders {
			if sh.OrderID == o.OrderId {
				o.Presale = shareDTO(r.CampaignID, sh, o.GetTotal().GetAmount(), r.DepositStatus, cur)
			}
		}
	}
	return dto
}

// CancelPresale implements its service.
func (h *PresaleAdmin) CancelPresale(ctx context.Context, req *trade.PresaleRef) (*trade.CancelPresaleResponse, error) {
	cl, err := asAdmin(req.Caller)
	if err != nil {
		return nil, err
	}
	c, n, err := h.presale.CancelCampaign(ctx, cl.tenant, req.Id)
	if err != nil {
		return nil, err
	}
	return &trade.CancelPresaleResponse{Campaign: presaleDTO(c), TradesEnded: int32(n)}, nil
}

// presaleFace takes pre-sale carts: in a campaign (presaleId), with the deposit and balance terms.
type presaleFace struct{ flow *presale.Flow }

// PresaleFace is the pre-sale flow's part of the intake.
func PresaleFace(f *presale.Flow) Face { return presaleFace{f} }

func (presaleFace) Scenario() identity.Scenario { return presale.Scenario }

func (x presaleFace) quote(ctx context.Context, in intake, req *trade.QuoteRequest) (*trade.QuoteResponse, error) {
	pq, err := x.flow.Quote(ctx, in.ident, in.buyer, in.dest, req.PresaleId, in.cart)
	if err != nil {
		return nil, err
	}
	q, err := fixedprice.QuoteOf(pq.Draft)
	if err != nil {
		return nil, err
	}
	resp := quoteDTO(q)
	resp.Presale = presaleTermsDTO(req.PresaleId, pq.Terms, "", q.Currency)
	for i, grp := range resp.Groups {
		grp.Presale = shareDTO(req.PresaleId, pq.Terms.Orders[i], q.Amounts[i].Total.Minor(), "", q.Currency)
	}
	return resp, nil
}

func (x presaleFace) place(ctx context.Context, in intake, req *trade.PlaceOrderRequest) (*trade.Trade, error) {
	if in.expected != nil {
		return nil, errkind.Invalidf("a pre-sale order shows its deposit and balance in its quote; expectedTotal is for fixed-price orders")
	}
	t, rec, err := x.flow.PlaceOrder(ctx, presale.PlaceOrder{Identity: in.ident, Buyer: in.buyer, CampaignID: req.PresaleId,
		Items: in.cart.Items, Address: in.addr, IdempotencyKey: in.key, Coupons: in.cart.Coupons})
	if err != nil {
		return nil, err
	}
	return in.placed(ctx, t, func(dto *trade.Trade) { withRecord(dto, rec) })
}

// view implements viewer: a pre-sale trade shows its deposit, credit and balance.
func (x presaleFace) view(ctx context.Context, cl caller, dto *trade.Trade, t *order.Trade) error {
	rec, err := x.flow.Record(ctx, cl.tenant, cl.actor(), t.ID())
	if err != nil {
		return err
	}
	withRecord(dto, rec)
	return nil
}
