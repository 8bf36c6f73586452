package zensim

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/reaper-bmc/reaper/internal/zen"
)

// RecycleRetention is how long a terminated instance stays in the recycle bin before release.
const RecycleRetention = 24 * time.Hour

// Load replaces the simulated fleet with f. It fails, changing nothing, on an empty or duplicate
// ID or an invalid field. Unless f.Verbatim, an empty Status becomes RUNNING and an empty
// ChargeType POSTPAID. Recorded calls, faults and the rate limit are kept.
func (s *Server) Load(f Fleet) error {
	if err := f.validate(); err != nil {
		return fmt.Errorf("load fleet: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.opts.Now()
	s.byID = make(map[string]*SimInstance, len(f.Instances))
	s.order = make([]*SimInstance, 0, len(f.Instances))
	clear(s.timed)
	for _, in := range f.Instances {
		c := in.clone()
		if !f.Verbatim {
			c.fillDefaults()
		}
		c.normalize(now)
		s.byID[c.ID] = &c
		s.order = append(s.order, &c)
		s.trackLocked(&c)
	}
	slices.SortFunc(s.order, func(a, b *SimInstance) int { return strings.Compare(a.ID, b.ID) })
	s.dateTagsLocked(now)
	s.prices = f.Prices.clone()
	s.bills = slices.Clone(f.Bills)
	return nil
}

// dateTagsLocked starts the account's tag registry afresh: each key=value tag of the fleet came to
// exist when the first instance carrying it was created (now for one without a creation time).
func (s *Server) dateTagsLocked(now time.Time) {
	s.tagCreated = map[Tag]time.Time{}
	for _, in := range s.order {
		created := in.CreatedAt
		if created.IsZero() || created.After(now) {
			created = now
		}
		created = created.UTC().Truncate(time.Second)
		for _, t := range in.tagPairs() {
			if c, ok := s.tagCreated[t]; !ok || created.Before(c) {
				s.tagCreated[t] = created
			}
		}
	}
}

// Instance returns a copy of the instance with the given ID.
func (s *Server) Instance(id string) (SimInstance, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	in, ok := s.byID[id]
	if !ok {
		return SimInstance{}, false
	}
	return in.clone(), true
}

// Instances returns copies of every instance, sorted by ID.
func (s *Server) Instances() []SimInstance {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]SimInstance, 0, len(s.order))
	for _, in := range s.order {
		out = append(out, in.clone())
	}
	return out
}

// Mutate applies fn to the stored instance with the given ID, under the simulator's lock (fn must
// not call the Server). Changes to the ID are ignored, and every other field is kept as fn left
// it (an empty status stays empty). It reports whether the instance exists.
func (s *Server) Mutate(id string, fn func(*SimInstance)) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	in, ok := s.byID[id]
	if !ok {
		return false
	}
	fn(in)
	in.ID = id
	in.normalize(s.opts.Now())
	s.trackLocked(in)
	return true
}

// Remove deletes the instance with the given ID, as if it had been released. It reports whether it
// existed.
func (s *Server) Remove(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.byID[id]; !ok {
		return false
	}
	s.removeLocked(map[string]struct{}{id: {}})
	return true
}

// Tick applies the time-based transitions due at the simulator clock: cancelled subscriptions past
// their expiry go to RECYCLE, and recycled instances are released after RecycleRetention. Every
// request does this first, so Tick is only needed to observe the effect without a request.
func (s *Server) Tick() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.applyTimeLocked(s.opts.Now())
}

func (s *Server) applyTimeLocked(now time.Time) {
	if len(s.timed) == 0 {
		return
	}
	release := map[string]struct{}{}
	for id := range s.timed {
		in := s.byID[id]
		if in.SubscriptionCancelled && in.Status != zen.StatusRecycle && in.ExpiresAt != nil && !now.Before(*in.ExpiresAt) {
			in.Status = zen.StatusRecycle
			in.RecycledAt = cloneTime(in.ExpiresAt)
		}
		if in.Status == zen.StatusRecycle && in.RecycledAt != nil && !now.Before(in.RecycledAt.Add(RecycleRetention)) {
			release[id] = struct{}{}
		}
	}
	if len(release) > 0 {
		s.removeLocked(release)
	}
}

// trackLocked keeps s.timed in step with whether in has a pending time-based transition.
func (s *Server) trackLocked(in *SimInstance) {
	recycled := in.Status == zen.StatusRecycle && in.RecycledAt != nil
	expiring := in.SubscriptionCancelled && in.ExpiresAt != nil
	if recycled || expiring {
		s.timed[in.ID] = struct{}{}
	} else {
		delete(s.timed, in.ID)
	}
}

// removeLocked deletes a set of instances in one pass over the sorted IDs.
func (s *Server) removeLocked(ids map[string]struct{}) {
	for id := range ids {
		delete(s.byID, id)
		delete(s.timed, id)
	}
	s.order = slices.DeleteFunc(s.order, func(in *SimInstance) bool {
		_, gone := ids[in.ID]
		return gone
	})
}

// lookupLocked finds an instance or returns the API's not-found error.
func (s *Server) lookupLocked(id string) (*SimInstance, *apiError) {
	in, ok := s.byID[id]
	if !ok {
		return nil, instanceNotFound(id)
	}
	return in, nil
}
