package state

import "testing"

func TestSetMetaReservedKeys(t *testing.T) {
	s := openStore(t)
	for _, key := range []string{"", "schema_version"} {
		if err := s.SetMeta(key, "2"); err == nil {
			t.Errorf("SetMeta(%q) succeeded, want an error", key)
		}
	}
	if v, _, _ := s.Meta("schema_version"); v != "1" {
		t.Errorf("schema_version = %q, want \"1\"", v)
	}
}
