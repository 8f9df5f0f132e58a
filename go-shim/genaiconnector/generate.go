package genaiconnector // import "github.com/otelcol-genai/otelcol-genai/go-shim/genaiconnector"

// internal/metadata, internal/metadatatest, documentation.md and the
// generated_*_test.go files come from metadata.yaml. mdatagen v0.161.0 needs
// go.opentelemetry.io/collector/internal/schemagen, which the Go module proxy
// does not serve, so on this project's machines they were written by hand in
// mdatagen's format; where that module can be fetched, this regenerates them:
//go:generate go run go.opentelemetry.io/collector/cmd/mdatagen@v0.161.0 metadata.yaml
