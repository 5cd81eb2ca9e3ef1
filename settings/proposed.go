package settings

import (
	"context"
	"errors"
)

// Proposed is a Store that reads as if Change had been applied to the
// overrides of one domain (DomainName), one user (UserAddress), or
// neither (then the caller proposes new global defaults): `history
// what-if` resolves recipients through it to replay stored verdicts
// under settings an admin is considering. It never writes.
type Proposed struct {
	Store
	// DomainName and UserAddress are normalised (NormalizeDomain,
	// NormalizeAddress); at most one is set.
	DomainName  string
	UserAddress string
	Change      func(*Overrides)
}

// Domain returns the stored domain, changed when it is DomainName.
func (p Proposed) Domain(ctx context.Context, name string) (*Domain, error) {
	d, err := p.Store.Domain(ctx, name)
	if err != nil || p.DomainName == "" || name != p.DomainName {
		return d, err
	}
	c := *d
	p.Change(&c.Overrides)
	return &c, nil
}

// User returns the stored user, changed when it is UserAddress (a user
// without a record gets one holding just the change).
func (p Proposed) User(ctx context.Context, address string) (*User, error) {
	u, err := p.Store.User(ctx, address)
	if p.UserAddress == "" || address != p.UserAddress {
		return u, err
	}
	if errors.Is(err, ErrNotFound) {
		_, domain, _ := NormalizeAddress(address)
		u, err = &User{Address: address, Domain: domain}, nil
	}
	if err != nil {
		return nil, err
	}
	c := *u
	p.Change(&c.Overrides)
	return &c, nil
}
