package zen

// service is one Zenlayer API service: the path after the endpoint, and the X-ZC-Service and
// X-ZC-Version it is called with (zenlayer-bmc-api.md §1.5). Signing is the same for all.
type service struct {
	name, version, path string
}

var (
	serviceBMC = service{name: apiService, version: apiVersion, path: apiPath}
	// serviceZBC is billing. Its SDK package is dated 2024-08-09 but sends 2024-08-08 (§1.5).
	serviceZBC = service{name: "zbc", version: "2024-08-08", path: "/api/v2/zbc"}
)
