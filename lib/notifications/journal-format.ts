import { createHash } from 'node:crypto';

/**
 * One record of the notification journal: what a notification carried (already verified), with
 * its site, its route and its unique key. Never a secret: the secret key is not part of it.
 */
export interface JournalRecord {
  site: string;
  route: string;
  key: string;
  entry: unknown;
}

/** What reading a segment found: its intact records, in order, and the lines it skipped. */
export interface ParsedSegment {
  records: JournalRecord[];
  /** Lines whose checksum does not match their content, or that are not a record. */
  corrupt: number;
  /** A last line without its newline: a write torn by a crash (never acknowledged). */
  torn: boolean;
}

const CHECKSUM_HEX = 16;

/** The first 64 bits of the SHA-256 of the record's text, as hex. */
function checksum(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, CHECKSUM_HEX);
}

/**
 * A record as one line: `<checksum> <JSON>\n`. JSON escapes every line break inside a value, so
 * a record is always exactly one line, and the checksum tells a whole line from a torn or damaged
 * one.
 */
export function formatRecord(record: JournalRecord): string {
  const text = JSON.stringify({
    site: record.site,
    route: record.route,
    key: record.key,
    entry: record.entry,
  });
  return `${checksum(text)} ${text}\n`;
}

function isRecord(value: unknown): value is JournalRecord {
  if (typeof value !== 'object' || value === null) return false;
  const record = value as Record<string, unknown>;
  return (
    typeof record.site === 'string' &&
    typeof record.route === 'string' &&
    typeof record.key === 'string' &&
    'entry' in record
  );
}

/** One line (without its newline): the record, or undefined when it is not a whole record. */
function parseLine(line: string): JournalRecord | undefined {
  if (line.length <= CHECKSUM_HEX + 1 || line[CHECKSUM_HEX] !== ' ') return undefined;
  const text = line.slice(CHECKSUM_HEX + 1);
  if (checksum(text) !== line.slice(0, CHECKSUM_HEX)) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return isRecord(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Reads a segment's bytes. A last line without its newline is a write a crash tore: skipped, and
 * never mis-read (it was not acknowledged, since the answer waits for the fsync of the whole
 * line). A line whose checksum does not match is skipped and counted.
 */
export function parseSegment(content: Buffer | string): ParsedSegment {
  const text = typeof content === 'string' ? content : content.toString('utf8');
  const lines = text.split('\n');
  // The piece after the last newline: empty for a whole file, a torn write otherwise.
  const tail = lines.pop()!;
  const records: JournalRecord[] = [];
  let corrupt = 0;
  for (const line of lines) {
    if (line === '') continue;
    const record = parseLine(line);
    if (record) records.push(record);
    else corrupt += 1;
  }
  return { records, corrupt, torn: tail !== '' };
}
