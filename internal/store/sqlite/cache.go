package sqlite

import (
	"bytes"
	"context"
	"database/sql/driver"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/segl/segl/internal/job"
	"github.com/segl/segl/internal/store"
)

// jobCacheSize bounds the jobs kept: a ceremony's job is read again
// within seconds, so a few thousand cover every job being worked on at
// 100 jobs/s; past it the cache starts again empty.
const jobCacheSize = 2048

// readCache keeps the jobs Job and SignerJob read and the organisations
// Org reads. A ceremony reads its job about nineteen times (each signer
// page request, the pump, each background task) and its organisation
// about ten, each a read transaction, while most reads find them unchanged
// since the last write.
//
// It stays exact though several processes may write the file (two nodes
// on one data directory). Every answer from the cache is preceded by a
// check (DB.checkCache) of PRAGMA data_version on the writer's connection,
// which changes exactly when another connection, in this process or
// another, has committed since that connection last looked
// (https://sqlite.org/pragma.html#pragma_data_version); a change drops
// everything kept. A job read from the file reads data_version in its own
// transaction (readJob), which makes the same check. This process's own
// changes of jobs and organisations all go through the writer's one
// connection, where the
// cache's reads run too, and each forgets what it changes inside its
// transaction, while it holds that connection: a read that missed either
// ended before the change began, and the forgetting's new generation keeps
// what it read out of the cache (put), or began after the commit and read
// it. So no answer is older than the file was when its call's check began:
// no read answers with anything older than a commit that another read, in
// any process, could already have seen.
type readCache struct {
	mu sync.Mutex
	// gen counts drops and forgettings; a read that missed keeps what it
	// read only if no drop, and no forgetting of what it read, came
	// between its check and its put. forgot has the generation at which
	// each job and organisation was last forgotten since the last drop,
	// so a save of one job does not keep the reads of others out.
	gen, dropped uint64
	forgot       map[[2]string]uint64 // by organisation and job id, or organisation number and ""
	// The writer's connection (counted by DB.writerConns) and its
	// data_version at the newest check; conn 0 is none yet.
	conn    uint64
	version uint32

	jobs map[[2]string]*job.Job // by organisation and id
	// bySigner finds a signer's job; a signer belongs to one job for
	// ever, so an entry is dropped only with its job.
	bySigner map[string][2]string
	orgs     map[string]store.Org
}

// checked takes the result of a check: data_version read as version on
// the writer's connection, which was connection connBefore when the check
// began and connAfter when it ended. It drops everything if the file
// changed since the newest check, or if the connection changed (a new one
// counts its data_version afresh), and returns the generation that a read
// that misses after it presents to put.
//
// A check that ran before the newest one but reports after it (an older
// version) drops nothing: the entries kept since were read after the newer
// check began, so they are at least as new as this check needs.
func (c *readCache) checked(connBefore, connAfter uint64, version uint32) uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case connBefore != connAfter:
		// Which connection answered is unknown: trust no version until a
		// check runs wholly on one.
		c.dropLocked()
		c.conn = 0
	case connAfter != c.conn || int32(version-c.version) > 0:
		c.dropLocked()
		c.conn, c.version = connAfter, version
	}
	return c.gen
}

func (c *readCache) dropLocked() {
	c.gen++
	c.dropped = c.gen
	c.jobs, c.bySigner, c.orgs, c.forgot = nil, nil, nil, nil
}

// keeps says whether a read that began at generation gen may keep what it
// read of key.
func (c *readCache) keeps(key [2]string, gen uint64) bool {
	return gen >= c.dropped && c.forgot[key] <= gen
}

// forgetLocked records that key is about to change. Past forgetLimit
// keys it drops everything instead, which keeps forgot bounded.
func (c *readCache) forgetLocked(key [2]string) {
	if len(c.forgot) >= forgetLimit {
		c.dropLocked()
		return
	}
	c.gen++
	if c.forgot == nil {
		c.forgot = map[[2]string]uint64{}
	}
	c.forgot[key] = c.gen
}

// forgetLimit bounds the keys forgotten between drops.
const forgetLimit = 4 * jobCacheSize

// generation is the generation a read that makes its own check presents
// to put: taken before the read, so that what is dropped or forgotten
// during it is not kept.
func (c *readCache) generation() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen
}

// holdsJob says whether job may be answered from the cache, if a check
// allows; a job not held is read without one (DB.keptOrRead).
func (c *readCache) holdsJob(org, id string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, ok := c.jobs[[2]string{org, id}]
	return ok
}

// holdsSigner is holdsJob for the job of signer signerID.
func (c *readCache) holdsSigner(signerID string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, ok := c.bySigner[signerID]
	return ok
}

// job returns a copy of the kept job, or nil.
func (c *readCache) job(org, id string) *job.Job {
	c.mu.Lock()
	defer c.mu.Unlock()
	if j, ok := c.jobs[[2]string{org, id}]; ok {
		return cloneJob(j)
	}
	return nil
}

// signerJob is job for the job of signer signerID.
func (c *readCache) signerJob(signerID string) *job.Job {
	c.mu.Lock()
	defer c.mu.Unlock()
	if j, ok := c.jobs[c.bySigner[signerID]]; ok {
		return cloneJob(j)
	}
	return nil
}

// putJob keeps a copy of j, read after a check that returned gen, unless
// it was forgotten, or everything dropped, since.
func (c *readCache) putJob(j *job.Job, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	key := [2]string{j.Org, j.ID}
	if !c.keeps(key, gen) {
		return
	}
	if c.jobs == nil || len(c.jobs) >= jobCacheSize {
		c.jobs, c.bySigner = map[[2]string]*job.Job{}, map[string][2]string{}
	}
	c.jobs[key] = cloneJob(j)
	for _, s := range j.Signers {
		c.bySigner[s.ID] = key
	}
}

// forgetJob drops a job about to change. Callers hold the writer's
// connection, in the transaction that changes it (see readCache).
func (c *readCache) forgetJob(org, id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	key := [2]string{org, id}
	c.forgetLocked(key)
	if j, ok := c.jobs[key]; ok {
		for _, s := range j.Signers {
			delete(c.bySigner, s.ID)
		}
		delete(c.jobs, key)
	}
}

// org returns the kept organisation.
func (c *readCache) org(number string) (store.Org, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	o, ok := c.orgs[number]
	if ok {
		o = cloneOrg(o)
	}
	return o, ok
}

// putOrg is putJob for an organisation.
func (c *readCache) putOrg(o store.Org, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.keeps([2]string{o.Number, ""}, gen) {
		return
	}
	if c.orgs == nil {
		c.orgs = map[string]store.Org{}
	}
	c.orgs[o.Number] = cloneOrg(o)
}

// forgetOrg is forgetJob for an organisation.
func (c *readCache) forgetOrg(number string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.forgetLocked([2]string{number, ""})
	delete(c.orgs, number)
}

// cloneJob copies j deep enough that neither the cache nor its callers
// see each other's changes.
func cloneJob(j *job.Job) *job.Job {
	c := *j
	if j.Polling != nil {
		p := *j.Polling
		c.Polling = &p
	}
	c.AuditKey = bytes.Clone(j.AuditKey)
	c.Documents = slices.Clone(j.Documents)
	for i := range c.Documents {
		c.Documents[i].Signed.Parts = slices.Clone(c.Documents[i].Signed.Parts)
	}
	c.Signers = slices.Clone(j.Signers)
	return &c
}

// cloneOrg copies o's lists, so that a caller changing what it got never
// changes the cache.
func cloneOrg(o store.Org) store.Org {
	o.SignatureTypes, o.Brokers = slices.Clone(o.SignatureTypes), slices.Clone(o.Brokers)
	return o
}

// dataVersion is the check's statement: a read transaction of its own,
// which is what notices another connection's commit.
const dataVersion = `PRAGMA data_version`

// checkCache checks the cache against the file before a read of a job or
// an organisation (see readCache) and returns the generation for put.
func (db *DB) checkCache(ctx context.Context) (uint64, error) {
	st, err := db.stmt(ctx, db.write, dataVersion)
	if err != nil {
		return 0, err
	}
	before := db.writerConns.Load()
	var v int64
	if err := st.QueryRowContext(ctx).Scan(&v); err != nil {
		return 0, err
	}
	return db.cache.checked(before, db.writerConns.Load(), uint32(v)), nil
}

// countingConnector counts the connections it opens. data_version is a
// connection's own count, begun afresh by each new one, so a check must
// know which connection answered it (readCache.checked).
type countingConnector struct {
	driver.Connector
	opened *atomic.Uint64
}

func (c countingConnector) Connect(ctx context.Context) (driver.Conn, error) {
	c.opened.Add(1) // before the connection can run anything
	return c.Connector.Connect(ctx)
}
