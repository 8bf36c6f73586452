package metrics

// SetLeader sets reaper_leader: 1 while this reaper leads its state, 0 while it stands by.
func (m *Metrics) SetLeader(leading bool) {
	v := 0.0
	if leading {
		v = 1
	}
	m.leader.Set(v)
}
