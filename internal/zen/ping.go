package zen

import (
	"context"
	"fmt"
)

// Ping makes the lightest authenticated call there is, one DescribeInstances page of one
// instance, to learn whether the endpoint answers and accepts the credentials. It reads nothing
// the caller uses.
func (c *Client) Ping(ctx context.Context) error {
	req := wireDescribeRequest{PageNum: 1, PageSize: 1}
	if _, _, err := call[wireDescribeResponse](ctx, c, actionDescribeInstances, req); err != nil {
		return fmt.Errorf("ping: %w", err)
	}
	return nil
}
