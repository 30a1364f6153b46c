package sqlite

import (
	"slices"
	"sync"

	"github.com/segl/segl/internal/store"
)

// orgCache keeps the organisations Org has read. A ceremony reads its
// organisation about ten times (each API call's authorisation, the signer
// pages' sender, the receipts, the sender's notice), each a read
// transaction with its locks of the -shm file, while organisations change
// only by the central administrator's hand. Every change goes through this
// DB (PutOrg, Onboard, PutOrgLogo), and only this process writes the file
// (the SQLite store is one node's; several nodes share PostgreSQL, whose
// store keeps no cache), so forgetting at each change keeps the cache
// exact: once a change has returned, no read answers from before it.
type orgCache struct {
	mu sync.Mutex
	// gen counts changes, so that a read that began before a change does
	// not put what it read into the cache after the change forgot it.
	gen  uint64
	orgs map[string]store.Org
}

// get returns the cached organisation, or the generation a read that
// misses must present to keep (put).
func (c *orgCache) get(number string) (o store.Org, gen uint64, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	o, ok = c.orgs[number]
	if ok {
		o = cloneOrg(o)
	}
	return o, c.gen, ok
}

// put keeps o, read by a read that began at generation gen, unless an
// organisation changed since.
func (c *orgCache) put(o store.Org, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	if c.orgs == nil {
		c.orgs = map[string]store.Org{}
	}
	c.orgs[o.Number] = cloneOrg(o)
}

// forget drops everything: called after each change of an organisation
// (committed or not, since a failed fsync may still leave it in the file),
// before the change returns.
func (c *orgCache) forget() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	clear(c.orgs)
}

// cloneOrg copies o's lists, so that a caller changing what it got never
// changes the cache.
func cloneOrg(o store.Org) store.Org {
	o.SignatureTypes, o.Brokers = slices.Clone(o.SignatureTypes), slices.Clone(o.Brokers)
	return o
}
