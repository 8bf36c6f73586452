package zensim

import (
	"github.com/reaper-bmc/reaper/internal/zen"
)

type terminateInstanceRequest struct {
	InstanceID string `json:"instanceId"`
}

// terminateInstance returns an instance (zenlayer-bmc-api.md §4, §5; seed-terminateinstance.md).
func (s *Server) terminateInstance(req *request) (any, *apiError) {
	var in terminateInstanceRequest
	if e := decodeBody(req.body, &in); e != nil {
		return nil, e
	}
	if in.InstanceID == "" {
		return nil, missingParameter("instanceId")
	}
	inst, e := s.lookupLocked(in.InstanceID)
	if e != nil {
		return nil, e
	}
	if e := s.refuseTerminateLocked(inst); e != nil {
		return nil, e
	}
	if req.notTaken {
		return emptyResponse{RequestID: req.requestID}, nil
	}
	switch {
	case inst.Status == zen.StatusCreateFailed:
		s.removeLocked(map[string]struct{}{inst.ID: {}})
	case inst.ChargeType == zen.ChargePrepaid: // only reached with PrepaidCancels
		inst.AutoRenew, inst.AutoRenewUnknown = false, false
		inst.SubscriptionCancelled = true
	default:
		now := req.now
		inst.Status = zen.StatusRecycle
		inst.RecycledAt = &now
	}
	if _, ok := s.byID[inst.ID]; ok {
		s.trackLocked(inst)
	}
	return emptyResponse{RequestID: req.requestID}, nil
}

// refuseTerminateLocked returns the 403 the API gives for an instance it will not return, in the
// order the checks apply: status first, then billing.
func (s *Server) refuseTerminateLocked(inst *SimInstance) *apiError {
	switch inst.Status {
	case zen.StatusRecycle, zen.StatusRecycling:
		return operationDenied("OPERATION_DENIED_INSTANCE_RECYCLED", "the instance `%s` is in the recycle bin", inst.ID)
	case zen.StatusPending, zen.StatusCreating:
		return operationDenied("OPERATION_DENIED_INSTANCE_CREATING", "the instance `%s` is being created", inst.ID)
	case zen.StatusInstalling:
		return operationDenied("OPERATION_DENIED_INSTANCE_STATUS_INSTALLING", "the instance `%s` is installing", inst.ID)
	case zen.StatusCreateFailed:
		return nil // deleted at once, prepaid money refunded
	}
	if inst.ChargeType == zen.ChargePrepaid && !s.opts.PrepaidCancels {
		return operationDenied("OPERATION_DENIED_INSTANCE_SUBSCRIPTION", "subscription instances do not support this operation")
	}
	if inst.ChargeType != zen.ChargePrepaid && inst.Commitment {
		return operationDenied("OPERATION_DENIED_POSTPAID_PROMISE", "operation failed, resources in commitment period")
	}
	return nil
}
