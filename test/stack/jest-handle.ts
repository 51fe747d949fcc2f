/**
 * Carries the stack handle from globalSetup to globalTeardown. Both run in jest's
 * parent process but may load modules through separate registries, so the handle
 * lives on globalThis rather than in a module variable.
 */
import type { StackHandle } from './index';

const KEY = '__roundhouseStack';
type Holder = { [KEY]?: StackHandle };

export function setJestStack(handle: StackHandle): void {
  (globalThis as Holder)[KEY] = handle;
}

export function takeJestStack(): StackHandle | undefined {
  const holder = globalThis as Holder;
  const handle = holder[KEY];
  delete holder[KEY];
  return handle;
}
