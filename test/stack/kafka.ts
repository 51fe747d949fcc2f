/**
 * Kafka 4.1 in KRaft mode, one process that is broker and controller, from the
 * Maven Central jars (no Kafka distribution tarball is reachable from CI).
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import type { ComponentPlan, RunningComponent, StackComponent, StackContext } from './component';
import { StackError, StackErrorCodes } from './errors';
import { findJava, type JavaRuntime } from './java';
import { KAFKA_VERSION, kafkaPom, newClusterId, serverProperties } from './kafka-config';
import { requireMaven, runMaven } from './maven';
import { dirSize, ensureCachedDir, megabytes, pollUntilReady, runCommand, spawnService } from './util';

const JVM_ARGS = ['-Xmx512m', '-Xms256m', '-XX:+UseG1GC', '-Djava.awt.headless=true'];

export const kafkaComponent: StackComponent = {
  name: 'kafka',
  provides: ['KAFKA_BROKERS'],
  async plan(ctx) {
    const java = await findJava(17, `Kafka ${KAFKA_VERSION}`, ctx.javaHome);
    const home = path.join(ctx.cacheRoot, `kafka-${KAFKA_VERSION}`);
    const cached = await fs.stat(path.join(home, 'libs')).then(
      () => true,
      () => false,
    );
    if (!cached) await requireMaven(`Kafka ${KAFKA_VERSION}`);
    return kafkaPlan(ctx, java, home);
  },
};

function kafkaPlan(ctx: StackContext, java: JavaRuntime, home: string): ComponentPlan {
  const classpath = path.join(home, 'libs', '*');
  return {
    async fetch() {
      const started = Date.now();
      const fetched = await ensureCachedDir(home, async (tmp) => {
        ctx.log(`fetching Kafka ${KAFKA_VERSION} jars with Maven into ${home} (first run only)`);
        await fs.writeFile(path.join(tmp, 'pom.xml'), kafkaPom());
        await runMaven(['dependency:copy-dependencies', '-DincludeScope=runtime', `-DoutputDirectory=${path.join(tmp, 'libs')}`], {
          cwd: tmp,
          log: ctx.log,
          what: `Kafka ${KAFKA_VERSION}`,
        });
      });
      if (fetched) ctx.log(`fetched Kafka ${KAFKA_VERSION}: ${megabytes(await dirSize(home))} in ${Math.round((Date.now() - started) / 1000)} s`);
    },

    async start(runDir): Promise<RunningComponent> {
      const brokerPort = await ctx.ports.next();
      const controllerPort = await ctx.ports.next();
      const logsDir = path.join(runDir, 'logs');
      const propsFile = path.join(runDir, 'server.properties');
      const log4jFile = path.join(runDir, 'log4j2.properties');
      await fs.mkdir(logsDir, { recursive: true });
      await fs.writeFile(propsFile, serverProperties({ brokerPort, controllerPort, dataDir: path.join(runDir, 'data') }));
      await fs.copyFile(path.join(__dirname, 'kafka-log4j2.properties'), log4jFile);
      const logArgs = [`-Dlog4j2.configurationFile=${log4jFile}`, `-Dkafka.logs.dir=${logsDir}`];

      ctx.log(`starting Kafka ${KAFKA_VERSION} on 127.0.0.1:${brokerPort} (${java.bin}, Java ${java.version})`);
      const format = await runCommand(
        java.bin,
        [...JVM_ARGS, ...logArgs, '-cp', classpath, 'kafka.tools.StorageTool', 'format', '-t', newClusterId(), '-c', propsFile],
        { cwd: runDir, timeoutMs: 120_000 },
      );
      if (format.code !== 0) {
        throw new StackError(StackErrorCodes.START_FAILED, `Kafka storage format failed (exit ${String(format.code)}):\n${format.output.slice(-4000)}`);
      }

      const broker = `127.0.0.1:${brokerPort}`;
      const proc = spawnService({
        name: 'kafka',
        command: java.bin,
        args: [...JVM_ARGS, ...logArgs, '-cp', classpath, 'kafka.Kafka', propsFile],
        cwd: runDir,
        stdoutFile: path.join(logsDir, 'stdout.log'),
        logFiles: [path.join(logsDir, 'server.log')],
        detached: ctx.detached,
      });
      try {
        await pollUntilReady('Kafka', () => brokerAnswers(broker), { timeoutMs: ctx.readyTimeoutMs, process: proc });
      } catch (err) {
        await proc.stop();
        throw err;
      }
      return { name: 'kafka', env: { KAFKA_BROKERS: broker }, ports: { broker: brokerPort, controller: controllerPort }, processes: [proc], stop: () => proc.stop() };
    },
  };
}

/**
 * Ready means a kafkajs admin sees a broker, and the group and transaction
 * coordinators answer. Kafka creates __consumer_offsets and __transaction_state
 * on first use; without this warm-up every suite's first consumer crashes once
 * with "coordinator is loading" and its first transaction waits seconds.
 */
export async function brokerAnswers(broker: string): Promise<boolean> {
  const kafka = new Kafka({
    clientId: 'roundhouse-stack-probe',
    brokers: [broker],
    logLevel: logLevel.NOTHING,
    connectionTimeout: 1000,
    requestTimeout: 5000,
    retry: { retries: 0 },
  });
  const admin = kafka.admin();
  // kafkajs refuses an idempotent producer with zero retries.
  const producer = kafka.producer({ transactionalId: 'roundhouse-stack-probe', idempotent: true, maxInFlightRequests: 1, retry: { retries: 1 } });
  try {
    await admin.connect();
    if ((await admin.describeCluster()).brokers.length === 0) return false;
    await admin.fetchOffsets({ groupId: 'roundhouse-stack-probe' });
    await producer.connect();
    await (await producer.transaction()).abort(); // InitProducerId; no partitions, so no EndTxn
    return true;
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => undefined);
    await producer.disconnect().catch(() => undefined);
  }
}
