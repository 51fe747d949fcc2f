import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { decide, recipeHash, recipeInputs } from './image-gate';

describe('image gate: the recipe hash', () => {
  let root: string;
  const write = (file: string, text: string): void => {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    writeFileSync(path.join(root, file), text);
  };
  beforeEach(() => {
    root = mkdtempSync(path.join(os.tmpdir(), 'image-gate-'));
    write('Dockerfile', 'FROM node\n');
    write('package.json', '{}\n');
    write('package-lock.json', '{}\n');
    write('tsconfig.json', '{}\n');
    write('tsconfig.build.json', '{}\n');
    write('scripts/build-image.sh', 'echo build\n');
    write('scripts/check-image.sh', 'echo check\n');
    write('lib/a.ts', 'export const a = 1;\n');
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('lists the recipe files, sorted, without sources', () => {
    expect(recipeInputs(root)).toEqual(['Dockerfile', 'package-lock.json', 'package.json', 'scripts/build-image.sh', 'scripts/check-image.sh', 'tsconfig.build.json', 'tsconfig.json']);
  });

  it.each(['Dockerfile', 'package-lock.json', 'tsconfig.build.json', 'scripts/build-image.sh', 'scripts/check-image.sh'])('changes when %s changes', (file) => {
    const before = recipeHash(root);
    write(file, 'changed\n');
    expect(recipeHash(root)).not.toBe(before);
  });

  it('changes when a .dockerignore appears', () => {
    const before = recipeHash(root);
    write('.dockerignore', 'node_modules\n');
    expect(recipeHash(root)).not.toBe(before);
  });

  it('does not change when a source file changes', () => {
    const before = recipeHash(root);
    write('lib/a.ts', 'export const a = 2;\n');
    write('services/x/main.ts', 'console.log(1);\n');
    expect(recipeHash(root)).toBe(before);
  });

  it('the repository has a recipe (the Dockerfile and both scripts are in it)', () => {
    expect(recipeInputs()).toEqual(expect.arrayContaining(['Dockerfile', '.dockerignore', 'package-lock.json', 'scripts/build-image.sh', 'scripts/check-image.sh']));
  });
});

describe('image gate: decide', () => {
  const base = { hash: 'abc', stampExists: false, hasBuildah: true };
  it('runs when the recipe has no passing check here', () => {
    expect(decide({ ...base, setting: undefined })).toMatchObject({ run: true, why: expect.stringContaining('recipe changed') });
  });
  it('skips when the recipe already passed, and says how to force it', () => {
    expect(decide({ ...base, setting: undefined, stampExists: true })).toMatchObject({ run: false, why: expect.stringContaining('ROUNDHOUSE_IMAGE_CHECK=1') });
  });
  it('ROUNDHOUSE_IMAGE_CHECK=1 runs even with a stamp; =0 never runs', () => {
    expect(decide({ ...base, setting: '1', stampExists: true }).run).toBe(true);
    expect(decide({ ...base, setting: '0' }).run).toBe(false);
  });
  it('skips without buildah with a message naming what to install, even when forced', () => {
    for (const setting of [undefined, '1']) {
      const decision = decide({ ...base, setting, hasBuildah: false });
      expect(decision.run).toBe(false);
      expect(decision.why).toMatch(/buildah not found.*NOT built.*apt-get install -y buildah/);
    }
  });
  it('refuses other values of ROUNDHOUSE_IMAGE_CHECK', () => {
    expect(() => decide({ ...base, setting: 'yes' })).toThrow(/ROUNDHOUSE_IMAGE_CHECK must be 1.*0.*unset.*"yes"/);
  });
});
