package zen

import (
	"context"
	"errors"
	"fmt"
)

const actionTerminateInstance = "TerminateInstance"

// TerminateInstance returns (terminates) one instance and gives the request ID of the accepted
// call. POSTPAID instances move to the recycle bin; CREATE_FAILED ones are deleted at once; for a
// PREPAID one the API may cancel the subscription (200) or refuse it (IsSubscription).
//
// Refusals come back as *APIError, checkable with IsRecycled, IsNotFound, IsCreating,
// IsInstalling, IsSubscription and IsPostpaidPromise.
//
// Retries: like every call, TerminateInstance retries throttling, 5xx, attempt timeouts and
// connection resets. After a timeout or reset the first attempt may have reached the server and
// succeeded, so a retry can answer OPERATION_DENIED_INSTANCE_RECYCLED (or, for an instance that
// was CREATE_FAILED, INVALID_INSTANCE_NOT_FOUND). This is deliberate: the caller treats an
// already-recycled instance as terminated, and the extra call changes nothing on the server.
func (c *Client) TerminateInstance(ctx context.Context, id string) (requestID string, err error) {
	if id == "" {
		return "", errors.New("terminate instance: empty instance ID")
	}
	_, reqID, err := call[wireResponse](ctx, c, actionTerminateInstance, wireTerminateRequest{InstanceID: id})
	if err != nil {
		return "", fmt.Errorf("terminate instance %s: %w", id, err)
	}
	return reqID, nil
}
