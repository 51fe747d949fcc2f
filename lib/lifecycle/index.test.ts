import { EventEmitter } from 'node:events';
import { silentLogger } from '../log';
import { Shutdown } from './index';

describe('Shutdown', () => {
  it('stops parts in reverse order on SIGTERM, then exits 0', async () => {
    const proc = new EventEmitter();
    const order: string[] = [];
    const exits: number[] = [];
    const shutdown = new Shutdown({ logger: silentLogger(), process: proc as unknown as NodeJS.Process, exit: (code) => exits.push(code) });
    shutdown.add({ name: 'server', stop: async () => void order.push('server') });
    shutdown.add({ name: 'consumer', stop: async () => void order.push('consumer') });
    proc.emit('SIGTERM');
    await shutdown.stop();
    await new Promise((resolve) => setImmediate(resolve));
    expect(order).toEqual(['consumer', 'server']);
    expect(exits).toEqual([0]);
  });

  it('exits 1 when a part fails to stop, after stopping the others', async () => {
    const proc = new EventEmitter();
    const exits: number[] = [];
    const stopped: string[] = [];
    const shutdown = new Shutdown({ logger: silentLogger(), process: proc as unknown as NodeJS.Process, exit: (code) => exits.push(code) });
    shutdown.add({ name: 'a', stop: async () => void stopped.push('a') });
    shutdown.add({ name: 'b', stop: async () => Promise.reject(new Error('stuck')) });
    proc.emit('SIGINT');
    await expect(shutdown.stop()).rejects.toThrow('some parts failed');
    await new Promise((resolve) => setImmediate(resolve));
    expect(stopped).toEqual(['a']);
    expect(exits).toEqual([1]);
  });

  it('gives up after the grace period', async () => {
    const shutdown = new Shutdown({ logger: silentLogger(), process: new EventEmitter() as unknown as NodeJS.Process, graceMs: 20, exit: () => undefined });
    shutdown.add({ name: 'hang', stop: () => new Promise(() => undefined) });
    await expect(shutdown.stop()).rejects.toThrow('within 20 ms');
  });
});
