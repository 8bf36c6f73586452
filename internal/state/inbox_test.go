package state_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/reaper-bmc/reaper/internal/state"
	"github.com/reaper-bmc/reaper/internal/state/statetest"
)

// TestInboxQueue runs the approval queue's conformance suite against a state directory's inbox.
func TestInboxQueue(t *testing.T) {
	statetest.RunQueue(t, func(t *testing.T) statetest.Queue { return state.NewInbox(t.TempDir()) })
}

// TestInboxQueueOrder: approvals come back in the order queued, whatever their queue times say.
func TestInboxQueueOrder(t *testing.T) {
	statetest.RunQueueOrder(t, func(t *testing.T) statetest.Queue { return state.NewInbox(t.TempDir()) })
}

// TestInboxWritesPrivateWholeFiles: the inbox is 0700, an entry 0600, and no temporary file is
// left behind; a temporary file of a write in progress is never read as an approval.
func TestInboxWritesPrivateWholeFiles(t *testing.T) {
	dir := t.TempDir()
	b := state.NewInbox(dir)
	id, err := b.QueueApproval(state.Approval{PlanRunID: "r1", Plan: []byte("{}"), QueuedAt: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(b.Dir())
	if err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("inbox dir: %v, %v; want 0700", fi.Mode(), err)
	}
	fi, err = os.Stat(filepath.Join(b.Dir(), id+".json"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("entry: %v, %v; want 0600", fi.Mode(), err)
	}
	ents, _ := os.ReadDir(b.Dir())
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), ".tmp-") {
			t.Errorf("temporary file left: %s", e.Name())
		}
	}
	if err := os.WriteFile(filepath.Join(b.Dir(), ".tmp-123"), []byte("half"), 0o600); err != nil {
		t.Fatal(err)
	}
	pending, err := b.PendingApprovals()
	if err != nil || len(pending) != 1 || pending[0].ID != id || pending[0].Err != nil {
		t.Errorf("PendingApprovals = %+v, %v; want only %s", pending, err, id)
	}
}

// TestInboxMalformedEntries: whatever else lands in the inbox (junk, a truncated request, an
// unknown field, a request without a plan, a directory) is returned with Err set and is moved
// to inbox/rejected when finished as rejected; a good entry beside them is unaffected.
func TestInboxMalformedEntries(t *testing.T) {
	dir := t.TempDir()
	b := state.NewInbox(dir)
	good, err := b.QueueApproval(state.Approval{PlanRunID: "r1", Plan: []byte("{}"), QueuedAt: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	bad := map[string]string{
		"notes.txt": "hello",
		"00000000000000000001-0000000000000000.json": `{"plan_run_id": "r1", "plan": "e30="`,
		"00000000000000000002-0000000000000000.json": `{"plan_run_id": "r1", "plan": "e30=", "by": "x", "extra": true}`,
		"00000000000000000003-0000000000000000.json": `{"plan_run_id": "r1"}`,
		"00000000000000000004-0000000000000000.json": `{"plan_run_id": "r1", "plan": "e30="} {}`,
	}
	for name, body := range bad {
		if err := os.WriteFile(filepath.Join(b.Dir(), name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(b.Dir(), "sub"), 0o700); err != nil {
		t.Fatal(err)
	}
	pending, err := b.PendingApprovals()
	if err != nil || len(pending) != len(bad)+2 {
		t.Fatalf("PendingApprovals = %+v, %v; want %d", pending, err, len(bad)+2)
	}
	for _, p := range pending {
		if (p.ID == good) != (p.Err == nil) {
			t.Errorf("entry %s: Err = %v", p.ID, p.Err)
		}
		if p.Err == nil {
			continue
		}
		if err := b.FinishApproval(p.ID, state.ApprovalOutcome{Status: state.ApprovalRejected, ExitCode: 1, Reason: p.Err.Error(), FinishedAt: time.Now()}); err != nil {
			t.Errorf("reject %s: %v", p.ID, err)
		}
	}
	pending, err = b.PendingApprovals()
	if err != nil || len(pending) != 1 || pending[0].ID != good {
		t.Errorf("pending after rejecting = %+v, %v; want only %s", pending, err, good)
	}
	moved, _ := os.ReadDir(filepath.Join(b.Dir(), "rejected"))
	if len(moved) != len(bad)+1 {
		t.Errorf("inbox/rejected holds %d entries, want %d", len(moved), len(bad)+1)
	}
}

// TestInboxMustBePrivate: an inbox directory others could write into (or read) would let another
// local user queue approvals: an inbox with any group or others permission, owned by a user that is
// neither this process's nor root, or that is a symbolic link is refused on every read and write,
// with an error naming its path and mode; nothing in it is read as an approval.
func TestInboxMustBePrivate(t *testing.T) {
	cases := []struct {
		name string
		make func(t *testing.T, inbox string)
		want string
	}{
		{"world writable", func(t *testing.T, inbox string) { chmod(t, inbox, 0o777) }, "mode 0777"},
		{"group writable", func(t *testing.T, inbox string) { chmod(t, inbox, 0o770) }, "mode 0770"},
		{"others may read", func(t *testing.T, inbox string) { chmod(t, inbox, 0o705) }, "mode 0705"},
		{"sticky, world writable", func(t *testing.T, inbox string) { chmod(t, inbox, 0o1777) }, "mode 0777"},
		{"another user's", func(t *testing.T, inbox string) {
			if os.Geteuid() != 0 {
				if os.Getenv("CI") == "true" { // CI runs as root: there this case must run
					t.Fatal("giving a directory to another user needs root, and CI runs as root")
				}
				t.Skip("giving a directory to another user needs root")
			}
			if err := os.Chown(inbox, 4242, 4242); err != nil {
				t.Fatal(err)
			}
		}, "owned by uid 4242"},
		{"a symbolic link", func(t *testing.T, inbox string) {
			elsewhere := t.TempDir()
			if err := os.Rename(inbox, filepath.Join(elsewhere, "inbox")); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(filepath.Join(elsewhere, "inbox"), inbox); err != nil {
				t.Fatal(err)
			}
		}, "symbolic link"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := state.NewInbox(t.TempDir())
			if _, err := b.QueueApproval(state.Approval{PlanRunID: "r1", Plan: []byte("{}"), QueuedAt: time.Now()}); err != nil {
				t.Fatal(err)
			}
			c.make(t, b.Dir())
			check := func(what string, err error) {
				t.Helper()
				if err == nil || !strings.Contains(err.Error(), b.Dir()) || !strings.Contains(err.Error(), c.want) {
					t.Errorf("%s of an inbox that is %s: %v; want an error naming %s and %q", what, c.name, err, b.Dir(), c.want)
				}
			}
			p, err := b.PendingApprovals()
			check("PendingApprovals", err)
			if len(p) != 0 {
				t.Errorf("PendingApprovals returned %d approvals from an inbox that is %s", len(p), c.name)
			}
			_, err = b.QueueApproval(state.Approval{PlanRunID: "r2", Plan: []byte("{}"), QueuedAt: time.Now()})
			check("QueueApproval", err)
			_, err = b.ApprovalOutcomes()
			check("ApprovalOutcomes", err)
			check("Prepare", b.Prepare())
		})
	}
}

func chmod(t *testing.T, path string, mode os.FileMode) {
	t.Helper()
	if mode&0o1000 != 0 {
		mode = mode&0o777 | os.ModeSticky
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}
