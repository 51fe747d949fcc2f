import pino from 'pino';

/**
 * JSON logging. One root logger per process; services and adapters take a child
 * with their own bindings (service, model, topic) so every line says where it is from.
 */
export type Logger = pino.Logger;

export interface LoggerOptions {
  readonly level?: string;
  readonly service?: string;
  /** Where lines go; defaults to stdout. Tests pass a stream to capture lines. */
  readonly destination?: pino.DestinationStream;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const base = options.service ? { service: options.service } : {};
  return pino(
    {
      level: options.level ?? 'info',
      base,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      serializers: { err: pino.stdSerializers.err },
    },
    options.destination,
  );
}

/** A logger that drops everything: the default for unit tests and library callers. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
