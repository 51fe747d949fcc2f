import { Harness, TOKEN, listen, startDispatcher, world as dispatcherWorld } from '../../dispatcher/testing/harness';
import { COMMANDS_TOPIC, decodeCommand, type EvaluatorCommand } from '../commands';
import { evaluatorCatalog } from '../testing/fixtures';
import { UsageError, parseCliArgs } from './args';
import { CliError, runCli, type CliDeps } from './run';

const base = ['--model', 'card-fraud', '--reason', 'INC-7'];
const kafka = ['--kafka', '--actor', 'alice'];

describe('parseCliArgs', () => {
  it('reads a rollback and a force decision', () => {
    expect(parseCliArgs(['rollback', ...base, '--version', '3'])).toMatchObject({ action: 'rollback', modelId: 'card-fraud', version: 3, runId: null, actor: null, reason: 'INC-7', kafka: false });
    expect(parseCliArgs(['force-promote', ...base, '--run', 'run-1', '--command-id', 'c1', ...kafka])).toMatchObject({ action: 'force-promote', runId: 'run-1', version: null, commandId: 'c1', actor: 'alice', kafka: true });
  });

  it.each<[string, string[], RegExp]>([
    ['no action', [...base], /first argument/],
    ['an unknown action', ['promote', ...base], /first argument/],
    ['rollback without a version', ['rollback', ...base], /--version is required/],
    ['rollback with a run', ['rollback', ...base, '--version', '2', '--run', 'r'], /not --run/],
    ['force-reject without a run', ['force-reject', ...base], /--run is required/],
    ['a version of 0', ['rollback', ...base, '--version', '0'], /--version/],
    ['a blank reason', ['rollback', '--model', 'm', '--reason', ' ', '--version', '1'], /--reason/],
    ['--kafka without an actor', ['rollback', ...base, '--version', '1', '--kafka'], /--actor is required/],
    ['--actor with --api (the token names the actor)', ['rollback', ...base, '--version', '1', '--api', 'http://x', '--actor', 'mallory'], /token's name/],
    ['an unknown option', ['rollback', ...base, '--version', '1', '--force'], /force/],
    ['both token options', ['rollback', ...base, '--version', '1', '--token', 't', '--token-file', 'f'], /not both/],
    ['--api with --kafka', ['rollback', ...base, '--version', '1', '--api', 'http://x', '--kafka'], /not both/],
  ])('refuses %s', (_name, argv, message) => {
    expect(() => parseCliArgs(argv)).toThrow(UsageError);
    expect(() => parseCliArgs(argv)).toThrow(message);
  });
});

describe('runCli', () => {
  let h: Harness;
  let url: string;
  const published: EvaluatorCommand[] = [];
  const deps: CliDeps = {
    fetch,
    readFile: async () => `${TOKEN}\n`,
    publishDirect: async (command) => {
      published.push(command);
      return COMMANDS_TOPIC;
    },
    now: () => 42,
    newId: () => 'fixed',
  };

  beforeAll(async () => {
    h = await startDispatcher({ ...dispatcherWorld(), catalog: evaluatorCatalog() });
    url = await listen(h);
  });
  afterAll(async () => {
    await h.app.stop();
  });

  it('sends a rollback through the dispatcher API (token from a file)', async () => {
    const outcome = await runCli(parseCliArgs(['rollback', ...base, '--version', '3', '--api', url, '--token-file', '/secret']), { apiUrl: null, apiToken: null }, deps);
    expect(outcome).toEqual({ via: 'api', commandId: 'cmd-fixed', modelId: 'card-fraud', action: 'ROLLBACK', actor: 'tester', topic: COMMANDS_TOPIC });
    const [message] = h.world.bus.messages(COMMANDS_TOPIC);
    // The actor is the token's name (harness: "tester"), not something the caller says.
    expect(decodeCommand(message!.value)).toMatchObject({ action: 'ROLLBACK', targetVersion: 3, actor: 'tester', reason: 'INC-7', commandId: 'cmd-fixed', source: 'api' });
  });

  it('refuses --actor when the API comes from the environment', async () => {
    const request = parseCliArgs(['rollback', ...base, '--version', '3', '--actor', 'mallory']);
    await expect(runCli(request, { apiUrl: url, apiToken: TOKEN }, deps)).rejects.toThrow(/token's name/);
  });

  it("reports the API's refusal", async () => {
    const request = parseCliArgs(['force-reject', '--model', 'unknown-model', '--reason', 'r', '--run', 'run-1']);
    await expect(runCli(request, { apiUrl: url, apiToken: TOKEN }, deps)).rejects.toThrow(/404 NOT_FOUND: model "unknown-model" is not in the catalog/);
    await expect(runCli(request, { apiUrl: url, apiToken: null }, deps)).rejects.toThrow(CliError);
  });

  it('publishes straight to Kafka with --kafka', async () => {
    const outcome = await runCli(parseCliArgs(['force-promote', ...base, '--run', 'run-9', ...kafka]), { apiUrl: url, apiToken: TOKEN }, deps);
    expect(outcome).toMatchObject({ via: 'kafka', action: 'FORCE_PROMOTE', actor: 'alice' });
    expect(published).toEqual([{ format: 'roundhouse.evaluator-command/v1', commandId: 'cmd-fixed', modelId: 'card-fraud', action: 'FORCE_PROMOTE', runId: 'run-9', actor: 'alice', reason: 'INC-7', issuedAt: 42, source: 'cli' }]);
  });
});
