// What carries work between processes: in embedded mode an in-process event bus and queue; in
// cluster mode the Redis event bus, the BullMQ queue and, for a process that executes cells,
// the model and per-origin limits shared through Redis and the runs' shared concurrency slots
// (docs/deployment.md, "Shared limits" and "Shards"). Kept apart from the rest of the wiring so
// the Redis packages stay behind one `plan.mode === 'cluster'` door and are loaded through it.
import type { Redis } from 'ioredis';
import type { SharedLimits } from '../cluster/redis-limiters.js';
import { capSlotsOf } from '../core/model/adapters.js';
import type { Clock, EventBus, Logger, WorkQueue } from '../core/ports.js';
import { InProcessEventBus } from '../queue/event-bus.js';
import { InProcessQueue } from '../queue/in-process.js';
import type { RedisEventBus } from '../queue/redis-event-bus.js';
import type { RedisRunSlots } from '../queue/redis-run-slots.js';
import type { Config } from './env.js';
import type { ProcessPlan } from './roles.js';

/** Runs one cluster process executes at once (each bounds its own cells by execution.concurrency). */
export const RUNS_PER_PROCESS = 16;
/**
 * Shards one cluster process executes at once, of any runs. Few, so that the shards of a run
 * queued together spread over the workers instead of piling onto the first that asks (each
 * shard keeps up to its run's concurrency in flight, so a few shards already fill a worker).
 */
const SHARDS_PER_PROCESS = 4;

/** The transport of one process, in-process or through Redis. */
export interface Transport {
  bus: EventBus;
  queue: WorkQueue & { pending: number };
  /** The Redis event bus in cluster mode (abort nudges, /readyz's Redis ping); null when embedded. */
  redisBus: RedisEventBus | null;
  /** The limits shared by every executing process of a cluster; null elsewhere (the in-process ones apply). */
  sharedLimits: SharedLimits | null;
  /** The runs' concurrency shared by the workers executing their shards; null unless this cluster process executes. */
  runSlots: RedisRunSlots | null;
  /** Gives back the permits of the cells just stopped now, not when their leases expire. */
  closeRunSlots(): Promise<void>;
  /** Closes the shared limits and the event bus. */
  close(): Promise<void>;
}

/** Opens the transport the plan asks for; on failure closes what it had opened and throws. */
export async function openTransport(config: Config, plan: ProcessPlan, clock: Clock, logger: Logger): Promise<Transport> {
  if (plan.mode !== 'cluster') {
    const bus = new InProcessEventBus();
    return {
      bus, queue: new InProcessQueue(), redisBus: null, sharedLimits: null, runSlots: null,
      closeRunSlots: async () => {},
      close: () => bus.close(),
    };
  }
  // BullMQ and ioredis are loaded only in cluster mode: an embedded server never uses them,
  // and they are ≈ 7 MB of heap and half a second of start-up (docs/benchmarks.md, "Memory").
  const [{ RedisEventBus }, { BullMqQueue }] = await Promise.all([import('../queue/redis-event-bus.js'), import('../queue/bullmq-queue.js')]);
  // Every key and channel starts with ASSAY_REDIS_PREFIX: installations sharing one Redis
  // (whose pub/sub ignores database numbers) keep apart (docs/deployment.md, "Sharing one Redis").
  const prefix = config.redisPrefix;
  const redisBus = await RedisEventBus.connect({ redisUrl: plan.redisUrl, prefix, logger });
  let sharedLimits: SharedLimits | null = null;
  try {
    const queue = new BullMqQueue({ redisUrl: plan.redisUrl, prefix, runsAtOnce: RUNS_PER_PROCESS, shardsAtOnce: SHARDS_PER_PROCESS, logger });
    // An API-only process executes nothing, so it keeps the in-process limits and needs no slots.
    let slotsRedis: Redis | null = null;
    let runSlots: RedisRunSlots | null = null;
    if (plan.executes) {
      const { SharedLimits } = await import('../cluster/redis-limiters.js');
      sharedLimits = await SharedLimits.connect({
        redisUrl: plan.redisUrl, prefix, clock, logger, modelMax: () => config.modelConcurrency, perOrigin: (key) => capSlotsOf(key, config.limitPerKey),
      });
      const { RedisRunSlots } = await import('../queue/redis-run-slots.js');
      slotsRedis = RedisRunSlots.connection(plan.redisUrl, prefix);
      runSlots = new RedisRunSlots(slotsRedis, logger);
    }
    const limits = sharedLimits;
    return {
      bus: redisBus, queue, redisBus, sharedLimits: limits, runSlots,
      closeRunSlots: async () => {
        await runSlots?.close();
        await slotsRedis?.quit().catch(() => {});
      },
      close: async () => {
        await limits?.close();
        await redisBus.close();
      },
    };
  } catch (error) {
    await sharedLimits?.close();
    await redisBus.close();
    throw error;
  }
}
