/** SeaweedFS's pure parts: the wrapper go.mod, the server's flags, the S3 identity file. */
import { s3IdentityConfig, weedServerArgs } from './seaweedfs';
import { seaweedfsWrapperGoMod } from './seaweedfs-build';

describe('seaweedfsWrapperGoMod', () => {
  const upstream = [
    'module github.com/seaweedfs/seaweedfs',
    '',
    'go 1.26.6',
    '',
    'require (',
    '\tgithub.com/tyler-smith/go-bip39 v1.1.0 // indirect',
    ')',
    '',
    '// replace github.com/seaweedfs/raft => /Users/someone/raft',
    '',
    'replace github.com/tyler-smith/go-bip39 => github.com/cosmos/go-bip39 v1.0.0',
    '',
    'replace (',
    '\texample.com/a v1.2.0 => example.com/b v1.3.0 // a block',
    '\texample.com/local => ../local',
    ')',
  ].join('\n');

  it('requires the pinned version and repeats the versioned replaces, not local ones', () => {
    const mod = seaweedfsWrapperGoMod(upstream, 'v0.0.0-20261109003541-7506e5f91cd6');
    expect(mod).toContain('go 1.26.6\n');
    expect(mod).toContain('require github.com/seaweedfs/seaweedfs v0.0.0-20261109003541-7506e5f91cd6\n');
    expect(mod.split('\n').filter((l) => l.startsWith('replace '))).toEqual([
      'replace github.com/tyler-smith/go-bip39 => github.com/cosmos/go-bip39 v1.0.0',
      'replace example.com/a v1.2.0 => example.com/b v1.3.0',
    ]);
    expect(mod).not.toContain('raft');
    expect(mod).not.toContain('../local');
  });
});

describe('weedServerArgs', () => {
  const ports = { master: 1, masterGrpc: 2, volume: 3, volumeGrpc: 4, filer: 5, filerGrpc: 6, s3: 7, s3Grpc: 8 };
  const args = weedServerArgs({ dataDir: '/run/data', runDir: '/run', s3Config: '/run/s3.json', ports });

  it('binds 127.0.0.1 only, on the ports given (gRPC included), with telemetry and extra listeners off', () => {
    expect(args.slice(0, 2)).toEqual(['-logtostderr', 'server']);
    expect(args).toEqual(expect.arrayContaining(['-ip=127.0.0.1', '-ip.bind=127.0.0.1', '-master.telemetry=false', '-s3.port.iceberg=0', '-s3.port.lance=0', '-s3.autoCreateBucket=false', '-filer', '-s3']));
    for (const [flag, port] of [['master.port', 1], ['master.port.grpc', 2], ['volume.port', 3], ['volume.port.grpc', 4], ['filer.port', 5], ['filer.port.grpc', 6], ['s3.port', 7], ['s3.port.grpc', 8]] as const) {
      expect(args).toContain(`-${flag}=${port}`);
    }
    expect(args.filter((a) => a.includes('Socket=')).every((a) => a.includes('=/run/'))).toBe(true);
  });

  it('gives the one identity every action', () => {
    expect(JSON.parse(s3IdentityConfig('AK', 'SK'))).toEqual({ identities: [{ name: 'roundhouse-test', credentials: [{ accessKey: 'AK', secretKey: 'SK' }], actions: ['Admin', 'Read', 'List', 'Tagging', 'Write'] }] });
  });
});
