package gateway

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/cloudwego/hertz/pkg/app"
	"github.com/golang-jwt/jwt/v5"

	"github.com/atriumtrade/atrium/kernel/errkind"
	"github.com/atriumtrade/atrium/kernel/identity"
	"github.com/atriumtrade/atrium/kitex_gen/trade"
)

const (
	roleBuyer = "buyer"
	roleAdmin = "admin"
	issuer    = "atrium"
)

// Claims are what an Atrium bearer token says: the user (subject), the tenant, the business
// line, the channel it was issued for and the role.
type Claims struct {
	jwt.RegisteredClaims
	Tenant  string `json:"tenant"`
	BizCode string `json:"bizCode,omitempty"`
	Channel string `json:"channel"`
	Role    string `json:"role"`
	// MemberLevel is the buyer's membership level as the login asserted it (member pricing).
	MemberLevel string `json:"memberLevel,omitempty"`
	// Azp is the front end the token was issued to (a registered app, mini-program or site);
	// the business line comes from its registration.
	Azp string `json:"azp,omitempty"`
}

// Validate checks the claims beyond signature and expiry.
func (c Claims) Validate() error {
	switch {
	case !identity.ValidTenant(c.Tenant):
		return errors.New("tenant claim is not valid")
	case c.Role != roleBuyer && c.Role != roleAdmin:
		return errors.New("role claim must be buyer or admin")
	case c.Channel != appChannel.name && c.Channel != mpChannel.name && c.Channel != adminChannel.name:
		return errors.New("channel claim must be app, mp or admin")
	case c.Role == roleBuyer && !identity.ValidUserID(c.Subject):
		return errors.New("a buyer token needs a valid subject")
	case !memberLevelRe.MatchString(c.MemberLevel):
		return errors.New("memberLevel must be at most 32 lowercase letters, digits, '_' or '-'")
	case len(c.Azp) > 64:
		return errors.New("azp must be at most 64 characters")
	}
	if c.BizCode != "" {
		if !identity.ValidBizCode(c.Tenant, c.BizCode) {
			return errors.New("bizCode claim is not a business line of the tenant")
		}
	}
	return nil
}

// Issue signs a token for claims valid for ttl.
func Issue(secret []byte, c Claims, ttl time.Duration, now time.Time) (string, error) {
	c.Issuer = issuer
	c.IssuedAt = jwt.NewNumericDate(now)
	c.ExpiresAt = jwt.NewNumericDate(now.Add(ttl))
	if err := c.Validate(); err != nil {
		return "", errkind.Invalidf("%s", err.Error())
	}
	return jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(secret)
}

var memberLevelRe = regexp.MustCompile(`^[a-z0-9_-]{0,32}$`)

const callerKey = "atrium.caller"

// authenticate verifies the bearer token and that it was issued for ch.
func (g *Gateway) authenticate(ch *channel) func(ctx context.Context, c *app.RequestContext) {
	return func(ctx context.Context, c *app.RequestContext) {
		h := string(c.Request.Header.Peek("Authorization"))
		tok, ok := strings.CutPrefix(h, "Bearer ")
		if !ok || tok == "" {
			g.fail(ctx, c, ch, errkind.WithDetail(errkind.ErrUnauthenticated, "missing bearer token"))
			c.Abort()
			return
		}
		var cl Claims
		_, err := jwt.ParseWithClaims(tok, &cl, func(*jwt.Token) (any, error) { return g.secret, nil },
			jwt.WithValidMethods([]string{"HS256"}), jwt.WithIssuer(issuer), jwt.WithExpirationRequired(),
			jwt.WithIssuedAt(), jwt.WithLeeway(tokenLeeway))
		if err == nil {
			err = numericDates(tok)
		}
		if err != nil {
			g.fail(ctx, c, ch, errkind.WithDetail(errkind.ErrUnauthenticated, "bearer token is not valid"))
			c.Abort()
			return
		}
		if cl.Role != ch.role || (ch.role == roleBuyer && cl.Channel != ch.name) {
			g.fail(ctx, c, ch, errkind.WithDetail(errkind.ErrForbidden, "this token is not for the %s channel", ch.name))
			c.Abort()
			return
		}
		bizCode := cl.BizCode
		if cl.Azp != "" {
			fe := g.frontends.lookup(ctx, cl.Azp)
			if fe == nil || fe.Tenant != cl.Tenant {
				g.fail(ctx, c, ch, errkind.WithDetail(errkind.ErrUnauthenticated, "the token's front end is not registered"))
				c.Abort()
				return
			}
			if ch.role == roleBuyer && fe.Channel != ch.name {
				g.fail(ctx, c, ch, errkind.WithDetail(errkind.ErrForbidden, "this front end is registered for the %s channel", fe.Channel))
				c.Abort()
				return
			}
			bizCode = fe.BizCode
		}
		c.Set(callerKey, &trade.Caller{Tenant: cl.Tenant, BizCode: bizCode, UserId: cl.Subject, Channel: cl.Channel, Role: cl.Role,
			MemberLevel: cl.MemberLevel})
		c.Next(ctx)
	}
}

func callerOf(c *app.RequestContext) *trade.Caller {
	v, _ := c.Get(callerKey)
	cl, _ := v.(*trade.Caller)
	return cl
}

// tokenLeeway is how far the clocks of the token's issuer and this server may disagree: an exp
// that passed, or an iat or nbf still to come, within it is accepted.
const tokenLeeway = 30 * time.Second

// numericDates refuses a token whose exp, iat or nbf is not a JSON number. RFC 7519 says they
// are NumericDates; the JWT library also reads a string holding a number, which a signer should
// never produce, so such a token is refused rather than read loosely.
func numericDates(tok string) error {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return errors.New("token is not three parts")
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return err
	}
	var claims map[string]json.RawMessage
	if err := json.Unmarshal(payload, &claims); err != nil {
		return err
	}
	for _, k := range []string{"exp", "iat", "nbf"} {
		v, ok := claims[k]
		if !ok {
			continue
		}
		if len(v) == 0 || !(v[0] == '-' || (v[0] >= '0' && v[0] <= '9')) {
			return fmt.Errorf("claim %s is not a number", k)
		}
	}
	return nil
}

func jwtSubject(userID string) jwt.RegisteredClaims { return jwt.RegisteredClaims{Subject: userID} }
