package state

import (
	"fmt"
	"sync"
	"testing"
)

func TestConcurrentReadersAndWriters(t *testing.T) {
	const writers, perWriter, readers = 4, 25, 4
	s := openStore(t)
	errs := make(chan error, writers*perWriter*4+readers*perWriter*4)
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range perWriter {
				id := fmt.Sprintf("i-%d-%d", w, i)
				run := fmt.Sprintf("run-%d", w)
				errs <- s.PutIntent(Intent{RunID: run, InstanceID: id, CreatedAt: t0})
				errs <- s.PutTraffic(TrafficRecord{InstanceID: id, FetchedAt: t0, Samples: i})
				errs <- s.CompleteIntent(run, id, Outcome{Result: "terminated", At: t0})
				errs <- s.SetMeta(fmt.Sprint("writer-", w), id)
			}
		})
	}
	for range readers {
		wg.Go(func() {
			for range perWriter {
				_, err := s.Intents()
				errs <- err
				_, err = s.OpenIntents()
				errs <- err
				_, _, err = s.Traffic("i-0-0")
				errs <- err
				_, err = s.Runs(5)
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}

	if got, want := len(must(s.Intents())(t)), writers*perWriter; got != want {
		t.Errorf("intents = %d, want %d", got, want)
	}
	if got := must(s.OpenIntents())(t); len(got) != 0 {
		t.Errorf("open intents = %d, want 0", len(got))
	}
	for w := range writers {
		want := fmt.Sprintf("i-%d-%d", w, perWriter-1)
		if got, _, _ := s.Meta(fmt.Sprint("writer-", w)); got != want {
			t.Errorf("meta writer-%d = %q, want %q", w, got, want)
		}
		if rec, ok, _ := s.Traffic(want); !ok || rec.Samples != perWriter-1 {
			t.Errorf("Traffic(%s) = %+v, %v; want samples %d", want, rec, ok, perWriter-1)
		}
	}
}
