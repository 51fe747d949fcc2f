/**
 * The image's compile step (Dockerfile stage 1: `npm run build`, i.e. tsc -p
 * tsconfig.build.json) in a copy of what that stage sees: the files its COPY lines
 * name, less what .dockerignore drops (tests). The image build itself runs only
 * when its recipe changes (scripts/image-gate.ts); a source change that makes
 * the build reach outside the context (a build-included file importing test/,
 * say) would otherwise go unseen until then. It did once: scripts/kustomize/real.ts
 * imported scripts/tools/go-tool.ts, which imports test/stack.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..');

/** The context paths the build stage copies: `COPY a b ./` and `COPY dir dir` lines before the first FROM ... AS prod-deps. */
export function buildStageCopies(dockerfile: string): string[] {
  const stage = dockerfile.split(/^FROM .* AS prod-deps$/m)[0] ?? '';
  const out: string[] = [];
  for (const line of stage.split('\n')) {
    const match = /^COPY (?!--from)(.+)$/.exec(line.trim());
    if (!match) continue;
    const words = match[1]!.trim().split(/\s+/);
    out.push(...words.slice(0, -1));
  }
  return out;
}

describe('the image build stage compiles from its context alone', () => {
  it('finds the build stage copies in the Dockerfile', () => {
    expect(buildStageCopies(readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8'))).toEqual(
      expect.arrayContaining(['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json', 'lib', 'services', 'scripts', 'schemas']),
    );
  });

  it('tsc -p tsconfig.build.json passes without test/ and *.test.ts', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'image-context-'));
    try {
      for (const entry of buildStageCopies(readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8'))) {
        cpSync(path.join(ROOT, entry), path.join(dir, entry), { recursive: true, filter: (src) => !src.endsWith('.test.ts') && !src.includes(`${path.sep}node_modules`) });
      }
      symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
      let output = '';
      try {
        execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json', '--noEmit'], { cwd: dir, encoding: 'utf8', stdio: 'pipe' });
      } catch (error) {
        output = `${(error as { stdout?: string }).stdout ?? ''}${(error as { stderr?: string }).stderr ?? ''}`;
      }
      expect(output).toBe('');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);
});
