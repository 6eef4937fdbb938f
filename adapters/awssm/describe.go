package awssm

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/dashtam/secretsgen/adapters/internal/awscore"
)

// Describer is the part of *secretsmanager.Client that change detection
// uses. A Client that also implements it (the SDK's does) is asked, before
// reading again a secret the provider read before, which version holds
// AWSCURRENT; see Options.DisableDescribe.
type Describer interface {
	DescribeSecret(ctx context.Context, in *secretsmanager.DescribeSecretInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.DescribeSecretOutput, error)
}

var _ Describer = (*secretsmanager.Client)(nil)

// seen holds the current version of every secret the provider has read:
// a secret version's value never changes, so while AWSCURRENT stays on
// the version read last, that read is the answer. It holds secret values
// (as a runtime.Cache over the provider does): never print it.
type seen struct {
	mu   sync.Mutex
	byID map[string]secret // text, binary and version only
}

// remember records s as the current version of the secret id.
func (m *seen) remember(id string, s secret) {
	if s.version == "" {
		return // nothing to compare a description with
	}
	m.mu.Lock()
	if m.byID == nil {
		m.byID = map[string]secret{}
	}
	m.byID[id] = secret{text: s.text, binary: s.binary, version: s.version}
	m.mu.Unlock()
}

// last returns the version of id read last.
func (m *seen) last(id string) (secret, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s, ok := m.byID[id]
	return s, ok
}

// forget drops every value held.
func (m *seen) forget() {
	m.mu.Lock()
	m.byID = nil
	m.mu.Unlock()
}

// describeStats are the counters of change detection.
type describeStats struct {
	calls, throttles, unchanged atomic.Int64
}

// describing reports whether reads of secrets read before describe them
// first.
func (p *Provider) describing() bool {
	return p.describer != nil && !p.noDescribe.Load()
}

// currentVersion returns the VersionId that holds AWSCURRENT in a
// DescribeSecret answer, or "".
func currentVersion(out *secretsmanager.DescribeSecretOutput) string {
	for id, stages := range out.VersionIdsToStages {
		if slices.Contains(stages, "AWSCURRENT") {
			return id
		}
	}
	return ""
}

// unchanged describes the secret id, which the provider read before, and
// returns that read when AWSCURRENT is still on its version. Anything
// else returns false: the caller reads the secret, and that read reports
// whatever is wrong. When AWSCURRENT moved, the secret returned holds
// only the VersionId it is on now (to read that version exactly); after a
// failed or throttled call, or for a secret scheduled for deletion, it is
// empty. An IAM policy that does not grant
// secretsmanager:DescribeSecret turns describing off for the provider's
// lifetime.
func (p *Provider) unchanged(ctx context.Context, id string) (secret, bool) {
	last, ok := p.seen.last(id)
	if !ok {
		return secret{}, false
	}
	p.describeStats.calls.Add(1)
	out, err := p.describer.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(id)}, callOptions)
	switch {
	case err == nil:
	case throttle(err):
		p.describeStats.throttles.Add(1)
		return secret{}, false
	case awscore.Denied(err):
		p.noDescribe.Store(true)
		return secret{}, false
	default:
		return secret{}, false
	}
	if out.DeletedDate != nil {
		return secret{}, false
	}
	if v := currentVersion(out); v != last.version {
		return secret{version: v}, false
	}
	p.describeStats.unchanged.Add(1)
	return last, true
}

// describeAll describes the targets known (indices into targets, each a
// current version the provider read before), at most p.concurrency calls
// at a time, and settles those that did not change with the value read
// last. It returns the indices of the others, to be read; those whose
// AWSCURRENT moved are now targets of the VersionId it moved to.
func (p *Provider) describeAll(ctx context.Context, targets []target, known []int, fetched []fetch, settled []bool) (read []int) {
	var (
		mu   sync.Mutex
		next int
		wg   sync.WaitGroup
	)
	for range min(p.concurrency, len(known)) {
		wg.Go(func() {
			for {
				mu.Lock()
				if next == len(known) || ctx.Err() != nil || !p.describing() {
					mu.Unlock()
					return
				}
				i := known[next]
				next++
				mu.Unlock()
				s, ok := p.unchanged(ctx, targets[i].id)
				switch {
				case ok:
					fetched[i] = fetch{Done: true, Value: s}
					settled[i] = true
				case s.version != "":
					// Read the version found: what describing saw is what
					// is read, even if AWSCURRENT moves again meanwhile
					// (the next read sees that).
					targets[i].version, targets[i].current = s.version, true
				}
			}
		})
	}
	wg.Wait()
	for _, i := range known {
		if !settled[i] {
			read = append(read, i)
		}
	}
	return read
}
