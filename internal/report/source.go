package report

import "iter"

// Rows is a source of a run's instances that the run does not hold as a slice: a recorder builds
// row i from the cycle's own outcome i whenever the row is read, so that a cycle does not hold its
// outcomes and a second full array of report rows at once. Row returns the row as the cycle gave
// it (the costs it found included); Run.Row applies what Finalize derives per row.
type Rows interface {
	Len() int
	// Action is row i's Action, without building the row.
	Action(i int) string
	Row(i int) Instance
}

// RowSource is a run's row source and what Finalize derives its rows with.
type RowSource struct {
	rows    Rows
	pricing map[string]float64 // what Finalize was given
}

// SetRows makes src the run's instances in place of Instances, which it clears. Call Finalize
// afterwards; src must not change while the run is in use.
func (r *Run) SetRows(src Rows) { r.Instances, r.Source = nil, &RowSource{rows: src} }

// Len is the number of the run's instances.
func (r *Run) Len() int {
	if r.Source != nil {
		return r.Source.rows.Len()
	}
	return len(r.Instances)
}

// Action is instance i's action.
func (r *Run) Action(i int) string {
	if r.Source != nil {
		return r.Source.rows.Action(i)
	}
	return r.Instances[i].Action
}

// Row returns instance i as the report writes it. A run with a row source builds it and applies
// Finalize's per-row derivations (finalizeRow) with the pricing Finalize was given.
func (r *Run) Row(i int) Instance {
	if r.Source == nil {
		return r.Instances[i]
	}
	in := r.Source.rows.Row(i)
	finalizeRow(&in, r.Source.pricing)
	return in
}

// All yields every instance in order, as Row returns it. The yielded pointer is valid only until
// the next iteration.
func (r *Run) All() iter.Seq2[int, *Instance] {
	return func(yield func(int, *Instance) bool) {
		if r.Source == nil {
			for i := range r.Instances {
				if !yield(i, &r.Instances[i]) {
					return
				}
			}
			return
		}
		for i := range r.Source.rows.Len() {
			in := r.Row(i)
			if !yield(i, &in) {
				return
			}
		}
	}
}

// Materialized returns every instance as a slice: Instances, or, for a run with a row source, a
// new slice of all its rows (a report read back, a document marshalled whole, tests).
func (r *Run) Materialized() []Instance {
	if r.Source == nil {
		return r.Instances
	}
	out := make([]Instance, 0, r.Source.rows.Len())
	for _, in := range r.All() {
		out = append(out, *in)
	}
	return out
}

// header is r without its instances, for writing the document's header.
func (r *Run) header() Run {
	h := *r
	h.Instances, h.Source = nil, nil
	return h
}
