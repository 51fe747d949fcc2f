/**
 * Operator CLI for the evaluator: rollback, force-promote, force-reject.
 *   npx tsx services/evaluator/cli.ts rollback --model card-fraud --version 3 --reason "..."
 * Usage and options: cli/args.ts. The composition root is cli/main.ts.
 */
import './cli/main';
