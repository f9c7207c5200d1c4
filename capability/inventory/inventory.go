// Package inventory keeps stock per SKU and warehouse and reserves it for orders with TCC
// semantics: Try reserves, Confirm turns a reservation into sold stock, Cancel gives it back.
//
// Every reservation has an id chosen by the caller (the order id), and the reservation record is
// the TCC barrier: each operation is idempotent by that id; a Cancel that arrives before its Try
// records the cancellation and succeeds without touching stock (a null compensation); a Try that
// arrives after its Cancel is refused with ErrReservationCancelled (no suspended reservation).
//
// The invariant, per SKU and warehouse: available + reserved + sold == onHand, available >= 0.
//
// # Hot SKUs
//
// A reservation made inside an order's transaction holds the stock row's lock until that
// transaction commits, so every order of one SKU queues on one row and the SKU sells at most one
// order per commit latency (a millisecond or more where commits wait for a disk flush or a
// replica). A stock level marked hot is reserved differently (see Service.ReserveHot): requests
// from concurrent orders are gathered and reserved together in one short transaction of their
// own, one conditional update of the row per batch instead of per order. The reservation is then
// durable before the order exists, so it carries an expiry: the order's transaction attaches it
// (clearing the expiry), and ExpireDue gives back the stock of any reservation whose order never
// committed, whether the order failed or the process died in between. Nothing is oversold at any
// point: a batch admits requests in arrival order only while the locked row's available stock
// covers them.
package inventory

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/atriumtrade/atrium/capability/catalog"
	"github.com/atriumtrade/atrium/components/address"
	"github.com/atriumtrade/atrium/kernel/errkind"
)

// Errors.
var (
	ErrInsufficientStock    = errkind.New(errkind.Exhausted, "inventory.insufficient_stock", "insufficient stock")
	ErrReservationCancelled = errkind.New(errkind.Conflict, "inventory.reservation_cancelled", "stock reservation was cancelled")
	ErrReservationConfirmed = errkind.New(errkind.Conflict, "inventory.reservation_confirmed", "stock reservation is already confirmed")
	ErrReservationNotFound  = errkind.New(errkind.NotFound, "inventory.reservation_not_found", "stock reservation not found")
	ErrOnHandBelowCommitted = errkind.New(errkind.Conflict, "inventory.on_hand_below_committed", "on-hand stock cannot be set below reserved plus sold")
	ErrInvalidStockQuantity = errkind.New(errkind.Invalid, "inventory.invalid_quantity", "invalid stock quantity")
	ErrLevelNotFound        = errkind.New(errkind.NotFound, "inventory.level_not_found", "the SKU has no stock in this warehouse")
	ErrInvalidWarehouse     = errkind.New(errkind.Invalid, "inventory.invalid_warehouse", "invalid warehouse")
	ErrWarehouseNotFound    = errkind.New(errkind.NotFound, "inventory.warehouse_not_found", "warehouse not found")
	// ErrWarehouseInUse: a warehouse that holds or has held stock stays registered; its levels
	// are the books of what it sold.
	ErrWarehouseInUse = errkind.New(errkind.Conflict, "inventory.warehouse_in_use", "the warehouse holds or has held stock")
)

// MaxOnHand bounds a warehouse's stock of one SKU, far above any real figure, so sums never overflow.
const MaxOnHand = 1_000_000_000

// Level is the stock of one SKU in one warehouse.
type Level struct {
	SKUID       string
	WarehouseID string
	OnHand      int64
	Available   int64
	Reserved    int64
	Sold        int64
	// Damaged are units that came back unfit to sell: still on hand, never available.
	Damaged int64
	// Hot marks a level whose reservations are batched (see the package doc).
	Hot bool
	// Region is where the warehouse is, if it is registered (see Warehouse).
	Region address.Place
}

// Warehouse is a place stock ships from. Stock may be kept in a warehouse that was never
// registered; registering it tells the default warehouse choice where it is.
type Warehouse struct {
	ID     string
	Name   string
	Region address.Place
}

// Normalize checks a warehouse and returns it as it is stored: its region resolved by the
// address library (in China, GB/T 2260 names and codes, each level inside the one above; a
// district needs its city and a city its province).
func (w Warehouse) Normalize() (Warehouse, error) {
	switch {
	case !catalog.ValidID(w.ID):
		return w, errkind.WithDetail(ErrInvalidWarehouse, "warehouseId must be 1-64 letters, digits, '.', '_' or '-'")
	case !text(w.Name, 1, 100):
		return w, errkind.WithDetail(ErrInvalidWarehouse, "name must be 1-100 characters")
	case w.Region.Country == "":
		return w, errkind.WithFields(ErrInvalidWarehouse, "region.country is required",
			[]errkind.FieldError{{Field: "region.country", Code: address.CodeRequired, Message: "an ISO 3166 alpha-2 code such as CN"}})
	case w.Region.District != "" && w.Region.City == "", w.Region.City != "" && w.Region.Province == "":
		return w, errkind.WithDetail(ErrInvalidWarehouse, "a district needs its city and a city its province")
	}
	tree, err := address.China()
	if err != nil {
		return w, fmt.Errorf("inventory: %w", err)
	}
	r, faults := tree.Resolve(w.Region)
	if len(faults) > 0 {
		return w, address.Fault(ErrInvalidWarehouse, "region", faults)
	}
	w.Region = r
	return w, nil
}

func text(s string, minRunes, maxRunes int) bool {
	n := utf8.RuneCountInString(s)
	return utf8.ValidString(s) && n >= minRunes && n <= maxRunes && strings.TrimSpace(s) == s
}

// Consistent reports whether the level keeps the invariant.
func (l Level) Consistent() bool {
	return l.Available >= 0 && l.Reserved >= 0 && l.Sold >= 0 && l.Damaged >= 0 && l.Available+l.Reserved+l.Sold+l.Damaged == l.OnHand
}

// Line is a quantity of a SKU taken from one warehouse.
type Line struct {
	SKUID       string
	WarehouseID string
	Quantity    int64
	// Hot is set by Choose when the warehouse's level is hot; it is not stored.
	Hot bool
}

// Demand is a quantity of a SKU, before a warehouse is chosen.
type Demand struct {
	SKUID    string
	Quantity int64
}

// BatchItem is one reservation of a batch.
type BatchItem struct {
	ReservationID string
	Lines         []Line
}

// Expired is a reservation given back by ExpireDue.
type Expired struct {
	Tenant        string
	ReservationID string
}

// Store is the persistence port. Reserve, Confirm and Cancel implement the barrier described in
// the package doc and must be atomic: Reserve takes every line or none.
type Store interface {
	SetOnHand(ctx context.Context, tenant, skuID, warehouseID string, onHand int64) (Level, error)
	// SetHot switches a level's reservations to batches or back; the level must exist.
	SetHot(ctx context.Context, tenant, skuID, warehouseID string, hot bool) (Level, error)
	// Levels returns the stock of the SKUs in every warehouse, each with its warehouse's region.
	Levels(ctx context.Context, tenant string, skuIDs []string) ([]Level, error)
	// PutWarehouse registers a warehouse or changes it.
	PutWarehouse(ctx context.Context, tenant string, w Warehouse) error
	// Warehouses lists the registered warehouses by id.
	Warehouses(ctx context.Context, tenant string) ([]Warehouse, error)
	// DeleteWarehouse removes a registration whose warehouse never held stock (ErrWarehouseInUse
	// otherwise), with its levels, all zero.
	DeleteWarehouse(ctx context.Context, tenant, id string) error
	Reserve(ctx context.Context, tenant, reservationID string, lines []Line) error
	// ReserveBatch reserves each item all or nothing, independently of the others, in one
	// transaction of its own, each expiring at expiresAt (unix ms) unless attached. The result
	// holds each item's outcome (nil, ErrInsufficientStock, ErrReservationCancelled; a repeated
	// id is nil); the error is the batch's, when none of it was written.
	ReserveBatch(ctx context.Context, tenant string, items []BatchItem, expiresAt int64) ([]error, error)
	// Attach clears a reservation's expiry, in the caller's transaction: from then on it lives
	// until confirmed or cancelled. A reservation that already expired is ErrReservationCancelled.
	Attach(ctx context.Context, tenant, reservationID string) error
	// ExpireDue cancels up to limit reserved reservations whose expiry is at or before now.
	ExpireDue(ctx context.Context, now int64, limit int) ([]Expired, error)
	Confirm(ctx context.Context, tenant, reservationID string) error
	Cancel(ctx context.Context, tenant, reservationID string) error
	// Restock puts a confirmed reservation's sold units back on the shelf (available), once;
	// units that came back through Return are not put back twice.
	Restock(ctx context.Context, tenant, reservationID string) error
	// Return takes back some sold units of a confirmed reservation, once per returnID: sellable
	// units go back on sale, damaged ones to the level's damaged count. Together the returns of
	// a reservation never take back more of a line than it sold (ErrInvalidStockQuantity).
	Return(ctx context.Context, tenant, returnID, reservationID string, lines []Line, damaged bool) error
	Lines(ctx context.Context, tenant, reservationID string) ([]Line, error)
}

// Service reserves stock, choosing warehouses.
type Service struct {
	store Store
	hot   hotBatches
}

// NewService returns a Service over store.
func NewService(store Store) *Service { return &Service{store: store} }

// SetHot switches a level to batched reservations (hot) or back to reservations in the order's
// transaction. Either way its stock and reservations stay as they are.
func (s *Service) SetHot(ctx context.Context, tenant, skuID, warehouseID string, hot bool) (Level, error) {
	if warehouseID == "" {
		return Level{}, errkind.Invalidf("warehouseId is required")
	}
	return s.store.SetHot(ctx, tenant, skuID, warehouseID, hot)
}

// PutWarehouse registers a warehouse (or changes its name or region).
func (s *Service) PutWarehouse(ctx context.Context, tenant string, w Warehouse) (Warehouse, error) {
	w, err := w.Normalize()
	if err != nil {
		return Warehouse{}, err
	}
	return w, s.store.PutWarehouse(ctx, tenant, w)
}

// Warehouses lists the tenant's registered warehouses by id.
func (s *Service) Warehouses(ctx context.Context, tenant string) ([]Warehouse, error) {
	return s.store.Warehouses(ctx, tenant)
}

// DeleteWarehouse removes a warehouse that never held stock: one registered by mistake. A
// warehouse that holds or has held stock is kept (ErrWarehouseInUse).
func (s *Service) DeleteWarehouse(ctx context.Context, tenant, id string) error {
	return s.store.DeleteWarehouse(ctx, tenant, id)
}

// SetOnHand sets the counted stock of a SKU in a warehouse; available moves by the difference.
func (s *Service) SetOnHand(ctx context.Context, tenant, skuID, warehouseID string, onHand int64) (Level, error) {
	if onHand < 0 || onHand > MaxOnHand {
		return Level{}, errkind.WithDetail(ErrInvalidStockQuantity, "onHand must be between 0 and %d", MaxOnHand)
	}
	if warehouseID == "" {
		return Level{}, errkind.Invalidf("warehouseId is required")
	}
	return s.store.SetOnHand(ctx, tenant, skuID, warehouseID, onHand)
}

// Levels returns the stock of the SKUs in every warehouse.
func (s *Service) Levels(ctx context.Context, tenant string, skuIDs ...string) ([]Level, error) {
	return s.store.Levels(ctx, tenant, skuIDs)
}

// Try reserves the demands under reservationID, choosing warehouses from current levels as
// Allocate does for a destination that is not known. If a
// chosen warehouse was drained by a concurrent order between the read and the reservation, it
// chooses again once from fresh levels.
func (s *Service) Try(ctx context.Context, tenant, reservationID string, demands []Demand) ([]Line, error) {
	skus := make([]string, 0, len(demands))
	for _, d := range demands {
		if d.Quantity <= 0 {
			return nil, errkind.WithDetail(ErrInvalidStockQuantity, "quantity must be positive")
		}
		skus = append(skus, d.SKUID)
	}
	var lastErr error
	for attempt := 0; attempt < 2; attempt++ {
		levels, err := s.store.Levels(ctx, tenant, skus)
		if err != nil {
			return nil, fmt.Errorf("inventory: read levels: %w", err)
		}
		parts, err := Allocate(address.Place{}, levels, demands)
		if err != nil {
			return nil, err
		}
		var lines []Line
		for _, p := range parts {
			lines = append(lines, p...)
		}
		if lastErr = s.store.Reserve(ctx, tenant, reservationID, lines); lastErr == nil {
			return lines, nil
		}
		if !errors.Is(lastErr, ErrInsufficientStock) {
			return nil, lastErr
		}
	}
	return nil, lastErr
}

// Confirm turns the reservation into sold stock.
func (s *Service) Confirm(ctx context.Context, tenant, reservationID string) error {
	return s.store.Confirm(ctx, tenant, reservationID)
}

// Lines are the stock a reservation holds, by SKU and warehouse.
func (s *Service) Lines(ctx context.Context, tenant, reservationID string) ([]Line, error) {
	return s.store.Lines(ctx, tenant, reservationID)
}

// Return takes back some sold units of a confirmed reservation (an after-sale of some lines):
// sellable units go back on sale, damaged ones off sale. Returning the same returnID twice
// changes nothing the second time.
func (s *Service) Return(ctx context.Context, tenant, returnID, reservationID string, lines []Line, damaged bool) error {
	return s.store.Return(ctx, tenant, returnID, reservationID, lines, damaged)
}

// Restock puts the sold units of a confirmed reservation back on sale: its order was refunded
// before the goods left the warehouse. Restocking twice changes nothing the second time.
func (s *Service) Restock(ctx context.Context, tenant, reservationID string) error {
	return s.store.Restock(ctx, tenant, reservationID)
}

// Cancel releases the reservation.
func (s *Service) Cancel(ctx context.Context, tenant, reservationID string) error {
	return s.store.Cancel(ctx, tenant, reservationID)
}
