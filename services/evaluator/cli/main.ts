import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { topicNames } from '../../../lib/codec';
import { loadConfig } from '../../../lib/config';
import { KafkaEventBus, createKafkaClient } from '../../../lib/kafka';
import { createLogger } from '../../../lib/log';
import { commandMessage, commandsTopicFor, type EvaluatorCommand } from '../commands';
import { USAGE, UsageError, parseCliArgs } from './args';
import { CliError, runCli } from './run';

/**
 * The evaluator CLI's composition root (services/evaluator/cli.ts runs it):
 * arguments and environment in, one command out, exit code 0 (recorded),
 * 1 (refused or unreachable) or 2 (usage).
 */
async function publishDirect(command: EvaluatorCommand): Promise<string> {
  const config = loadConfig(process.env);
  if (!config.kafka) throw new CliError('no API URL (--api, ROUNDHOUSE_API_URL) and no KAFKA_BROKERS: nowhere to send the command');
  const logger = createLogger({ service: 'evaluator-cli', level: 'warn' });
  const bus = new KafkaEventBus(
    createKafkaClient({ brokers: config.kafka.brokers, clientId: `${config.kafka.clientId}-evaluator-cli`, ssl: config.kafka.ssl, ...(config.kafka.sasl ? { sasl: config.kafka.sasl } : {}), logger }),
    { logger, defaultPartitions: config.kafka.topicPartitions, replicationFactor: config.kafka.replicationFactor },
  );
  try {
    const topic = commandsTopicFor(topicNames(config.topicPrefix));
    await bus.ensureTopics([{ name: topic }]);
    await bus.publish([commandMessage(topic, command)]);
    return topic;
  } finally {
    await bus.close();
  }
}

async function main(): Promise<number> {
  let request;
  try {
    request = parseCliArgs(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`evaluator-cli: ${error.message}\n${USAGE}\n`);
    return 2;
  }
  try {
    const outcome = await runCli(
      request,
      { apiUrl: process.env.ROUNDHOUSE_API_URL ?? null, apiToken: process.env.ROUNDHOUSE_API_TOKEN ?? null },
      { fetch, readFile: (path) => readFile(path, 'utf8'), publishDirect, now: () => Date.now(), newId: () => randomUUID() },
    );
    process.stdout.write(`${JSON.stringify(outcome)}\n`);
    return 0;
  } catch (error) {
    process.stderr.write(`evaluator-cli: ${(error as Error).message}\n`);
    return 1;
  }
}

void main().then((code) => {
  process.exitCode = code;
});
