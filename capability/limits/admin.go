package limits

import "context"

// Admin is the operators' side of purchase limits: a rule is validated here, in the capability,
// before it is stored, as every capability's admin does; reads go to the store.
type Admin struct{ store Store }

// NewAdmin returns an Admin on store.
func NewAdmin(store Store) *Admin { return &Admin{store: store} }

// PutRule validates and stores a rule.
func (a *Admin) PutRule(ctx context.Context, tenant string, r Rule) (Rule, error) {
	if err := r.Validate(); err != nil {
		return Rule{}, err
	}
	if err := a.store.PutRule(ctx, tenant, r); err != nil {
		return Rule{}, err
	}
	return r, nil
}

// Rule returns one.
func (a *Admin) Rule(ctx context.Context, tenant, id string) (Rule, error) {
	return a.store.Rule(ctx, tenant, id)
}

// Rules lists a tenant's.
func (a *Admin) Rules(ctx context.Context, tenant string) ([]Rule, error) {
	return a.store.Rules(ctx, tenant)
}
