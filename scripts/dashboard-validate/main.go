// dashboard-validate decodes Grafana dashboard JSON files with the Grafana
// foundation SDK's strict decoder (dashboard.Dashboard.UnmarshalJSONStrict):
// an unknown field, a field of the wrong type or a missing required field is an
// error, in the dashboard, its panels, their options and field config (the
// panel plugins' own schemas) and their Prometheus queries. Then it runs the
// schema's Validate() constraints. One line per problem, exit 1 if any.
//
// Usage: dashboard-validate FILE...
package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/cog/plugins"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
)

func problems(raw []byte) []string {
	var board dashboard.Dashboard
	if err := board.UnmarshalJSONStrict(raw); err != nil {
		return lines(err)
	}
	if err := board.Validate(); err != nil {
		return lines(err)
	}
	return nil
}

// lines splits the SDK's accumulated errors into one path-qualified line each.
func lines(err error) []string {
	var built cog.BuildErrors
	if errors.As(err, &built) {
		out := make([]string, 0, len(built))
		for _, e := range built {
			out = append(out, e.Error())
		}
		return out
	}
	return []string{err.Error()}
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: dashboard-validate FILE...")
		os.Exit(2)
	}
	// Without the panel and datasource plugins registered, panel options and
	// queries are decoded as untyped maps and nothing in them is checked.
	plugins.RegisterDefaultPlugins()
	failed := false
	for _, file := range os.Args[1:] {
		raw, err := os.ReadFile(file)
		if err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", file, err)
			failed = true
			continue
		}
		found := problems(raw)
		for _, p := range found {
			fmt.Printf("%s: %s\n", file, p)
		}
		if len(found) > 0 {
			failed = true
		} else {
			fmt.Printf("%s: ok\n", file)
		}
	}
	if failed {
		os.Exit(1)
	}
}
