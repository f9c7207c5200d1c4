package limits

import (
	"context"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/atriumtrade/atrium/extensions"
	"github.com/atriumtrade/atrium/kernel/errkind"
)

// Line is a cart line as limits see it, with the child order it falls in.
type Line struct {
	Order      int // index of the child order
	SKUID      string
	Categories []string
	Quantity   int64
}

// Cart is what a check decides on.
type Cart struct {
	UserID      string
	MemberLevel string
	Channel     string
	AddressKey  string
	At          time.Time
	Lines       []Line
}

// Key names one counter: a rule, whose (a user or an address) and which period.
type Key struct {
	RuleID  string
	Subject string
	Period  string
}

// Claim takes Amount from a counter for one child order, as long as the counter stays at most Max.
type Claim struct {
	Key
	Order  int
	Amount int64
	Max    int64
	// Units are the quantities by SKU an items claim counts (they sum to Amount); nil on a
	// claim that counts orders. ReleaseUnits gives them back one after-sale at a time.
	Units map[string]int64
}

// Store is the persistence port. Claim runs inside the order's transaction and must be one
// conditional update (used + amount <= max), never read-then-write; Ensure creates missing
// counters beforehand, outside it. Release gives back an order's claims exactly once.
type Store interface {
	PutRule(ctx context.Context, tenant string, r Rule) error
	Rule(ctx context.Context, tenant, id string) (Rule, error)
	Rules(ctx context.Context, tenant string) ([]Rule, error)
	// Usage reads the counters of keys; a counter that does not exist yet is absent from the map.
	Usage(ctx context.Context, tenant string, keys []Key) (map[Key]int64, error)
	Ensure(ctx context.Context, tenant string, keys []Key) error
	Claim(ctx context.Context, tenant, orderID string, c Claim) error
	Release(ctx context.Context, tenant, orderID string) error
	// ReleaseUnits gives back, from the order's items claims, the units by SKU that an
	// after-sale refunded; each call gives back again, so the caller makes it once per refund,
	// in the refund's transaction. Order-count claims stay until Release.
	ReleaseUnits(ctx context.Context, tenant, orderID string, units map[string]int64) error
}

// History tells whether a buyer has an order that is not cancelled (for first-order rules).
type History interface {
	HasLiveOrders(ctx context.Context, tenant, userID string) (bool, error)
}

// Service checks carts against a tenant's rules and claims their counters.
type Service struct {
	store   Store
	history History
}

// NewService returns a Service.
func NewService(store Store, history History) *Service {
	return &Service{store: store, history: history}
}

// Store is the service's store, for admin operations.
func (s *Service) Store() Store { return s.store }

// RuleUsage is a rule as the limits.check point sees it: how much of it this cart would use,
// and how much its counter had used when the check ran (a snapshot; the claim decides).
type RuleUsage struct {
	RuleID string `json:"ruleId"`
	Name   string `json:"name"`
	Kind   Kind   `json:"kind"`
	Period Period `json:"period,omitempty"`
	Unit   Unit   `json:"unit"`
	Max    int64  `json:"max"`
	Used   int64  `json:"used"`
	Cart   int64  `json:"cart"`
}

// PointLine is a cart line in the limits.check input.
type PointLine struct {
	SKUID      string   `json:"skuId"`
	Categories []string `json:"categories"`
	Quantity   int64    `json:"quantity"`
}

// PointInput is the input of limits.check.
type PointInput struct {
	At          int64       `json:"at"`
	UserID      string      `json:"userId"`
	MemberLevel string      `json:"memberLevel,omitempty"`
	Channel     string      `json:"channel,omitempty"`
	Lines       []PointLine `json:"lines"`
	Rules       []RuleUsage `json:"rules"`
}

// MaxOverride sets a rule's max for this buyer and cart.
type MaxOverride struct {
	RuleID string `json:"ruleId"`
	Max    int64  `json:"max"`
}

// PointOutput is declarative: reject the cart with a message shown to the buyer, and/or set
// some rules' max for this buyer (say, double for gold members).
type PointOutput struct {
	Reject  bool          `json:"reject,omitempty"`
	Message string        `json:"message,omitempty"`
	Max     []MaxOverride `json:"max,omitempty"`
}

// CheckPoint lets a business refine purchase limits per buyer. If a script fails, the stored
// rules apply unchanged: they are enforced in Go whatever the script says.
var CheckPoint = extensions.Declare(extensions.Spec[PointInput, PointOutput]{
	Name:    "limits.check",
	Doc:     "Reject a cart or set purchase-limit maxima for this buyer. Default: the stored rules as they are.",
	Policy:  extensions.FallBack,
	Mode:    extensions.Override,
	Default: func(context.Context, PointInput) (PointOutput, error) { return PointOutput{}, nil },
	Check: func(in PointInput, out PointOutput) error {
		if out.Reject && (strings.TrimSpace(out.Message) == "" || utf8.RuneCountInString(out.Message) > 200) {
			return errkind.Invalidf("a rejection needs a message of 1-200 characters")
		}
		known := map[string]bool{}
		for _, r := range in.Rules {
			known[r.RuleID] = true
		}
		for _, m := range out.Max {
			if !known[m.RuleID] {
				return errkind.Invalidf("max names %q, which does not apply to this cart", m.RuleID)
			}
			if m.Max < 0 || m.Max > 1_000_000 {
				return errkind.Invalidf("max of %s must be 0-1000000", m.RuleID)
			}
		}
		return nil
	},
})

// Check applies a tenant's rules to a cart: per-order limits and first-order deals are decided
// here; per-user, per-address and first-order counters come back as claims for the order
// transaction, their counters already created. tenant's rules are read fresh.
func (s *Service) Check(ctx context.Context, rt extensions.Runtime, call extensions.Call, tenant string, cart Cart) ([]Claim, error) {
	rules, err := s.store.Rules(ctx, tenant)
	if err != nil {
		return nil, err
	}
	var apps []*applied
	for _, r := range rules {
		if !r.Active(cart.At) {
			continue
		}
		a := &applied{rule: r, byOrder: map[int]int64{}, units: map[int]map[string]int64{}}
		for _, l := range cart.Lines {
			if r.Matches(l.SKUID, l.Categories) {
				a.total += l.Quantity
				a.byOrder[l.Order] += l.Quantity
				if a.units[l.Order] == nil {
					a.units[l.Order] = map[string]int64{}
				}
				a.units[l.Order][l.SKUID] += l.Quantity
			}
		}
		if a.total == 0 {
			continue
		}
		subject := cart.UserID
		if r.Kind == PerAddress {
			subject = cart.AddressKey
		}
		a.key = Key{RuleID: r.ID, Subject: subject, Period: r.PeriodKey(cart.At)}
		apps = append(apps, a)
	}
	if len(apps) == 0 {
		return nil, nil
	}
	var keys []Key
	for _, a := range apps {
		if a.rule.Kind != PerOrder {
			keys = append(keys, a.key)
		}
	}
	used, err := s.store.Usage(ctx, tenant, keys)
	if err != nil {
		return nil, err
	}
	in := PointInput{At: cart.At.UnixMilli(), UserID: cart.UserID, MemberLevel: cart.MemberLevel, Channel: cart.Channel}
	for _, l := range cart.Lines {
		cats := l.Categories
		if cats == nil {
			cats = []string{}
		}
		in.Lines = append(in.Lines, PointLine{SKUID: l.SKUID, Categories: cats, Quantity: l.Quantity})
	}
	for _, a := range apps {
		in.Rules = append(in.Rules, RuleUsage{RuleID: a.rule.ID, Name: a.rule.Name, Kind: a.rule.Kind, Period: a.rule.Period,
			Unit: a.rule.Unit, Max: a.rule.Max, Used: used[a.key], Cart: a.amount()})
	}
	out, err := CheckPoint.Run(ctx, rt, call, in)
	if err != nil {
		return nil, err
	}
	if out.Reject {
		return nil, errkind.WithDetail(ErrRejected, "%s", strings.TrimSpace(out.Message))
	}
	for _, m := range out.Max {
		for _, a := range apps {
			if a.rule.ID == m.RuleID {
				a.rule.Max = m.Max
			}
		}
	}
	var claims []Claim
	for _, a := range apps {
		r := a.rule
		switch r.Kind {
		case PerOrder:
			if a.total > r.Max {
				return nil, errkind.WithDetail(ErrLimitExceeded, "%s: at most %d per order", r.Name, r.Max)
			}
			continue
		case FirstOrder:
			if s.history == nil {
				return nil, errkind.WithDetail(ErrFirstOrder, "%s is for a first order only", r.Name)
			}
			has, err := s.history.HasLiveOrders(ctx, tenant, cart.UserID)
			if err != nil {
				return nil, err
			}
			if has {
				return nil, errkind.WithDetail(ErrFirstOrder, "%s is for a first order only", r.Name)
			}
		}
		if left := r.Max - used[a.key]; a.amount() > left {
			return nil, exceeded(r, left)
		}
		if r.Unit == Orders {
			first := -1
			for o := range a.byOrder {
				if first < 0 || o < first {
					first = o
				}
			}
			claims = append(claims, Claim{Key: a.key, Order: first, Amount: 1, Max: r.Max})
			continue
		}
		orders := make([]int, 0, len(a.byOrder))
		for o := range a.byOrder {
			orders = append(orders, o)
		}
		sort.Ints(orders)
		for _, o := range orders {
			claims = append(claims, Claim{Key: a.key, Order: o, Amount: a.byOrder[o], Max: r.Max, Units: a.units[o]})
		}
	}
	// Only counters the usage read did not find need creating: most orders write nothing here.
	var missing []Key
	for _, k := range keys {
		if _, ok := used[k]; !ok {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		if err := s.store.Ensure(ctx, tenant, missing); err != nil {
			return nil, err
		}
	}
	return claims, nil
}

// applied is a rule that counts some of a cart's lines.
type applied struct {
	rule    Rule
	key     Key
	total   int64         // quantity of matching lines
	byOrder map[int]int64 // of which, per child order
	units   map[int]map[string]int64
}

// amount is what the cart takes from the rule's counter.
func (a *applied) amount() int64 {
	if a.rule.Unit == Orders {
		return 1
	}
	return a.total
}

func exceeded(r Rule, left int64) error {
	if left <= 0 {
		if r.Kind == FirstOrder {
			return errkind.WithDetail(ErrFirstOrder, "%s is for a first order only", r.Name)
		}
		return errkind.WithDetail(ErrLimitExceeded, "%s: you have reached the limit of %d %s", r.Name, r.Max, per(r))
	}
	return errkind.WithDetail(ErrLimitExceeded, "%s: you can buy %d more %s", r.Name, left, per(r))
}

func per(r Rule) string {
	unit := "items"
	if r.Unit == Orders {
		unit = "orders"
	}
	switch r.Period {
	case Day:
		return unit + " today"
	case Week:
		return unit + " this week"
	}
	return unit
}

// Claim takes the claims of a placed trade, inside its transaction; orderIDs are its child
// orders' ids, by the index the cart's lines used.
func (s *Service) Claim(ctx context.Context, tenant string, orderIDs []string, claims []Claim) error {
	for _, c := range claims {
		if err := s.store.Claim(ctx, tenant, orderIDs[c.Order], c); err != nil {
			return err
		}
	}
	return nil
}

// ReleaseUnits gives back what some refunded units of a child order claimed (see Store).
func (s *Service) ReleaseUnits(ctx context.Context, tenant, orderID string, units map[string]int64) error {
	return s.store.ReleaseUnits(ctx, tenant, orderID, units)
}

// Release gives back what a cancelled child order claimed; idempotent.
func (s *Service) Release(ctx context.Context, tenant, orderID string) error {
	return s.store.Release(ctx, tenant, orderID)
}
