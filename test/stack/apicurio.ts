/**
 * Apicurio Registry 3.3 (in-memory storage) as our Confluent-compatible schema
 * registry: the Quarkus app tarball from Maven Central, run with `java -jar`.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { ComponentPlan, RunningComponent, StackComponent, StackContext } from './component';
import { StackError, StackErrorCodes } from './errors';
import { findJava, type JavaRuntime } from './java';
import { requireMaven, runMaven } from './maven';
import { dirSize, ensureCachedDir, megabytes, pollUntilReady, runCommand, spawnService } from './util';

export const APICURIO_VERSION = '3.3.3';
const ARTIFACT = `io.apicurio:apicurio-registry-app:${APICURIO_VERSION}:tar.gz:all`;
// Its classes are Java 21 bytecode (class file version 65).
const MIN_JAVA = 21;

export const apicurioComponent: StackComponent = {
  name: 'apicurio',
  provides: ['SCHEMA_REGISTRY_URL'],
  async plan(ctx) {
    const java = await findJava(MIN_JAVA, `Apicurio Registry ${APICURIO_VERSION}`, ctx.javaHome);
    const home = path.join(ctx.cacheRoot, `apicurio-${APICURIO_VERSION}`);
    const cached = await fs.stat(path.join(home, 'quarkus-run.jar')).then(
      () => true,
      () => false,
    );
    if (!cached) await requireMaven(`Apicurio Registry ${APICURIO_VERSION}`);
    return apicurioPlan(ctx, java, home);
  },
};

function apicurioPlan(ctx: StackContext, java: JavaRuntime, home: string): ComponentPlan {
  return {
    async fetch() {
      const started = Date.now();
      const fetched = await ensureCachedDir(home, async (tmp) => {
        ctx.log(`fetching Apicurio Registry ${APICURIO_VERSION} (~160 MB) with Maven into ${home} (first run only)`);
        // A private Maven repo inside the temp dir, deleted below: the unpacked app
        // is what we keep, not a second 160 MB copy of the tarball in ~/.m2.
        const download = path.join(tmp, '.download');
        await runMaven(['dependency:copy', `-Dartifact=${ARTIFACT}`, `-DoutputDirectory=${download}`, `-Dmaven.repo.local=${path.join(download, 'm2')}`], {
          cwd: tmp,
          log: ctx.log,
          what: `Apicurio Registry ${APICURIO_VERSION}`,
        });
        const tarball = path.join(download, `apicurio-registry-app-${APICURIO_VERSION}-all.tar.gz`);
        const untar = await runCommand('tar', ['-xzf', tarball, '-C', tmp]);
        if (untar.code !== 0) throw new StackError(StackErrorCodes.FETCH_FAILED, `unpacking ${tarball} failed:\n${untar.output}`);
        await fs.rm(download, { recursive: true, force: true });
        await fs.stat(path.join(tmp, 'quarkus-run.jar')).catch((cause: unknown) => {
          throw new StackError(StackErrorCodes.FETCH_FAILED, `${ARTIFACT} has no quarkus-run.jar at its root`, { cause });
        });
      });
      if (fetched) ctx.log(`fetched Apicurio Registry ${APICURIO_VERSION}: ${megabytes(await dirSize(home))} in ${Math.round((Date.now() - started) / 1000)} s`);
    },

    async start(runDir): Promise<RunningComponent> {
      const httpPort = await ctx.ports.next();
      const managementPort = await ctx.ports.next();
      const tmpDir = path.join(runDir, 'tmp');
      await fs.mkdir(tmpDir, { recursive: true });
      ctx.log(`starting Apicurio Registry ${APICURIO_VERSION} on 127.0.0.1:${httpPort} (${java.bin}, Java ${java.version})`);
      const proc = spawnService({
        name: 'apicurio',
        command: java.bin,
        args: [
          '-Xmx384m',
          `-Djava.io.tmpdir=${tmpDir}`,
          '-Dquarkus.http.host=127.0.0.1',
          `-Dquarkus.http.port=${httpPort}`,
          '-Dquarkus.management.host=127.0.0.1',
          `-Dquarkus.management.port=${managementPort}`,
          // Without a global rule, subjects created by other clients report NONE
          // and @kafkajs/confluent-schema-registry's register() refuses them.
          '-Dapicurio.rules.global.compatibility=BACKWARD',
          // Ids as Confluent assigns them (per schema content, not per version).
          '-Dapicurio.ccompat.legacy-id-mode.enabled=false',
          '-jar',
          path.join(home, 'quarkus-run.jar'),
        ],
        cwd: runDir,
        stdoutFile: path.join(runDir, 'apicurio.log'),
        logFiles: [],
        detached: ctx.detached,
      });
      const url = `http://127.0.0.1:${httpPort}/apis/ccompat/v7`;
      try {
        await pollUntilReady('Apicurio Registry', () => registryAnswers(url), { timeoutMs: ctx.readyTimeoutMs, process: proc });
      } catch (err) {
        await proc.stop();
        throw err;
      }
      return { name: 'apicurio', env: { SCHEMA_REGISTRY_URL: url }, ports: { http: httpPort, management: managementPort }, processes: [proc], stop: () => proc.stop() };
    },
  };
}

/** Ready means the ccompat API lists subjects. */
export async function registryAnswers(url: string): Promise<boolean> {
  try {
    const response = await fetch(`${url}/subjects`, { signal: AbortSignal.timeout(3000) });
    await response.arrayBuffer();
    return response.status === 200;
  } catch {
    return false;
  }
}
