/** Fixture loading for the learn tests (committed copies of the public datasets). */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseCsv } from './csv.js';
import type { Frame } from './frame.js';

const fixtures = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'test', 'fixtures', 'datasets');

/** Loads test/fixtures/datasets/<name>.csv. */
export function loadFixture(name: 'iris' | 'wine' | 'breast_cancer' | 'diabetes'): Frame {
  return parseCsv(readFileSync(join(fixtures, `${name}.csv`)));
}
