/** The helm build's pure parts: the version stamp and the Kubernetes version read from helm's go.mod. */
import { HELM_VERSION, helmBinary, helmLdflags, requiredVersion } from './helm';

const HELM_GO_MOD = `module helm.sh/helm/v3

go 1.26.0

require (
	github.com/BurntSushi/toml v1.6.0
	k8s.io/api v0.37.0
	k8s.io/client-go v0.37.0
	sigs.k8s.io/yaml v1.6.0
)

require k8s.io/klog/v2 v2.130.1 // indirect
`;

describe('helm build', () => {
  it.each([
    ['k8s.io/client-go', 'v0.37.0'],
    ['k8s.io/api', 'v0.37.0'],
    ['k8s.io/klog/v2', 'v2.130.1'],
    ['k8s.io/client', undefined],
    ['helm.sh/helm/v3', undefined],
  ])('reads %s from a go.mod as %s', (module, version) => {
    expect(requiredVersion(HELM_GO_MOD, module)).toBe(version);
  });

  it("stamps helm's version and the Kubernetes version of its client libraries (client-go v0.X is 1.X)", () => {
    const flags = helmLdflags(HELM_VERSION, 'v0.37.0');
    expect(flags).toContain(`-X helm.sh/helm/v3/internal/version.version=v${HELM_VERSION}`);
    expect(flags).toContain('-X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=37');
    expect(flags).toContain('-X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMinor=37');
    expect(flags).toContain('-X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=1');
    expect(() => helmLdflags(HELM_VERSION, 'v1.2.3')).toThrow(/cannot read the Kubernetes version/);
  });

  it('caches the binary per version under tools/', () => {
    expect(helmBinary('/cache')).toBe(`/cache/tools/helm-v${HELM_VERSION}/helm`);
  });
});
