package leader

// tableDDL is the leadership table as the state migration creates it, for tests that run without
// the migrator. s is the quoted schema.
func tableDDL(s string) string {
	return `CREATE TABLE ` + s + `.leadership (
		id integer PRIMARY KEY CHECK (id = 1),
		node text NOT NULL,
		pid integer NOT NULL,
		acquired_at timestamptz NOT NULL,
		fenced_at timestamptz NOT NULL)`
}
