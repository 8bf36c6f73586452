package pricing

// ListWorkers is how many list prices Costs asks at once.
const ListWorkers = listWorkers

// SetListWorkers makes p ask n list prices at once (1: one after another, as before they were
// asked concurrently), so that a test can compare the two.
func SetListWorkers(p *Pricer, n int) { p.workers = n }
