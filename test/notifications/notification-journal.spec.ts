import {
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatRecord, parseSegment } from '../../lib/notifications/journal-format';
import { NotificationJournal } from '../../lib/notifications/notification-journal';

const record = (key: string, entry: unknown = { requestId: Number(key) }) => ({ key, entry });

describe('the journal file format', () => {
  it('writes one line per record, whatever line breaks its values hold, and reads it back', () => {
    const line = formatRecord({
      site: 'co',
      route: 'notification',
      key: '5|APPROVED|2026',
      entry: { message: 'a\nb\r\u2028c', n: 1 },
    });
    expect(line.endsWith('\n')).toBe(true);
    expect(line.slice(0, -1)).not.toMatch(/[\n\r]/);
    expect(parseSegment(line + line)).toEqual({
      records: [
        {
          site: 'co',
          route: 'notification',
          key: '5|APPROVED|2026',
          entry: { message: 'a\nb\r\u2028c', n: 1 },
        },
      ].flatMap((r) => [r, r]),
      corrupt: 0,
      torn: false,
    });
  });

  it('skips a torn last line, whatever part of it was written, and never mis-reads it', () => {
    const lines = ['1', '2', '3'].map((key) =>
      formatRecord({ site: 'default', route: 'notification', key, entry: { key } }),
    );
    const whole = lines.join('');
    const last = lines[2];
    // Every cut inside the last line (a crash mid-write), including one that keeps all but its
    // newline.
    for (let cut = 1; cut < last.length; cut++) {
      const parsed = parseSegment(whole.slice(0, whole.length - cut));
      expect(parsed.records.map((r) => r.key)).toEqual(['1', '2']);
      expect(parsed.torn).toBe(true);
      expect(parsed.corrupt).toBe(0);
    }
  });

  it('skips a line whose checksum does not match, and reads the lines around it', () => {
    const lines = ['1', '2', '3'].map((key) =>
      formatRecord({ site: 'default', route: 'notification', key, entry: { amount: 100 } }),
    );
    // One digit of the middle record's content changed: still valid JSON, a different record.
    lines[1] = lines[1].replace('"amount":100', '"amount":900');
    expect(JSON.parse(lines[1].slice(17))).toMatchObject({ entry: { amount: 900 } });
    const parsed = parseSegment(lines.join(''));
    expect(parsed.records.map((r) => r.key)).toEqual(['1', '3']);
    expect(parsed).toMatchObject({ corrupt: 1, torn: false });
    // A line that is not a record at all is skipped the same way.
    expect(parseSegment('garbage\n' + lines[0])).toMatchObject({ corrupt: 1 });
  });
});

describe('NotificationJournal', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'ptp-journal-spec-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  const journal = (site = 'default', route = 'notification', segmentBytes?: number) =>
    new NotificationJournal({ dir: root, site, route, segmentBytes });
  const files = (site = 'default', route = 'notification') => {
    try {
      return readdirSync(join(root, site, route)).sort();
    } catch {
      return [];
    }
  };

  it('has every appended record on disk once append resolves, per site and route', async () => {
    const co = journal('co');
    const mx = journal('mx');
    const recurring = journal('co', 'recurring-notification');
    await Promise.all([
      co.append(record('1')),
      mx.append(record('2')),
      recurring.append(record('3')),
    ]);
    const [segment] = files('co');
    const text = readFileSync(join(root, 'co', 'notification', segment), 'utf8');
    expect(parseSegment(text).records).toEqual([
      { site: 'co', route: 'notification', key: '1', entry: { requestId: 1 } },
    ]);
    // Readable by the app's user only.
    expect(statSync(join(root, 'co', 'notification', segment)).mode & 0o777).toBe(0o600);
    expect(statSync(join(root, 'co', 'notification')).mode & 0o777).toBe(0o700);
    expect(files('mx')).toHaveLength(1);
    expect(files('co', 'recurring-notification')).toHaveLength(1);
    await Promise.all([co.close(), mx.close(), recurring.close()]);
  });

  it('writes concurrent appends together and replays them, in order, in the next process', async () => {
    const first = journal();
    const keys = Array.from({ length: 200 }, (_, i) => String(i + 1));
    await Promise.all(keys.map((key) => first.append(record(key))));
    // The process "dies": nothing closed. The next one reads the segment.
    const next = journal();
    const replay = await next.replay();
    expect(replay.records.map((r) => r.key)).toEqual(keys);
    expect(replay.skipped).toBe(0);
    // Each record stays until its notification is stored; then the segment goes.
    for (const replayed of replay.records.slice(0, 199)) next.done(replayed.ticket);
    expect(files()).toHaveLength(1);
    next.done(replay.records[199].ticket);
    await next.idle();
    expect(files()).toHaveLength(0);
    await first.close();
  });

  it('replays a journal as often as it is read until its records are done (idempotent)', async () => {
    const first = journal();
    await Promise.all(['1', '2', '3'].map((key) => first.append(record(key))));
    const reads = await Promise.all([journal().replay(), journal().replay()]);
    expect(reads.map((r) => r.records.map((x) => x.key))).toEqual([
      ['1', '2', '3'],
      ['1', '2', '3'],
    ]);
    // One journal reads what earlier processes left once; what it writes itself is not replayed.
    const later = journal();
    await later.append(record('4'));
    expect((await later.replay()).records.map((r) => r.key)).toEqual(['1', '2', '3']);
    expect((await later.replay()).records).toEqual([]);
    await Promise.all([first.close(), later.close()]);
  });

  it('skips a torn tail left by a crash and appends after it in a new segment', async () => {
    const first = journal();
    await Promise.all(['1', '2'].map((key) => first.append(record(key))));
    await first.close();
    const [segment] = files();
    const path = join(root, 'default', 'notification', segment);
    truncateSync(path, readFileSync(path).length - 5);
    const next = journal();
    const replay = await next.replay();
    expect(replay.records.map((r) => r.key)).toEqual(['1']);
    expect(replay.skipped).toBe(1);
    await next.append(record('3'));
    expect(files()).toHaveLength(2);
    // The torn segment goes once its one intact record is stored.
    next.done(replay.records[0].ticket);
    await next.idle();
    expect(files()).toHaveLength(1);
    expect((await journal().replay()).records.map((r) => r.key)).toEqual(['3']);
    await next.close();
  });

  it("skips another site's records placed in its folder", async () => {
    const mine = journal();
    await mine.append(record('1'));
    await mine.close();
    const [segment] = files();
    const path = join(root, 'default', 'notification', segment);
    writeFileSync(
      path,
      readFileSync(path, 'utf8') +
        formatRecord({ site: 'co', route: 'notification', key: '2', entry: {} }),
    );
    const replay = await journal().replay();
    expect(replay.records.map((r) => r.key)).toEqual(['1']);
    expect(replay.foreign).toBe(1);
  });

  it('closes a full segment for a new one and deletes each once its records are stored', async () => {
    const small = journal('default', 'notification', 150);
    const tickets = [];
    for (const key of ['1', '2', '3', '4']) tickets.push(await small.append(record(key)));
    expect(files().length).toBeGreaterThan(1);
    for (const ticket of tickets) small.done(ticket);
    small.done(tickets[0]);
    await small.idle();
    expect(files()).toHaveLength(0);
    expect(small.size).toBe(0);
    await small.close();
  });

  it('rejects an append it cannot put on disk, and goes on in a new segment once it can', async () => {
    const blocked = join(root, 'blocked');
    writeFileSync(blocked, 'a file where the journal directory should be');
    const nowhere = new NotificationJournal({ dir: blocked, site: 'default', route: 'n' });
    await expect(nowhere.append(record('1'))).rejects.toMatchObject({ code: 'ENOTDIR' });
    await expect(nowhere.check()).rejects.toMatchObject({ code: 'ENOTDIR' });
    rmSync(blocked);
    await nowhere.append(record('2'));
    const next = new NotificationJournal({ dir: blocked, site: 'default', route: 'n' });
    expect((await next.replay()).records.map((r) => r.key)).toEqual(['2']);
    await nowhere.close();
  });
});
