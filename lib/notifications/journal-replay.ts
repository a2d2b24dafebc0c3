import type { LoggerService } from '@nestjs/common';
import { logText } from '../common/log-text';
import {
  fileError as reason,
  type JournalTicket,
  type NotificationJournal,
} from './notification-journal';

export interface JournalReplaySetup<Entry> {
  journal: NotificationJournal;
  logger: Pick<LoggerService, 'log' | 'warn' | 'error'>;
  decode(data: unknown): Entry;
  /** Holds one record until it is written. */
  take(key: string, entry: Entry, ticket: JournalTicket): void;
}

/**
 * At start: checks that the journal can be written (a warning says what a failure means), then
 * hands every record an earlier process left to `take`, oldest first. A record that cannot be
 * decoded stays in the journal (logged), never dropped.
 */
export async function replayJournal<Entry>(setup: JournalReplaySetup<Entry>): Promise<void> {
  const { journal, logger } = setup;
  const path = logText(journal.path);
  try {
    await journal.check();
  } catch (error) {
    logger.warn(
      `the journal ${path} cannot be written (${logText(reason(error))}): while the database is unreachable, notifications will be refused with 503`,
    );
  }
  let replay;
  try {
    replay = await journal.replay();
  } catch (error) {
    logger.error(
      `could not read the journal ${path} (${logText(reason(error))}): what it holds is not replayed`,
    );
    return;
  }
  let undecodable = 0;
  for (const record of replay.records) {
    let entry: Entry;
    try {
      entry = setup.decode(record.entry);
    } catch {
      undecodable += 1;
      continue;
    }
    setup.take(record.key, entry, record.ticket);
  }
  const skipped = replay.skipped + replay.foreign;
  if (replay.records.length > 0 || skipped > 0) {
    logger.log(
      `replayed ${replay.records.length - undecodable} notification(s) from the journal ${path}${skipped > 0 ? ` (${skipped} torn, damaged or misplaced line(s) skipped)` : ''}`,
    );
  }
  if (undecodable > 0) {
    logger.error(`${undecodable} record(s) of the journal ${path} could not be read back; kept`);
  }
}
