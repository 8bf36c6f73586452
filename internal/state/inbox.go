package state

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Approval is a plan approved with `reaper apply` while a running reaper held the state (the
// bbolt directory's lock, or PostgreSQL leadership): the request that reaper picks up and
// applies (README, Plans and approval, README "Plans and approval"). It carries the plan file's bytes, not a
// path: what the operator approved is what is applied, whatever happens to the file afterwards.
// The daemon checks the plan again before it acts; nothing here is trusted.
type Approval struct {
	ID        string    `json:"-"`           // assigned by the queue
	PlanRunID string    `json:"plan_run_id"` // the plan's run, for logs and the lookup; the plan is the authority
	Plan      []byte    `json:"plan"`        // the plan file as it was read
	Only      []string  `json:"only"`
	Exclude   []string  `json:"exclude"`
	By        string    `json:"by"` // user@host that ran reaper apply
	QueuedAt  time.Time `json:"queued_at"`
}

// PendingApproval is a queued approval as the queue holds it. Err is set when the entry could
// not be read as an Approval: it is malformed and must never be acted on (finish it as
// ApprovalRejected).
type PendingApproval struct {
	Approval
	Err error
	// Taken is the last take of a reaper that recorded no outcome (nil when none took it): that
	// reaper stopped, or lost leadership, or is still applying it.
	Taken *ApprovalTake
}

// ApprovalTake is a reaper taking a queued approval before it acts on it: the run it applies
// the plan as. An approval is finished only by the take that holds it (ApprovalOutcome.Take), so
// two reapers never both record an outcome; a take whose reaper stopped, or lost leadership, is
// taken over by the next (README, Plans and approval).
type ApprovalTake struct {
	Node  string    `json:"node"`
	RunID string    `json:"run_id"` // the apply's run: its plan claim and report name it
	At    time.Time `json:"at"`
	// Session is, on a shared state, the PostgreSQL backend PID of the taker's leadership session:
	// the take holds only while that session leads. 0 on a bbolt state directory.
	Session uint32 `json:"session,omitempty"`
}

// ErrNotTaken is a take refused: this reaper does not lead (on a shared state, its leadership
// session no longer holds the lock), or the approval is finished. It must not act on it.
var ErrNotTaken = errors.New("approval not taken")

// What became of a queued approval.
const (
	ApprovalApplied  = "applied"  // the apply ran and wrote its report (its own result may be blocked or failed)
	ApprovalRefused  = "refused"  // a check refused it before anything was described or terminated
	ApprovalRejected = "rejected" // the entry was malformed: never acted on
)

// ApprovalOutcome is what the daemon recorded for a queued approval.
type ApprovalOutcome struct {
	ApprovalID string    `json:"approval_id"`
	PlanRunID  string    `json:"plan_run_id"`
	Status     string    `json:"status"`           // ApprovalApplied, ApprovalRefused or ApprovalRejected
	RunID      string    `json:"run_id,omitempty"` // the apply's run, when it wrote a report
	ExitCode   int       `json:"exit_code"`        // what `reaper apply` would have exited with
	Reason     string    `json:"reason,omitempty"`
	Node       string    `json:"node,omitempty"`
	FinishedAt time.Time `json:"finished_at"`
	// Take is the run ID of the take that recorded the outcome ("" for an approval never taken):
	// on a shared state only the approval's current take may finish it.
	Take string `json:"take,omitempty"`
}

// ApprovalOutcomeKeep is how long a finished approval's outcome is kept for `reaper apply --wait`.
const ApprovalOutcomeKeep = 30 * 24 * time.Hour

// Inbox is the approval queue of a bbolt state directory: <state dir>/inbox, one file per queued
// approval. It needs no lock: `reaper apply` writes into it while the daemon holds the directory,
// and only the daemon holding the lock reads and removes entries. Each entry is written whole
// (a temporary file, fsynced, renamed into place, the directory fsynced), mode 0600 in a 0700
// directory; an outcome is kept in inbox/done, a malformed entry is moved to inbox/rejected.
//
// Recording an outcome is the one step that takes an approval off the queue: an entry whose
// outcome is recorded is never pending again, whether or not its file could be removed (it is
// removed at the next look), so an approval is never taken twice.
type Inbox struct {
	dir string
	// remove and rename take a finished entry's file away; tests replace them to fail.
	remove func(name string) error
	rename func(from, to string) error
}

const (
	inboxDir    = "inbox"
	inboxDone   = "done"
	inboxReject = "rejected"
	inboxTaken  = "taken"
	inboxTemp   = ".tmp-"    // an entry being written; never read
	inboxSeq    = "sequence" // the number of the last approval queued (see nextSeq); never an entry
)

// inboxID is what an approval ID in the inbox looks like: "q", the approval's number in the
// inbox (nextSeq, 20 digits, so that names sort in the order queued) and random hex. IDs queued
// by earlier versions carry the queue time in nanoseconds instead of "q" and the number; they
// sort before every numbered one, among themselves by time.
var inboxID = regexp.MustCompile(`^([0-9]{19,20}|q[0-9]{20})-[0-9a-f]{16}$`)

// NewInbox returns the inbox of the state directory stateDir. Nothing is created until an
// approval is queued (or Prepare is called).
func NewInbox(stateDir string) *Inbox {
	return &Inbox{dir: filepath.Join(stateDir, inboxDir), remove: os.Remove, rename: os.Rename}
}

// Dir is the inbox directory.
func (b *Inbox) Dir() string { return b.dir }

// Prepare creates the inbox directories (0700) when missing. The daemon calls it at start, so
// that they belong to the user the state directory belongs to. An inbox that is not private (see
// checkPrivate) is refused.
func (b *Inbox) Prepare() error {
	for _, d := range []string{b.dir, filepath.Join(b.dir, inboxDone), filepath.Join(b.dir, inboxReject), filepath.Join(b.dir, inboxTaken)} {
		if err := mkdirLike(d, filepath.Dir(d)); err != nil {
			return fmt.Errorf("create approval inbox: %w", err)
		}
		if d == b.dir {
			if err := b.checkPrivate(); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkPrivate refuses an inbox that another local user could queue approvals in (or read them
// from): a symbolic link, a directory with any permission for group or others, or one owned by a
// user that is neither this process's, root, nor the owner of the state directory (the daemon's
// user, when apply runs as root). A missing inbox is an error that wraps fs.ErrNotExist.
func (b *Inbox) checkPrivate() error {
	fi, err := os.Lstat(b.dir)
	if err != nil {
		return fmt.Errorf("approval inbox: %w", err)
	}
	mode := fi.Mode()
	switch {
	case mode&fs.ModeSymlink != 0:
		return fmt.Errorf("approval inbox %s is a symbolic link (mode %s); it must be a directory of its own, mode 0700", b.dir, mode)
	case !mode.IsDir():
		return fmt.Errorf("approval inbox %s is not a directory (mode %s)", b.dir, mode)
	case mode.Perm()&0o077 != 0:
		return fmt.Errorf("approval inbox %s has mode %#o: other users could queue approvals in it or read them; "+
			"it must be 0700, owned by the daemon's user (chmod 700 %s)", b.dir, mode.Perm(), b.dir)
	}
	uid, ok := ownerOf(fi)
	if !ok || uid == 0 || uid == os.Geteuid() {
		return nil
	}
	if parent, err := os.Stat(filepath.Dir(b.dir)); err == nil {
		if puid, ok := ownerOf(parent); ok && puid == uid {
			return nil
		}
	}
	return fmt.Errorf("approval inbox %s (mode %#o) is owned by uid %d, neither this reaper's user (uid %d), root, nor the state directory's owner; "+
		"another user could queue approvals in it", b.dir, mode.Perm(), uid, os.Geteuid())
}

// readable checks the inbox before a read: ok is false (with no error) when there is no inbox.
func (b *Inbox) readable() (ok bool, err error) {
	err = b.checkPrivate()
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	return err == nil, err
}

// QueueApproval writes a into the inbox and returns its ID.
func (b *Inbox) QueueApproval(a Approval) (string, error) {
	if err := b.Prepare(); err != nil {
		return "", err
	}
	if a.QueuedAt.IsZero() {
		a.QueuedAt = time.Now()
	}
	var rnd [8]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		return "", fmt.Errorf("queue approval: %w", err)
	}
	seq, err := b.nextSeq()
	if err != nil {
		return "", fmt.Errorf("queue approval: %w", err)
	}
	id := fmt.Sprintf("q%020d-%s", seq, hex.EncodeToString(rnd[:]))
	data, err := json.Marshal(a)
	if err != nil {
		return "", fmt.Errorf("queue approval: %w", err)
	}
	if err := writeFileAtomic(b.dir, id+".json", data); err != nil {
		return "", fmt.Errorf("queue approval: %w", err)
	}
	return id, nil
}

// nextSeq returns the number of the approval being queued: one more than the last, counted in
// inbox/sequence under an exclusive lock held while it is read and rewritten, so that approvals
// queued by several `reaper apply` at once get distinct numbers in the order they got them, and
// sort so whatever the clock said (README, "Order by sequence, not time"). The count is on disk
// before the approval that carries it; a count that is not a number is an error, never a restart
// from 1.
func (b *Inbox) nextSeq() (uint64, error) {
	path := filepath.Join(b.dir, inboxSeq)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return 0, fmt.Errorf("approval sequence: %w", err)
	}
	defer f.Close() // closing releases the lock
	if err := chownLike(f, b.dir); err != nil {
		return 0, fmt.Errorf("approval sequence: %w", err)
	}
	if err := lockWait(f); err != nil {
		return 0, fmt.Errorf("approval sequence: lock %s: %w", path, err)
	}
	data, err := io.ReadAll(io.LimitReader(f, 64))
	if err != nil {
		return 0, fmt.Errorf("approval sequence: %w", err)
	}
	var last uint64
	if text := strings.TrimSpace(string(data)); text != "" {
		if last, err = strconv.ParseUint(text, 10, 64); err != nil || last == math.MaxUint64 {
			return 0, fmt.Errorf("approval sequence: %s holds %q, not the number of the last approval queued; "+
				"set it to a number above every queued approval's (q<number>-…) or remove it if the inbox is empty", path, truncateText(text, 40))
		}
	}
	next := strconv.FormatUint(last+1, 10) + "\n"
	if err := f.Truncate(0); err != nil {
		return 0, fmt.Errorf("approval sequence: %w", err)
	}
	if _, err := f.WriteAt([]byte(next), 0); err != nil {
		return 0, fmt.Errorf("approval sequence: %w", err)
	}
	if err := f.Sync(); err != nil {
		return 0, fmt.Errorf("approval sequence: %w", err)
	}
	return last + 1, nil
}

func truncateText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// PendingApprovals returns the queued approvals, oldest first. An entry that cannot be read as an
// approval is returned with Err set. A missing inbox is an empty one. An entry whose outcome is
// recorded is finished, not pending: its file, left behind when taking it away failed, is taken
// away now (or at a later look).
func (b *Inbox) PendingApprovals() ([]PendingApproval, error) {
	if ok, err := b.readable(); !ok {
		return nil, err
	}
	ents, err := os.ReadDir(b.dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read approval inbox: %w", err)
	}
	var out []PendingApproval
	for _, e := range ents {
		name := e.Name()
		if strings.HasPrefix(name, inboxTemp) || (name == inboxSeq && e.Type().IsRegular()) ||
			(e.IsDir() && (name == inboxDone || name == inboxReject || name == inboxTaken)) {
			continue
		}
		id := strings.TrimSuffix(name, ".json")
		p := PendingApproval{Approval: Approval{ID: name}}
		if id != name && inboxID.MatchString(id) {
			p.ID = id
		}
		if status, done := b.finished(p.ID); done {
			if status != "" {
				_ = b.takeAway(name, status) // best effort: it stays finished either way
			}
			continue
		}
		switch {
		case !e.Type().IsRegular():
			p.Err = fmt.Errorf("%s is not a regular file", name)
		case id == name || !inboxID.MatchString(id):
			p.Err = fmt.Errorf("%s is not named as reaper names an approval", name)
		default:
			p.Err = readApproval(filepath.Join(b.dir, name), &p.Approval)
			p.Approval.ID = id
		}
		p.Taken = b.taken(p.ID)
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b PendingApproval) int { return strings.Compare(a.ID, b.ID) })
	b.dropFinishedTakes()
	return out, nil
}

// dropFinishedTakes removes the takes of finished approvals (best effort): FinishApproval removes
// a take after it recorded the outcome, so a reaper that stopped between the two, or a removal
// that failed, leaves one behind that no later finish would remove.
func (b *Inbox) dropFinishedTakes() {
	ents, _ := os.ReadDir(filepath.Join(b.dir, inboxTaken))
	for _, e := range ents {
		id, ok := strings.CutSuffix(e.Name(), ".json")
		if !ok || strings.HasPrefix(id, inboxTemp) {
			continue
		}
		if _, done := b.finished(id); done {
			_ = os.Remove(filepath.Join(b.dir, inboxTaken, e.Name()))
		}
	}
}

// TakeApproval records t as the take of the queued approval id (inbox/taken/<id>.json, written
// whole), replacing an earlier one: only the reaper holding the state directory's lock reads the
// inbox, so an earlier take is that of a reaper that stopped before it recorded an outcome.
func (b *Inbox) TakeApproval(id string, t ApprovalTake) error {
	if strings.ContainsAny(id, `/\`) || id == "" || strings.HasPrefix(id, ".") {
		return fmt.Errorf("take approval %q: not an inbox entry", id)
	}
	if _, done := b.finished(id); done {
		return fmt.Errorf("take approval %s: %w: its outcome is recorded", id, ErrNotTaken)
	}
	data, err := json.Marshal(t)
	if err != nil {
		return fmt.Errorf("take approval %s: %w", id, err)
	}
	if err := b.Prepare(); err != nil {
		return err
	}
	if err := writeFileAtomic(filepath.Join(b.dir, inboxTaken), id+".json", data); err != nil {
		return fmt.Errorf("take approval %s: %w", id, err)
	}
	return nil
}

// taken returns the recorded take of the inbox entry id, nil when there is none or it cannot be
// read (the approval is then taken afresh: a reaper that acted claimed the plan, and the claim is
// what decides).
func (b *Inbox) taken(id string) *ApprovalTake {
	data, err := os.ReadFile(filepath.Join(b.dir, inboxTaken, id+".json"))
	if err != nil {
		return nil
	}
	var t ApprovalTake
	if json.Unmarshal(data, &t) != nil {
		return nil
	}
	return &t
}

// readApproval decodes the file at path strictly into a.
func readApproval(path string, a *Approval) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	return DecodeApproval(data, a)
}

// DecodeApproval reads data strictly as an Approval: an unknown field, trailing data, or a
// request without a plan or plan run ID is malformed.
func DecodeApproval(data []byte, a *Approval) error {
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(a); err != nil {
		return fmt.Errorf("not an approval: %w", err)
	}
	if dec.More() {
		return errors.New("not an approval: data after the request")
	}
	if len(a.Plan) == 0 || a.PlanRunID == "" {
		return errors.New("not an approval: no plan or plan_run_id")
	}
	return nil
}

// FinishApproval records o as the outcome of the queued approval id, which takes it off the queue
// in one step: the outcome file is linked into inbox/done whole, and an entry with an outcome is
// never pending again. Its file is then taken away (a rejected entry is moved to inbox/rejected as
// it is, any other is removed); when that fails the error says so, and the next look at the queue
// tries again. An outcome is recorded once: finishing a finished approval is an error and changes
// nothing. Outcomes older than ApprovalOutcomeKeep are pruned.
func (b *Inbox) FinishApproval(id string, o ApprovalOutcome) error {
	if strings.ContainsAny(id, `/\`) || id == "" || strings.HasPrefix(id, ".") {
		return fmt.Errorf("finish approval %q: not an inbox entry", id)
	}
	if err := b.Prepare(); err != nil {
		return err
	}
	o.ApprovalID = id
	data, err := json.Marshal(o)
	if err != nil {
		return fmt.Errorf("finish approval %s: %w", id, err)
	}
	name := id
	if inboxID.MatchString(id) {
		name = id + ".json"
	}
	if err := writeFileOnce(filepath.Join(b.dir, inboxDone), id+".json", data); errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("finish approval %s: its outcome is already recorded", id)
	} else if err != nil {
		return fmt.Errorf("finish approval %s: %w", id, err)
	}
	_ = os.Remove(filepath.Join(b.dir, inboxTaken, id+".json")) // best effort: a finished approval's take is never read
	if err := b.takeAway(name, o.Status); err != nil {
		return fmt.Errorf("finish approval %s: outcome recorded, but the entry stays in the inbox until the next look: %w", id, err)
	}
	b.prune(o.FinishedAt.Add(-ApprovalOutcomeKeep))
	return syncDir(b.dir)
}

// takeAway removes the finished entry name from the inbox, or moves it to inbox/rejected when its
// outcome is ApprovalRejected. An entry already gone is no error.
func (b *Inbox) takeAway(name, status string) error {
	var err error
	src := filepath.Join(b.dir, name)
	if status == ApprovalRejected {
		err = b.rename(src, filepath.Join(b.dir, inboxReject, name))
	} else {
		err = b.remove(src)
	}
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

// prune removes the outcomes finished before cutoff (best effort: an outcome kept too long is
// harmless), but never one whose entry is still in the inbox: that outcome is what keeps it off
// the queue.
func (b *Inbox) prune(cutoff time.Time) {
	dir := filepath.Join(b.dir, inboxDone)
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		var o ApprovalOutcome
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil || json.Unmarshal(data, &o) != nil || o.FinishedAt.IsZero() || !o.FinishedAt.Before(cutoff) {
			continue
		}
		id := strings.TrimSuffix(e.Name(), ".json")
		entry := id
		if inboxID.MatchString(id) {
			entry = id + ".json"
		}
		if _, err := os.Lstat(filepath.Join(b.dir, entry)); !errors.Is(err, fs.ErrNotExist) {
			continue
		}
		_ = os.Remove(filepath.Join(dir, e.Name()))
	}
}

// ApprovalOutcome returns the recorded outcome of approval id; ok is false while it is queued
// (or unknown).
func (b *Inbox) ApprovalOutcome(id string) (ApprovalOutcome, bool, error) {
	if !inboxID.MatchString(id) {
		return ApprovalOutcome{}, false, fmt.Errorf("read approval outcome: %q is not an approval ID", id)
	}
	if ok, err := b.readable(); !ok {
		return ApprovalOutcome{}, false, err
	}
	return b.outcome(id)
}

// finished reports whether the inbox entry id (an approval ID, or the name of a malformed entry)
// has an outcome recorded, and its status ("" when the outcome cannot be read: it is finished all
// the same).
func (b *Inbox) finished(id string) (status string, ok bool) {
	if _, err := os.Lstat(filepath.Join(b.dir, inboxDone, id+".json")); errors.Is(err, fs.ErrNotExist) {
		return "", false
	}
	o, _, _ := b.outcome(id)
	return o.Status, true
}

// outcome reads the recorded outcome of the inbox entry id (an approval ID, or the name of a
// malformed entry); ok is false when there is none.
func (b *Inbox) outcome(id string) (ApprovalOutcome, bool, error) {
	data, err := os.ReadFile(filepath.Join(b.dir, inboxDone, id+".json"))
	if errors.Is(err, fs.ErrNotExist) {
		return ApprovalOutcome{}, false, nil
	}
	if err != nil {
		return ApprovalOutcome{}, false, fmt.Errorf("read approval outcome: %w", err)
	}
	var o ApprovalOutcome
	if err := json.Unmarshal(data, &o); err != nil {
		return ApprovalOutcome{}, false, fmt.Errorf("read approval outcome %s: %w", id, err)
	}
	return o, true, nil
}

// ApprovalOutcomes returns every kept outcome (for the checks `reaper apply` makes before it
// queues: a plan the daemon applied is not queued again).
func (b *Inbox) ApprovalOutcomes() ([]ApprovalOutcome, error) {
	if ok, err := b.readable(); !ok {
		return nil, err
	}
	dir := filepath.Join(b.dir, inboxDone)
	ents, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read approval outcomes: %w", err)
	}
	var out []ApprovalOutcome
	for _, e := range ents {
		if !strings.HasSuffix(e.Name(), ".json") {
			continue
		}
		var o ApprovalOutcome
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil || json.Unmarshal(data, &o) != nil {
			continue // a damaged outcome says nothing; the daemon's claim check still holds
		}
		out = append(out, o)
	}
	return out, nil
}

// writeFileAtomic writes data to dir/name whole or not at all: a temporary file in dir (0600,
// owned like dir), fsynced, renamed into place, and dir fsynced.
func writeFileAtomic(dir, name string, data []byte) error {
	return writeTemp(dir, data, func(tmp string) error { return os.Rename(tmp, filepath.Join(dir, name)) })
}

// writeTemp writes data to a temporary file in dir (0600, owned like dir), fsyncs it, puts it in
// place with place, and fsyncs dir. The temporary file is removed in any case.
func writeTemp(dir string, data []byte, place func(tmp string) error) error {
	f, err := os.CreateTemp(dir, inboxTemp+"*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp) // after a rename there is nothing to remove; after a link, the second name
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return err
	}
	if err := chownLike(f, dir); err != nil {
		f.Close()
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := place(tmp); err != nil {
		return err
	}
	return syncDir(dir)
}

// writeFileOnce writes data to dir/name whole, as writeFileAtomic does, but only if dir/name does
// not exist yet: the temporary file is linked into place, which fails with fs.ErrExist when it
// does.
func writeFileOnce(dir, name string, data []byte) error {
	return writeTemp(dir, data, func(tmp string) error { return os.Link(tmp, filepath.Join(dir, name)) })
}

// mkdirLike creates dir (0700) when missing, owned like parent (see chownLike).
func mkdirLike(dir, parent string) error {
	if fi, err := os.Stat(dir); err == nil {
		if !fi.IsDir() {
			return fmt.Errorf("%s is not a directory", dir)
		}
		return nil
	}
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return chownLike(d, parent)
}
