// kustomize's own main (sigs.k8s.io/kustomize/kustomize/v5/main.go), built
// from this module so that the version is the one go.mod pins.
package main

import (
	"os"

	"sigs.k8s.io/kustomize/kustomize/v5/commands"
)

func main() {
	if err := commands.NewDefaultCommand().Execute(); err != nil {
		os.Exit(1)
	}
	os.Exit(0)
}
