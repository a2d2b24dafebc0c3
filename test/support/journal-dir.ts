// Each test file gets a journal directory of its own (the module's default is under the working
// directory): what one suite leaves in a journal is never replayed by another.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const dir = mkdtempSync(join(tmpdir(), 'ptp-journal-'));
process.env.PLACETOPAY_JOURNAL_DIR = dir;
afterAll(() => rmSync(dir, { recursive: true, force: true }));
