import { constants } from 'node:fs';
import { access, mkdir, open, readdir, readFile, unlink, type FileHandle } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { formatRecord, parseSegment, type JournalRecord } from './journal-format';

/** A segment past this size is closed and the next appends open a new one. */
const SEGMENT_BYTES = 1 << 20;
/** Records written (and fsynced) together at most. */
const MAX_BATCH = 500;
const SEGMENT = /^(\d{12})\.journal$/;
/** Folders and files it creates: the app's user only (payment data, though no secret). */
const DIRECTORY_MODE = 0o700;
const FILE_MODE = 0o600;

/** Where a record lies: its segment and its number in this process. */
export interface JournalTicket {
  readonly segment: number;
  readonly record: number;
}

export interface JournalSetup {
  /** The journal directory (the `journalDir` option); relative to the working directory. */
  dir: string;
  site: string;
  /** The inbox: `notification` or `recurring-notification`. */
  route: string;
  /** Records written and fsynced together at most (default 500; 1: one fsync per record). */
  maxBatch?: number;
  /** A segment past this size is closed for a new one (default 1 MiB). */
  segmentBytes?: number;
  /** A segment that could not be removed (it is replayed again, harmlessly, at the next start). */
  onError?: (error: unknown) => void;
}

export interface ReplayedRecord {
  key: string;
  entry: unknown;
  ticket: JournalTicket;
}

export interface Replay {
  records: ReplayedRecord[];
  /** Lines skipped: torn by a crash, or damaged. */
  skipped: number;
  /** Records of another site or route (a file moved by hand): skipped too. */
  foreign: number;
}

interface Pending {
  line: string;
  record: number;
  resolve(ticket: JournalTicket): void;
  reject(error: unknown): void;
}

/**
 * The journal of one inbox (one site, one route): notifications the database could not take,
 * appended and fsynced before they are answered, so a process that dies holding them loses none.
 *
 * Files: `<dir>/<site>/<route>/<segment>.journal`, one record a line (journal-format.ts). Appends
 * that arrive together are written and fsynced together (one fsync per batch). A record is done
 * once its notification is stored; a segment whose records are all done is deleted, and a segment
 * grown past 1 MiB is closed for a new one, so the journal holds only what is not stored yet. A
 * process never appends to a segment it did not open: a segment left by an earlier run (its last
 * line maybe torn) is only read, at start, and deleted once all its records are stored.
 */
export class NotificationJournal {
  readonly path: string;
  /** Record numbers not yet done, per segment. */
  private readonly live = new Map<number, Set<number>>();
  private active?: { segment: number; handle: FileHandle; bytes: number };
  private nextSegment?: number;
  /** The first segment this process opened. */
  private firstOwn?: number;
  private nextRecord = 0;
  private pending: Pending[] = [];
  private writing?: Promise<void>;
  private replayed = false;
  /** Deletions of segments under way. */
  private readonly deletions = new Set<Promise<void>>();

  constructor(private readonly setup: JournalSetup) {
    this.path = resolve(setup.dir, setup.site, setup.route);
  }

  /** Creates the directory if needed; rejects when it cannot be written. */
  async check(): Promise<void> {
    await mkdir(this.path, { recursive: true, mode: DIRECTORY_MODE });
    await access(this.path, constants.W_OK);
  }

  /**
   * Reads the segments an earlier process left (once): their intact records, oldest first. Each
   * stays live until done() is called with its ticket.
   */
  async replay(): Promise<Replay> {
    const replay: Replay = { records: [], skipped: 0, foreign: 0 };
    if (this.replayed) return replay;
    this.replayed = true;
    for (const segment of await this.segments()) {
      // Segments this process opened already (appends before the replay) are its own.
      if (this.firstOwn !== undefined && segment >= this.firstOwn) continue;
      const parsed = parseSegment(await readFile(this.file(segment)));
      replay.skipped += parsed.corrupt + (parsed.torn ? 1 : 0);
      const live = new Set<number>();
      for (const record of parsed.records) {
        if (record.site !== this.setup.site || record.route !== this.setup.route) {
          replay.foreign += 1;
          continue;
        }
        const ticket = { segment, record: this.nextRecord++ };
        live.add(ticket.record);
        replay.records.push({ key: record.key, entry: record.entry, ticket });
      }
      this.live.set(segment, live);
      if (live.size === 0) this.retire(segment);
    }
    return replay;
  }

  /** Appends a record; resolves once it is on disk (fsynced), rejects when it could not be. */
  append(record: Omit<JournalRecord, 'site' | 'route'>): Promise<JournalTicket> {
    const line = formatRecord({ ...record, site: this.setup.site, route: this.setup.route });
    return new Promise((resolve, reject) => {
      this.pending.push({ line, record: this.nextRecord++, resolve, reject });
      this.kick();
    });
  }

  /** Starts the writer unless it runs; it starts again for appends that came as it ended. */
  private kick(): void {
    if (this.writing || this.pending.length === 0) return;
    this.writing = this.writeAll().finally(() => {
      this.writing = undefined;
      this.kick();
    });
  }

  /** The record's notification is stored: it is no longer needed (calling again is harmless). */
  done(ticket: JournalTicket): void {
    const live = this.live.get(ticket.segment);
    if (!live?.delete(ticket.record) || live.size > 0) return;
    if (ticket.segment !== this.active?.segment) {
      this.retire(ticket.segment);
    } else if (!this.writing) {
      // Everything the open segment holds is stored: closed and deleted; the next append opens
      // a new one.
      const { handle } = this.active;
      this.active = undefined;
      this.track(
        handle.close().then(
          () => this.retire(ticket.segment),
          () => this.retire(ticket.segment),
        ),
      );
    }
  }

  /** Records not yet done. */
  get size(): number {
    let size = 0;
    for (const live of this.live.values()) size += live.size;
    return size;
  }

  /** Closes the open segment (what is live stays for the next start). */
  async close(): Promise<void> {
    await this.writing;
    const active = this.active;
    this.active = undefined;
    await active?.handle.close();
    if (active && this.live.get(active.segment)?.size === 0) this.retire(active.segment);
  }

  private async writeAll(): Promise<void> {
    while (this.pending.length > 0) {
      const batch = this.pending.splice(0, this.setup.maxBatch ?? MAX_BATCH);
      const bytes = Buffer.from(batch.map((item) => item.line).join(''));
      try {
        const active = await this.open();
        await active.handle.appendFile(bytes);
        await active.handle.datasync();
        active.bytes += bytes.length;
        const live = this.live.get(active.segment)!;
        for (const item of batch) live.add(item.record);
        for (const item of batch) item.resolve({ segment: active.segment, record: item.record });
        if (active.bytes >= (this.setup.segmentBytes ?? SEGMENT_BYTES)) await this.rotate();
      } catch (error) {
        for (const item of batch) item.reject(error);
        // The segment may now end in a partial line: later records go to a new one.
        await this.rotate().catch(() => undefined);
      }
    }
  }

  /** The open segment, or a new one (its directory entry fsynced with it). */
  private async open(): Promise<{ segment: number; handle: FileHandle; bytes: number }> {
    if (this.active) return this.active;
    await mkdir(this.path, { recursive: true, mode: DIRECTORY_MODE });
    if (this.nextSegment === undefined) {
      const existing = await this.segments();
      this.nextSegment = (existing.at(-1) ?? 0) + 1;
      this.firstOwn = this.nextSegment;
    }
    const segment = this.nextSegment++;
    const handle = await open(this.file(segment), 'a', FILE_MODE);
    try {
      await syncDirectory(this.path);
    } catch (error) {
      await handle.close().catch(() => undefined);
      throw error;
    }
    this.active = { segment, handle, bytes: 0 };
    this.live.set(segment, new Set());
    return this.active;
  }

  /** Closes the open segment; deleted when nothing in it is live. */
  private async rotate(): Promise<void> {
    const active = this.active;
    if (!active) return;
    this.active = undefined;
    await active.handle.close();
    if (this.live.get(active.segment)?.size === 0) this.retire(active.segment);
  }

  /** Resolves when no segment is being deleted. */
  async idle(): Promise<void> {
    while (this.deletions.size > 0) await Promise.all(this.deletions);
  }

  private retire(segment: number): void {
    this.live.delete(segment);
    this.track(
      unlink(this.file(segment)).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'ENOENT') this.setup.onError?.(error);
      }),
    );
  }

  private track(deletion: Promise<void>): void {
    this.deletions.add(deletion);
    void deletion.finally(() => this.deletions.delete(deletion));
  }

  private async segments(): Promise<number[]> {
    let names: string[];
    try {
      names = await readdir(this.path);
    } catch (error) {
      // No folder yet, or a file in its place (check() reports that one): nothing to replay.
      const { code } = error as NodeJS.ErrnoException;
      if (code === 'ENOENT' || code === 'ENOTDIR') return [];
      throw error;
    }
    return names
      .map((name) => SEGMENT.exec(name)?.[1])
      .filter((digits): digits is string => digits !== undefined)
      .map(Number)
      .sort((a, b) => a - b);
  }

  private file(segment: number): string {
    return join(this.path, `${String(segment).padStart(12, '0')}.journal`);
  }
}

/**
 * A file system error as text (`EROFS: read-only file system, open '...'`). Errors of node:fs
 * may come from another realm than the caller's (a test runner's), so no instanceof.
 */
export function fileError(error: unknown): string {
  const message = (error as { message?: unknown } | null)?.message;
  return typeof message === 'string' ? message : String(error);
}

/** Makes a new file's directory entry durable. */
async function syncDirectory(path: string): Promise<void> {
  const directory = await open(path, 'r');
  try {
    await directory.sync();
  } finally {
    await directory.close();
  }
}
