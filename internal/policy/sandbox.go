package policy

import (
	_ "embed"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/util"
)

// deniedBuiltins are builtins policies may not call, beside every builtin OPA itself marks
// non-deterministic. Each reaches the network, the clock, randomness or the environment.
var deniedBuiltins = []string{
	"http.send",
	"opa.runtime",
	"time.now_ns",
	"rand.intn",
	"uuid.rfc4122",
	"io.jwt.decode_verify",   // checks exp/nbf against the clock
	"io.jwt.encode_sign",     // random for some algorithms
	"io.jwt.encode_sign_raw", // random for some algorithms
	"crypto.x509.parse_and_verify_certificates",              // verifies against the clock
	"crypto.x509.parse_and_verify_certificates_with_options", // verifies against the clock
	"json.match_schema",      // may fetch remote $ref schemas
	"json.verify_schema",     // may fetch remote $ref schemas
	"providers.aws.sign_req", // signs requests policies cannot send
}

// deniedPrefixes deny whole families of builtins.
var deniedPrefixes = []string{"http.", "net.", "rand.", "opa."}

// denied reports whether policies may not call the builtin b.
func denied(b *ast.Builtin) bool {
	if b.Nondeterministic || slices.Contains(deniedBuiltins, b.Name) {
		return true
	}
	for _, p := range deniedPrefixes {
		if strings.HasPrefix(b.Name, p) {
			return true
		}
	}
	return false
}

var (
	sandboxOnce sync.Once
	sandboxCaps *ast.Capabilities
	deniedNames map[string]bool
)

// capabilities returns the sandbox: the capabilities of this OPA version without the denied
// builtins, and with no network access for schemas. The value is shared: never modify it.
func capabilities() *ast.Capabilities {
	sandboxOnce.Do(func() {
		caps := ast.CapabilitiesForThisVersion()
		deniedNames = map[string]bool{}
		kept := caps.Builtins[:0]
		for _, b := range caps.Builtins {
			if denied(b) {
				deniedNames[b.Name] = true
				continue
			}
			kept = append(kept, b)
		}
		caps.Builtins = kept
		caps.AllowNet = []string{}
		sandboxCaps = caps
	})
	return sandboxCaps
}

//go:embed input.schema.json
var inputSchemaJSON []byte

var (
	schemaOnce sync.Once
	schemaSet  *ast.SchemaSet
	schemaErr  error
)

// inputSchema returns the JSON schema of the input document as an OPA schema set.
func inputSchema() (*ast.SchemaSet, error) {
	schemaOnce.Do(func() {
		var raw any
		if err := util.UnmarshalJSON(inputSchemaJSON, &raw); err != nil {
			schemaErr = fmt.Errorf("decode input schema: %w", err)
			return
		}
		schemaSet = ast.NewSchemaSet()
		schemaSet.Put(ast.SchemaRootRef, raw)
	})
	return schemaSet, schemaErr
}

// newCompiler returns a compiler configured with the sandbox: Rego v1, strict, the restricted
// capabilities, the input schema and print statements kept.
func newCompiler() (*ast.Compiler, error) {
	schemas, err := inputSchema()
	if err != nil {
		return nil, err
	}
	return ast.NewCompiler().
		WithDefaultRegoVersion(ast.RegoV1).
		WithCapabilities(capabilities()).
		WithStrict(true).
		WithSchemas(schemas).
		WithUseTypeCheckAnnotations(false).
		WithEnablePrintStatements(true), nil
}

// parserOptions are the options every policy file is parsed with.
func parserOptions() ast.ParserOptions {
	return ast.ParserOptions{RegoVersion: ast.RegoV1, Capabilities: capabilities()}
}

// explainSandbox rewrites the compiler's "undefined function" errors for denied builtins
// into messages that say why the builtin is missing. The location (file:line) is kept.
func explainSandbox(errs ast.Errors) ast.Errors {
	capabilities()
	for _, e := range errs {
		name, ok := strings.CutPrefix(e.Message, "undefined function ")
		if !ok || !deniedNames[name] {
			continue
		}
		e.Code = codeSandbox
		e.Message = fmt.Sprintf("builtin %s is not allowed: policies run sandboxed, without network, "+
			"clock, randomness or environment (the time is input.now)", name)
	}
	return errs
}
