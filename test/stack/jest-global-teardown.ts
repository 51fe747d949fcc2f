/** Jest globalTeardown of the `integration` project: stops what the setup started. */
import { takeJestStack } from './jest-handle';

export default async function globalTeardown(): Promise<void> {
  await takeJestStack()?.stop();
}
