// Package identity is the business identity a request runs under: the tenant (a merchant
// platform), the business line (bizCode) of that tenant, and the scenario (the flow). Extension
// points resolve by it and every record is scoped by its tenant.
//
// The access layer derives an identity from the authenticated front end; nothing downstream
// trusts a tenant supplied in a request body.
package identity

import (
	"regexp"
	"strings"

	"github.com/atriumtrade/atrium/kernel/errkind"
)

// Scenario names a transaction flow (fixed_price, presale, groupbuy, ...). The set is open: the
// trade core owns which scenarios exist (each flow registers its own), so this package checks only
// that a name is well formed.
type Scenario string

// Valid reports whether s is a well-formed scenario name: 1-32 lowercase letters, digits or '_',
// starting with a letter.
func (s Scenario) Valid() bool { return scenarioRe.MatchString(string(s)) }

// ErrInvalidIdentity is returned for a malformed tenant, bizCode or scenario.
var ErrInvalidIdentity = errkind.New(errkind.Invalid, "identity.invalid", "invalid business identity")

var (
	tenantRe   = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,31}$`)
	bizCodeRe  = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,31}\.[a-z0-9][a-z0-9_-]{0,31}$`)
	scenarioRe = regexp.MustCompile(`^[a-z][a-z0-9_]{0,31}$`)
	userRe     = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,63}$`)
)

// Identity is tenant + business line + scenario.
type Identity struct {
	tenant   string
	bizCode  string
	scenario Scenario
}

// New validates and returns an identity. An empty bizCode means the tenant's default line,
// "<tenant>.default". The bizCode must belong to the tenant.
func New(tenant, bizCode string, scenario Scenario) (Identity, error) {
	bizCode, err := Line(tenant, bizCode)
	if err != nil {
		return Identity{}, err
	}
	if !scenario.Valid() {
		return Identity{}, errkind.WithDetail(ErrInvalidIdentity, "scenario %q is not valid", scenario)
	}
	return Identity{tenant: tenant, bizCode: bizCode, scenario: scenario}, nil
}

// Line validates a tenant and a business line of it and returns the line: an empty bizCode is the
// tenant's default line, "<tenant>.default".
func Line(tenant, bizCode string) (string, error) {
	if !tenantRe.MatchString(tenant) {
		return "", errkind.WithDetail(ErrInvalidIdentity, "tenant %q is not valid", tenant)
	}
	if bizCode == "" {
		bizCode = tenant + ".default"
	}
	if !ValidBizCode(tenant, bizCode) {
		return "", errkind.WithDetail(ErrInvalidIdentity, "bizCode %q is not a business line of %s", bizCode, tenant)
	}
	return bizCode, nil
}

// Tenant is the merchant platform.
func (i Identity) Tenant() string { return i.tenant }

// BizCode is the business line, "<tenant>.<line>".
func (i Identity) BizCode() string { return i.bizCode }

// Scenario is the flow.
func (i Identity) Scenario() Scenario { return i.scenario }

// ValidBizCode reports whether bizCode is a well-formed business line of tenant.
func ValidBizCode(tenant, bizCode string) bool {
	return bizCodeRe.MatchString(bizCode) && strings.HasPrefix(bizCode, tenant+".")
}

// ValidTenant reports whether s is a well-formed tenant id.
func ValidTenant(s string) bool { return tenantRe.MatchString(s) }

// ValidUserID reports whether s is a well-formed user id.
func ValidUserID(s string) bool { return userRe.MatchString(s) }
