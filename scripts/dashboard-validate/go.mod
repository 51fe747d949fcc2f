// A tool of the test suite (scripts/dashboard-schema.test.ts), built into
// ~/.cache/roundhouse/tools by scripts/tools/go-tool.ts; not part of the product.
module roundhouse.dev/scripts/dashboard-validate

go 1.21

require github.com/grafana/grafana-foundation-sdk/go v0.0.22
