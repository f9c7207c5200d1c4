// Package servicetoken is the trust between the platform's roles: each call one role makes to
// another carries a short-lived token (a service JWT, HS256 through golang-jwt) that the calling
// node signs with the caller it acts for (tenant, user, role, channel), for one audience (the
// service called), valid for a few seconds; the called node verifies it before any handler runs.
// Without it, anyone who reaches a trade node's RPC port could act as any tenant's operator.
//
// Keys come from configuration, several at once so that they rotate without downtime: the first
// signs, every one verifies. To rotate: give every verifying node the new key beside the old
// (second), then make it first on the signing nodes, then drop the old one. A token proves which
// node signed for whom and when; the channel between nodes is protected by mutual TLS (rpc.tls),
// which also keeps a token from being read and replayed within its seconds.
package servicetoken

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/atriumtrade/atrium/kernel/errkind"
)

// Key is one signing key: an id (the token's kid) and a secret of at least 32 bytes.
type Key struct {
	ID     string `yaml:"id"`
	Secret string `yaml:"secret"`
}

// Keys is a key ring. In an environment variable (a Kubernetes secret) it is written
// "id=secret,id=secret", the signing key first.
type Keys []Key

// UnmarshalText reads "id=secret,id=secret".
func (k *Keys) UnmarshalText(b []byte) error {
	var out Keys
	for _, part := range strings.Split(string(b), ",") {
		if part = strings.TrimSpace(part); part == "" {
			continue
		}
		id, secret, ok := strings.Cut(part, "=")
		if !ok {
			return fmt.Errorf("servicetoken: key %q: want id=secret", id)
		}
		out = append(out, Key{ID: id, Secret: secret})
	}
	*k = out
	return nil
}

// Config is the key ring and the tokens' life.
type Config struct {
	// Keys: the first signs, every one verifies. None: no tokens (the all-in-one process, whose
	// roles talk on loopback).
	Keys Keys `yaml:"keys"`
	// TTL is how long a token is valid (default 10s).
	TTL time.Duration `yaml:"ttl"`
}

// On reports whether tokens are in use.
func (c Config) On() bool { return len(c.Keys) > 0 }

// Validate reports a key ring that cannot work.
func (c Config) Validate() error {
	seen := map[string]bool{}
	for i, k := range c.Keys {
		if k.ID == "" {
			return fmt.Errorf("servicetoken: key %d has no id", i+1)
		}
		if seen[k.ID] {
			return fmt.Errorf("servicetoken: key %s is listed twice", k.ID)
		}
		seen[k.ID] = true
		if len(k.Secret) < 32 {
			return fmt.Errorf("servicetoken: key %s: the secret must be at least 32 bytes", k.ID)
		}
	}
	if c.TTL < 0 || c.TTL > 5*time.Minute {
		return errors.New("servicetoken: ttl must be between 0 (the default, 10s) and 5m")
	}
	return nil
}

// Claims are who a call acts for.
type Claims struct {
	Tenant  string `json:"tenant,omitempty"`
	User    string `json:"user,omitempty"`
	Role    string `json:"role,omitempty"`
	Channel string `json:"channel,omitempty"`
	// Extra are whatever else the called service takes from its caller (a business line, a
	// membership level), bound to the call like the rest.
	Extra map[string]string `json:"ext,omitempty"`
	jwt.RegisteredClaims
}

// ErrInvalid is a call whose token is missing, expired, signed by a key the node does not hold,
// for another audience, or for another caller than the call names.
var ErrInvalid = errkind.New(errkind.Unauthenticated, "auth.service_token_invalid", "the calling service's token is not valid")

// Reasons a token is refused, for the refusal counter.
const (
	ReasonMissing   = "missing"
	ReasonExpired   = "expired"
	ReasonSignature = "signature"
	ReasonAudience  = "audience"
	ReasonMalformed = "malformed"
	ReasonCaller    = "caller_mismatch"
)

// Refusal is a refused token and why.
type Refusal struct {
	Reason string
	err    error
}

func (r *Refusal) Error() string { return "servicetoken: " + r.Reason + ": " + r.err.Error() }
func (r *Refusal) Unwrap() error { return ErrInvalid }

// Refuse returns a refusal for reason.
func Refuse(reason, format string, args ...any) error {
	return &Refusal{Reason: reason, err: fmt.Errorf(format, args...)}
}

// Signer signs tokens for one audience with the ring's first key.
type Signer struct {
	key      Key
	ttl      time.Duration
	issuer   string
	audience string
	now      func() time.Time
}

// NewSigner returns a signer for audience, naming issuer (the signing node) in its tokens.
func NewSigner(cfg Config, issuer, audience string) (*Signer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if !cfg.On() {
		return nil, errors.New("servicetoken: no keys to sign with")
	}
	ttl := cfg.TTL
	if ttl == 0 {
		ttl = 10 * time.Second
	}
	return &Signer{key: cfg.Keys[0], ttl: ttl, issuer: issuer, audience: audience, now: time.Now}, nil
}

// WithClock sets the signer's clock (tests).
func (s *Signer) WithClock(now func() time.Time) *Signer { s.now = now; return s }

// Sign returns a token for c.
func (s *Signer) Sign(c Claims) (string, error) {
	now := s.now()
	c.Issuer, c.Audience = s.issuer, jwt.ClaimStrings{s.audience}
	c.IssuedAt, c.NotBefore, c.ExpiresAt = jwt.NewNumericDate(now), jwt.NewNumericDate(now.Add(-time.Second)), jwt.NewNumericDate(now.Add(s.ttl))
	t := jwt.NewWithClaims(jwt.SigningMethodHS256, c)
	t.Header["kid"] = s.key.ID
	return t.SignedString([]byte(s.key.Secret))
}

// Verifier checks tokens for one audience against every key of the ring.
type Verifier struct {
	keys     map[string][]byte
	audience string
	now      func() time.Time
}

// NewVerifier returns a verifier of tokens for audience.
func NewVerifier(cfg Config, audience string) (*Verifier, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	keys := map[string][]byte{}
	for _, k := range cfg.Keys {
		keys[k.ID] = []byte(k.Secret)
	}
	return &Verifier{keys: keys, audience: audience, now: time.Now}, nil
}

// Verify checks a token and returns its claims, or a *Refusal (errors.Is ErrInvalid).
func (v *Verifier) Verify(token string) (Claims, error) {
	if token == "" {
		return Claims{}, Refuse(ReasonMissing, "the call carries no token")
	}
	var c Claims
	_, err := jwt.ParseWithClaims(token, &c, func(t *jwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		key, ok := v.keys[kid]
		if !ok {
			return nil, fmt.Errorf("no key %q", kid)
		}
		return key, nil
	}, jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}), jwt.WithAudience(v.audience), jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(), jwt.WithLeeway(2*time.Second), jwt.WithTimeFunc(v.now))
	switch {
	case err == nil:
		return c, nil
	case errors.Is(err, jwt.ErrTokenExpired), errors.Is(err, jwt.ErrTokenNotValidYet), errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		return Claims{}, Refuse(ReasonExpired, "%v", err)
	case errors.Is(err, jwt.ErrTokenInvalidAudience):
		return Claims{}, Refuse(ReasonAudience, "%v", err)
	case errors.Is(err, jwt.ErrTokenSignatureInvalid), errors.Is(err, jwt.ErrTokenUnverifiable):
		return Claims{}, Refuse(ReasonSignature, "%v", err)
	}
	return Claims{}, Refuse(ReasonMalformed, "%v", err)
}
