import type { FastifyBaseLogger } from 'fastify';
import type { Logger } from 'pino';

type Bindings = Parameters<FastifyBaseLogger['child']>[0];
type ChildOptions = NonNullable<Parameters<FastifyBaseLogger['child']>[1]>;
type LogMethod = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/**
 * A request's logger (`request.log`) that makes the real child logger (with the request id)
 * only when something is logged. Fastify makes a child logger for every request; pino's
 * costs a few µs (its bindings serialized, its level methods set up), about 2% of the
 * event loop's time per scored transaction, and nearly every request logs nothing (request
 * logging is off; only failures are logged).
 */
export class RequestLogger implements FastifyBaseLogger {
  private made: FastifyBaseLogger | undefined;

  constructor(
    private readonly parent: FastifyBaseLogger,
    private readonly bindings: Bindings,
    private readonly options: ChildOptions,
  ) {}

  /** The Fastify option `childLoggerFactory`. */
  static factory(this: void, parent: FastifyBaseLogger, bindings: Bindings, options: ChildOptions) {
    return new RequestLogger(parent, bindings, options);
  }

  get level(): FastifyBaseLogger['level'] {
    return this.made?.level ?? this.options.level ?? this.parent.level;
  }

  set level(level: FastifyBaseLogger['level']) {
    this.logger().level = level;
  }

  child(bindings: Bindings, options?: ChildOptions): FastifyBaseLogger {
    return this.logger().child(bindings, options);
  }

  /** True when the parent would drop a `method` message and this request keeps its level. */
  private skips(method: LogMethod): boolean {
    const parent = this.parent as Partial<Pick<Logger, 'isLevelEnabled'>>;
    return this.options.level === undefined && parent.isLevelEnabled?.(method) === false;
  }

  private logger(): FastifyBaseLogger {
    this.made ??= this.parent.child(this.bindings, this.options);
    return this.made;
  }

  declare fatal: FastifyBaseLogger['fatal'];
  declare error: FastifyBaseLogger['error'];
  declare warn: FastifyBaseLogger['warn'];
  declare info: FastifyBaseLogger['info'];
  declare debug: FastifyBaseLogger['debug'];
  declare trace: FastifyBaseLogger['trace'];
  declare silent: FastifyBaseLogger['silent'];

  static {
    const methods: readonly LogMethod[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
    for (const method of methods) {
      // On the prototype, so a request that logs nothing allocates nothing but this object.
      RequestLogger.prototype[method] = function (this: RequestLogger, ...args: unknown[]) {
        if (!this.made && this.skips(method)) return;
        const logger = this.logger();
        Reflect.apply(logger[method], logger, args);
      };
    }
  }
}
