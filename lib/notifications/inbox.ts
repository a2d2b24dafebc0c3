import { Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { Semaphore } from 'async-mutex';
import type { ObjectLiteral } from 'typeorm';
import type { PlacetoPayClock } from '../common/clock';
import { logText } from '../common/log-text';
import { waitAtMost } from '../common/time-limits';
import { WorkerLoop } from '../common/worker-loop';
import { errorMessage as reason } from '../gateway/errors/describe-thrown';
import { HeldNotifications } from './held-notifications';
import type { InboxRows } from './inbox-rows';
import { replayJournal } from './journal-replay';
import { fileError, NotificationJournal, type JournalTicket } from './notification-journal';
import { NotificationNotHeld } from './notification-not-held';
import { SettleQueue } from './settle-queue';
import { HELD_ANSWER } from './webhook-telemetry';

/**
 * Notifications held while the database is unreachable, at most (per inbox): each in the journal,
 * and in memory until it is written.
 */
const HELD_LIMIT = 10_000;
/** Shutdown waits this long, at most, for each of: answers, held notifications, settling. */
const SHUTDOWN_GRACE_MS = 10_000;
/** Due rows a retry pass takes at once. */
const DUE_BATCH = 50;

export interface ReceiveResult {
  received: true;
  duplicate: boolean;
}

export interface InboxSetup<Entry, Row extends ObjectLiteral> {
  rows: InboxRows<Row>;
  clock: PlacetoPayClock;
  /** How often due rows are retried (0: only when retryDue() is called). */
  pollMs: number;
  /** Settlements running at once (the queue's and the retries' together). */
  concurrency: number;
  /** Settles recorded rows in the background, in this process's memory (see unclaimed()). */
  queue?: { receivedAt(row: Row): Date };
  /** The journal: where what the database could not take is kept until it is written. */
  journal: {
    dir: string;
    site: string;
    /** The inbox's folder under the site's: `notification`, `recurring-notification`. */
    route: string;
    /** An entry back from its JSON (as JSON.stringify wrote it). */
    decode(data: unknown): Entry;
  };
  /** What the log lines say. */
  says: {
    /** How one is named: `${subject} ${label(entry)} could not be stored`. */
    subject: string;
    /** When every held one is stored. */
    heldWritten: string;
    /** At shutdown, before the labels of the held ones left in the journal. */
    heldLost(count: number): string;
    /** When a poll's retry pass fails. */
    retryFailed: string;
  };
}

/** A held one: its entry and where the journal has it. */
interface Held<Entry> {
  entry: Entry;
  ticket: JournalTicket;
}

/** With the held ones full: which one a new one may take the place of, and what to say then. */
export interface HeldRoom<Entry> {
  /** The oldest held one that matches makes room. */
  matches(held: Entry): boolean;
  warning(dropped: Entry): string;
}

/**
 * A notification inbox: the plumbing the webhook's notifications and the recurring-charge ones
 * share. A subclass says what is its own (the abstract members: the key, how to record a received
 * one, which stored rows are due, how to settle one row); the inbox does the rest:
 *
 * receive (accept) → record it (batched with the answers arriving together), or, when the
 * database does not take it, append it to the journal (fsynced; a 503 when that fails too) and
 * hold it in memory, and record it when the database takes it → answer → settle (at once, or
 * through the memory queue) → a row whose settlement failed is due again later, and the poll (or
 * the probe) retries it → shutdown waits for the answers, the held ones and the settling, each at
 * most the grace. What is still held then stays in the journal; the next start replays it.
 */
export abstract class Inbox<Entry, Row extends ObjectLiteral>
  implements OnApplicationBootstrap, OnApplicationShutdown
{
  protected readonly logger = new Logger('PlacetoPayWebhook');
  protected readonly rows: InboxRows<Row>;
  private readonly held: HeldNotifications<Held<Entry>>;
  private readonly journal: NotificationJournal;
  private readonly settling: Semaphore;
  /** Retry passes: one at a time, a call during one joins it. */
  private readonly retries: WorkerLoop<number>;
  /** The poll: retryDue() every pollMs. */
  private readonly poll: WorkerLoop<number>;
  private readonly queue?: SettleQueue<Row>;

  protected constructor(private readonly setup: InboxSetup<Entry, Row>) {
    const { says } = setup;
    this.rows = setup.rows;
    this.settling = new Semaphore(setup.concurrency);
    this.journal = new NotificationJournal({
      ...setup.journal,
      onError: (error) =>
        this.logger.warn(
          `could not delete a written journal segment: ${logText(fileError(error))}`,
        ),
    });
    this.held = new HeldNotifications<Held<Entry>>(
      async ({ entry, ticket }) => {
        await this.recordHeld(entry);
        this.journal.done(ticket);
      },
      HELD_LIMIT,
      () => this.logger.log(says.heldWritten),
    );
    this.retries = new WorkerLoop({ pass: () => this.retryPass() });
    this.poll = new WorkerLoop({
      pass: () => this.retryDue(),
      everyMs: setup.pollMs,
      onError: (error) => this.logger.error(`${says.retryFailed}: ${logText(reason(error))}`),
    });
    if (setup.queue) {
      this.queue = new SettleQueue({
        settle: (row) => this.inSlot(row),
        refill: (limit) => this.unclaimed(limit),
        receivedAt: setup.queue.receivedAt,
        concurrency: setup.concurrency,
        clock: setup.clock,
        logger: this.logger,
      });
    }
  }

  /** The unique key of a received one (the same notification sent again has the same). */
  protected abstract key(entry: Entry): string;

  /** How log lines name a received one, after the subject. */
  protected abstract label(entry: Entry): string;

  /**
   * Stores a received one (deduplicated on its key) and settles it, now or through enqueue();
   * throws when the database did not take it (it is then held).
   */
  protected abstract record(entry: Entry): Promise<ReceiveResult>;

  /** Stores a held one once the database answers; throws while it does not. */
  protected abstract recordHeld(entry: Entry): Promise<void>;

  /** Stored rows due to be settled again, oldest first, at most `limit`. */
  protected abstract due(now: Date, limit: number): Promise<Row[]>;

  /** Settles one stored row: true when this call settled it; 'halt' ends the retry pass. */
  protected abstract settle(row: Row): Promise<boolean | 'halt'>;

  /** With a queue: stored rows no process has claimed yet, oldest first, at most `limit`. */
  protected unclaimed(_limit: number): Promise<Row[]> {
    return Promise.resolve([]);
  }

  /** Another copy of a held one: what to hold instead, or undefined (a duplicate: the default). */
  protected replaceHeld(_held: Entry, _incoming: Entry): Entry | undefined {
    return undefined;
  }

  /** With the held ones full: the room `incoming` may take, if any (by default none). */
  protected makeRoom(_incoming: Entry): HeldRoom<Entry> | undefined {
    return undefined;
  }

  async onApplicationBootstrap(): Promise<void> {
    this.poll.start();
    await replayJournal({
      journal: this.journal,
      logger: this.logger,
      decode: this.setup.journal.decode,
      take: (key, entry, ticket) => this.takeBack(key, entry, ticket),
    });
    // Written now if the database answers, else on the writer's backoff.
    void this.held.flush();
  }

  async onApplicationShutdown(): Promise<void> {
    // Nothing more is settled from now on; what runs is waited for last.
    await Promise.all([this.poll.stop(0), this.retries.stop(0), this.queue?.stop(0)]);
    // Answers still being written finish first, so a row failing now is held, not lost (bounded:
    // the HTTP server still takes requests until the shutdown hooks end).
    await waitAtMost(this.rows.idle(), SHUTDOWN_GRACE_MS);
    const unwritten = await this.held.stop(SHUTDOWN_GRACE_MS);
    if (unwritten.length > 0) {
      const labels = unwritten.map(({ entry }) => logText(this.label(entry)));
      this.logger.error(
        `${this.setup.says.heldLost(labels.length)}: ${labels.join(', ')}; they stay in the journal ${logText(this.journal.path)} and are written at the next start`,
      );
    }
    await this.journal.close().catch((error: unknown) => {
      this.logger.warn(`could not close the journal: ${logText(fileError(error))}`);
    });
    // Unsettled rows stay pending in the inbox for the next process; a slow gateway does not
    // hold the shutdown.
    await waitAtMost(this.idle(), SHUTDOWN_GRACE_MS);
  }

  /** Received but not yet stored (the database could not take them): in the journal. */
  get heldCount(): number {
    return this.held.size;
  }

  /** Recorded rows waiting in this process's memory to be settled. */
  get queuedCount(): number {
    return this.queue?.size ?? 0;
  }

  /** Settles every stored row that is due; resolves with how many it settled. */
  retryDue(): Promise<number> {
    // Single flight: a slow pass (the gateway down) is joined, never stacked.
    return this.retries.run();
  }

  /** Writes the held notifications now, instead of at their next retry. */
  writeHeld(): Promise<void> {
    return this.held.flush();
  }

  /** Resolves when no settlement, and no cleanup of the journal, started here is running. */
  async idle(): Promise<void> {
    await this.queue?.idle();
    await this.retries.idle();
    await this.journal.idle();
  }

  /** Takes a received one: recorded, or held when the database does not take it. */
  protected async accept(entry: Entry): Promise<ReceiveResult> {
    this.queue?.arrived();
    try {
      return await this.record(entry);
    } catch (error) {
      return await this.hold(entry, error);
    }
  }

  /** Queues a stored row to be settled in the background (an inbox set up with a queue). */
  protected enqueue(row: Row): void {
    this.queue!.add(row);
  }

  /**
   * The database did not take it: PlacetoPay sends a notification once and never again, so an
   * error answer would lose it for good. It is appended to the journal (on disk before the 200)
   * and held, and recorded when the database answers. When the journal cannot take it either
   * (or too many are held), it is refused: NotificationNotHeld, answered 503.
   */
  private async hold(entry: Entry, error: unknown): Promise<ReceiveResult> {
    const key = this.key(entry);
    const copy = this.held.get(key);
    let kept = copy === undefined ? entry : this.replaceHeld(copy.entry, entry);
    if (kept === undefined) return { received: true, duplicate: true };
    const notHeld = (why: string, code: NotificationNotHeld['reason']) =>
      new NotificationNotHeld(
        `${this.setup.says.subject} ${logText(this.label(entry))}: the database could not take it (${logText(reason(error))}) and ${why}`,
        code,
      );
    const full = () =>
      notHeld(`${HELD_LIMIT.toLocaleString('en-US')} notifications are held already`, 'held_full');
    if (copy === undefined && this.held.full && !this.makeRoom(kept)) throw full();
    let ticket: JournalTicket;
    try {
      ticket = await this.journal.append({ key, entry: kept });
    } catch (journalError) {
      throw notHeld(
        `the journal ${logText(this.journal.path)} could not take it either (${logText(fileError(journalError))})`,
        'journal_unwritable',
      );
    }
    // Another copy may have been held while this one was written.
    const current = this.held.get(key);
    if (current !== copy && current !== undefined) {
      kept = this.replaceHeld(current.entry, kept);
      if (kept === undefined) {
        this.journal.done(ticket);
        return { received: true, duplicate: true };
      }
    }
    if (!this.held.hold(key, { entry: kept, ticket })) {
      // Shutting down: it is on disk, and the next start writes it.
      if (this.held.stopped) return { received: true, duplicate: false };
      const room = this.makeRoom(kept);
      const dropped = room ? this.held.evict(({ entry }) => room.matches(entry)) : undefined;
      if (!room || dropped === undefined || !this.held.hold(key, { entry: kept, ticket })) {
        this.journal.done(ticket);
        throw full();
      }
      this.journal.done(dropped.ticket);
      this.logger.warn(logText(room.warning(dropped.entry)));
    }
    if (current !== undefined) this.journal.done(current.ticket);
    this.logger.warn(
      `${this.setup.says.subject} ${logText(this.label(entry))} could not be stored (${logText(reason(error))}): kept in the journal until the database answers`,
    );
    return HELD_ANSWER;
  }

  /** A record an earlier process left in the journal: held (beyond the limit) until written. */
  private takeBack(key: string, entry: Entry, ticket: JournalTicket): void {
    const copy = this.held.get(key);
    const kept = copy === undefined ? entry : this.replaceHeld(copy.entry, entry);
    if (kept === undefined) return this.journal.done(ticket);
    // Refused only once shutdown began: it stays in the journal for the next start.
    if (!this.held.hold(key, { entry: kept, ticket }, true)) return;
    if (copy !== undefined) this.journal.done(copy.ticket);
  }

  /** Settles one row in a settlement slot; nothing once shutdown began (or `skip` says so). */
  private inSlot(row: Row, skip = () => false): Promise<boolean | 'halt'> {
    return this.settling.runExclusive(() =>
      this.retries.stopped || skip() ? false : this.settle(row),
    );
  }

  private async retryPass(): Promise<number> {
    if (this.retries.stopped) return 0;
    const due = await this.due(this.setup.clock.now(), DUE_BATCH);
    let halted = false;
    const settled = await Promise.all(
      due.map(async (row) => {
        const outcome = await this.inSlot(row, () => halted);
        if (outcome === 'halt') halted = true;
        return outcome === true;
      }),
    );
    return settled.filter(Boolean).length;
  }
}
