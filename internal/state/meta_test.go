package state

import "testing"

func TestMeta(t *testing.T) {
	s := openStore(t)
	if v, ok, err := s.Meta("last_config_digest"); v != "" || ok || err != nil {
		t.Errorf("Meta(unset) = %q, %v, %v; want \"\", false, nil", v, ok, err)
	}
	for _, v := range []string{"sha256:aa", "sha256:bb", ""} {
		if err := s.SetMeta("last_config_digest", v); err != nil {
			t.Fatal(err)
		}
		if got, ok, err := s.Meta("last_config_digest"); got != v || !ok || err != nil {
			t.Errorf("Meta after SetMeta(%q) = %q, %v, %v; want %q, true, nil", v, got, ok, err, v)
		}
	}
}

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
