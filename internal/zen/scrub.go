package zen

// scrub removes the secrets from the times of the points, which a DecodeError would quote.
func (w *wireTrafficResponse) scrub(redact func(string) string) {
	for i := range w.DataList {
		w.DataList[i].Time = redact(w.DataList[i].Time)
	}
}

// scrub removes the secrets from every text field of an instance the API sent, before it becomes
// data that reports, logs and state keep. The ID is left alone: it is what calls are made with,
// and one that held a secret would fail the listing's checks or the call, not leak through them.
func (w *wireInstance) scrub(redact func(string) string) {
	for _, s := range []*string{&w.ZoneID, &w.InstanceName, &w.Hostname, &w.InstanceTypeID, &w.InstanceChargeType,
		&w.InternetChargeType, &w.ResourceGroupID, &w.ResourceGroupName, &w.InstanceStatus, &w.CreateTime, &w.ExpiredTime} {
		*s = redact(*s)
	}
	for _, list := range [][]string{w.PublicIPAddresses, w.PrivateIPAddresses} {
		for i := range list {
			list[i] = redact(list[i])
		}
	}
	if w.InstanceType != nil {
		w.InstanceType.InstanceTypeID = redact(w.InstanceType.InstanceTypeID)
	}
	if w.Tags != nil {
		for i := range w.Tags.Tags {
			w.Tags.Tags[i].Key, w.Tags.Tags[i].Value = redact(w.Tags.Tags[i].Key), redact(w.Tags.Tags[i].Value)
		}
	}
}
