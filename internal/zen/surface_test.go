package zen

import (
	"reflect"
	"slices"
	"testing"
)

// TestClientSurface pins the calls a *Client can make. A reaper needs to list, describe, read
// traffic and terminate; a destructive call nothing uses (ReleaseInstances, which deletes for
// good) must not be one method away. Adding a method here is a decision, not a side effect.
func TestClientSurface(t *testing.T) {
	want := []string{
		"BillMonth", // billing (zbc), read only: a month's whole bill in pages, for cost per instance
		"DescribeInstanceTraffic",
		"DescribeInstances",
		"GoString",
		"InquiryPriceCreateInstance", // a quote for a new instance, read only, for cost per instance
		"ListInstances",
		"ListInstancesEach", // the same listing, read only, handing pages over as they arrive (reconcile streams)
		"LogValue",
		"ModifyResourceTags", // zrm: the mark tags (README, Mark tags); reaper writes only its own keys
		"Ping",               // one DescribeInstances of pageSize 1, for /readyz
		"String",
		"TerminateInstance",
	}
	typ := reflect.TypeFor[*Client]()
	var got []string
	for m := range typ.Methods() {
		got = append(got, m.Name)
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("exported methods of *Client:\n got %v\nwant %v", got, want)
	}
}
